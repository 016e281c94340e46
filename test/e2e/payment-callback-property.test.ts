import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Topics } from '../../src/systems/shared/topics.js';
import { startTestApp, type TestApp, unlessDeployment } from '../support/app.js';
import { CALLBACK_SECRET, paymentEvent, postCallback } from '../support/payment-callbacks.js';
import { sleep, waitUntil } from '../support/wait.js';

/**
 * A property over the callback endpoint (docs/architecture.md, "Payments"): whatever the provider's events for a few
 * orders' payments — each duplicated, reordered, delayed, mixed with forged ones — each order is paid at most once
 * (one PAID, one `order_paid`), by a payment that succeeded, and every captured payment either paid its order or was
 * refunded, at the provider, once. ORDERFLOW_PAYMENT_PROPERTY_RUNS sets the runs (default 12).
 */
const RUNS = Number(process.env.ORDERFLOW_PAYMENT_PROPERTY_RUNS ?? 12);

let t: TestApp;
before(async () => {
  t = await startTestApp({ ORDERFLOW_PAYMENT_CALLBACK_SECRET: CALLBACK_SECRET });
});
after(async () => t?.stop());

const fate = fc.constantFrom('succeeded', 'failed', 'silent', 'failed-then-succeeded');
const scenario = fc.record({
  orders: fc.array(fc.array(fate, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 12, maxLength: 12 }),
  delays: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 40, maxLength: 40 }),
  forged: fc.array(fc.constantFrom('unsigned', 'wrong-secret', 'stale', 'wrong-amount', 'unknown-payment'), { maxLength: 4 }),
  seed: fc.integer(),
});

test('callbacks duplicated, reordered, delayed and forged never pay an order twice nor keep money they should give back', {
  skip: unlessDeployment(),
}, async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      run++;
      const user = `user${80 + (run % 20)}`;
      const placed: { orderId: string; payments: { paymentId: string; amount: number; fate: string }[] }[] = [];
      for (const [i, fates] of s.orders.entries()) {
        const order = await t.call('POST', '/api/orders', {
          as: user,
          body: { userId: user, items: [{ skuId: ['SKU-1001', 'SKU-1002', 'SKU-1003'][i % 3], quantity: 1 }] },
        });
        assert.equal(order.status, 201, JSON.stringify(order.body));
        const payments = [];
        for (const [attempt, f] of fates.entries()) {
          const paid = await t.call('POST', `/api/orders/${order.body.orderId}/pay`, {
            as: user,
            body: { attempt: attempt + 1, confirm: false },
          });
          if (paid.status === 409) break; // paid already by an earlier attempt's events? none sent yet: cannot happen
          assert.equal(paid.status, 202, JSON.stringify(paid.body));
          payments.push({ paymentId: paid.body.payment.paymentId, amount: order.body.totalCents / 100, fate: f });
        }
        placed.push({ orderId: order.body.orderId, payments });
      }
      // The events the provider would send, each as many times as it likes, in a shuffled order, at random moments.
      const events: { body: unknown; options?: Parameters<typeof postCallback>[2] }[] = [];
      let k = 0;
      for (const { orderId, payments } of placed)
        for (const p of payments) {
          const facts = { paymentId: p.paymentId, orderId, amount: p.amount };
          const kinds =
            p.fate === 'silent' ? [] : p.fate === 'failed-then-succeeded' ? ['payment.failed', 'payment.succeeded'] : [`payment.${p.fate}`];
          for (const kind of kinds) {
            const event = paymentEvent(facts, kind as 'payment.succeeded' | 'payment.failed');
            for (let c = 0; c < s.copies[k++ % s.copies.length]; c++) events.push({ body: event });
          }
        }
      const target = placed[0].payments[0];
      const facts = { paymentId: target.paymentId, orderId: placed[0].orderId, amount: target.amount };
      for (const forgery of s.forged) {
        const event = paymentEvent(facts, 'payment.succeeded');
        if (forgery === 'unsigned') events.push({ body: event, options: { header: null } });
        if (forgery === 'wrong-secret') events.push({ body: event, options: { secret: 'a-forger-guess' } });
        if (forgery === 'stale') events.push({ body: event, options: { at: Date.now() / 1000 - 900 } });
        if (forgery === 'wrong-amount') events.push({ body: paymentEvent({ ...facts, amount: facts.amount + 5 }, 'payment.succeeded') });
        if (forgery === 'unknown-payment') events.push({ body: paymentEvent({ ...facts, paymentId: 'pi_forged' }, 'payment.succeeded') });
      }
      const order = fc.sample(
        fc.shuffledSubarray(
          events.map((_, i) => i),
          { minLength: events.length, maxLength: events.length },
        ),
        { seed: s.seed, numRuns: 1 },
      )[0];
      const answers = await Promise.all(
        order.map(async (i, n) => {
          await sleep(s.delays[n % s.delays.length]);
          return postCallback(t.app.url, events[i].body, events[i].options);
        }),
      );
      for (const a of answers) assert.ok(a.status < 500, JSON.stringify(a.body));

      for (const { orderId, payments } of placed) {
        const captured = payments.filter((p) => p.fate === 'succeeded' || p.fate === 'failed-then-succeeded').length;
        let view: any;
        // Settled: every captured payment has an outcome and every surplus one has been paid back.
        const done = await waitUntil(
          async () => {
            view = (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
            const outcomes = view.payments.filter((p: any) => p.outcome !== null);
            return outcomes.length === captured && outcomes.every((p: any) => p.outcome === 'PAID_ORDER' || p.refund?.refundedAt);
          },
          10_000,
          50,
        );
        assert.ok(done, JSON.stringify({ payments, view: view?.payments }));
        const paidBy = view.payments.filter((p: any) => p.outcome === 'PAID_ORDER');
        assert.equal(paidBy.length, captured > 0 ? 1 : 0, 'paid once if any payment was captured, else not at all');
        assert.equal(view.history.filter((h: { to: string }) => h.to === 'PAID').length, paidBy.length);
        if (paidBy.length === 1) assert.equal(view.paymentId, paidBy[0].paymentId);
        else assert.equal(view.status, 'WAIT_PAY');
        for (const p of view.payments) if (p.status === 'SUCCEEDED') assert.ok(p.outcome, `captured ${p.paymentId} is settled`);
        await waitUntil(
          async () =>
            (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body.messages.filter((m: any) => m.topic === Topics.ORDER_PAID)
              .length === paidBy.length,
          3_000,
          50,
        );
        const messages = (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body.messages;
        assert.equal(messages.filter((m: any) => m.topic === Topics.ORDER_PAID).length, paidBy.length, 'one order_paid per paid order');
        const refunds = view.payments.filter((p: any) => p.outcome === 'REFUNDED');
        for (const p of refunds) {
          const res = await fetch(`${t.app.thirdParties?.urls.payment}/refunds/${encodeURIComponent(p.refund.refundId)}`);
          assert.equal(res.status, 200, `surplus payment ${p.paymentId} paid back at the provider`);
        }
        assert.equal(new Set(refunds.map((p: any) => p.refund.refundId)).size, refunds.length, 'one refund per surplus payment');
      }
    }),
    { numRuns: RUNS },
  );
});
