import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Topics } from '../../src/systems/shared/topics.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CALLBACK_SECRET, paymentEvent, postCallback } from '../support/payment-callbacks.js';
import { sleep, waitUntil } from '../support/wait.js';

/**
 * Payments as the provider makes them (docs/architecture.md, "Payments"), over real HTTP against the simulated
 * provider: each race ends as documented, with exactly one `order_paid` per paid order and exactly one refund at the
 * provider per surplus payment.
 */
export function paymentRaceCases(db: 'sqlite' | 'mysql', env: Record<string, string> = {}): void {
  let t: TestApp;
  before(async () => {
    // A short time to pay, so that an order can be closed for non-payment within a test.
    t = await startTestApp({ ORDERFLOW_PAYMENT_CALLBACK_SECRET: CALLBACK_SECRET, ORDERFLOW_PAY_TIMEOUT: '3s', ...env }, db);
  });
  after(async () => t?.stop());

  const provider = () => t.app.thirdParties?.urls.payment as string;
  const place = async (user: string) => {
    const placed = await t.call('POST', '/api/orders', { as: user, body: { userId: user, items: [{ skuId: 'SKU-1003', quantity: 1 }] } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    return placed.body as { orderId: string; totalCents: number };
  };
  const pay = (user: string, orderId: string, body: Record<string, unknown>) =>
    t.call('POST', `/api/orders/${orderId}/pay`, { as: user, body });
  const confirmAtBank = async (paymentId: string, outcome: 'succeeded' | 'failed') => {
    const res = await fetch(`${provider()}/payments/${paymentId}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome }),
    });
    return res.status;
  };
  const order = async (user: string, orderId: string) => (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
  const providerRefund = async (refundId: string) => (await fetch(`${provider()}/refunds/${encodeURIComponent(refundId)}`)).status;
  /**
   * The order's `order_paid` messages that were delivered. With transactional messages two settlements of one payment
   * (the callback and the shopper's return) may each store a half message; one local transaction wins and the other's
   * half message is rolled back: it stays listed as HALF in the trace and is never delivered to anyone.
   */
  const paidMessages = (view: any) =>
    view.messages.filter(
      (m: { topic: string; deliveries: { state: string }[] }) =>
        m.topic === Topics.ORDER_PAID && !m.deliveries.every((d) => d.state === 'HALF'),
    ).length;
  const paidTransitions = (view: any) => view.history.filter((h: { to: string }) => h.to === 'PAID').length;
  const providerStats = async () => (await t.call('GET', '/api/admin/third-parties/payment', { as: 'admin' })).body.stats;

  /** Waits until every payment of the order has settled as expected and surplus refunds are paid back. */
  async function settled(user: string, orderId: string, check: (view: any) => boolean) {
    let view: any;
    const ok = await waitUntil(async () => check((view = await order(user, orderId))), 10_000, 50);
    assert.ok(ok, JSON.stringify({ status: view?.status, payments: view?.payments, history: view?.history }));
    return view;
  }

  test('a frictionless card: pay answers PAID (the provider said so), its callback arrives and changes nothing; a replayed callback neither', async () => {
    const placed = await place('user61');
    const paid = await pay('user61', placed.orderId, {});
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.deepEqual(paid.body, { orderId: placed.orderId, status: 'PAID' });
    const view = await settled('user61', placed.orderId, (v) => v.payments.length === 1 && v.payments[0].outcome === 'PAID_ORDER');
    const again = await pay('user61', placed.orderId, {});
    assert.equal(again.status, 200, 'paying again with the same attempt answers the same');
    // The provider's own callback (delivered at once) found the payment settled; a copy of it now does nothing either.
    const { paymentId, amountCents } = view.payments[0];
    const replay = await postCallback(
      t.app.url,
      paymentEvent({ paymentId, orderId: placed.orderId, amount: amountCents / 100 }, 'payment.succeeded'),
    );
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.settlement, 'PAID_ORDER');
    // The order_paid message shows in the order's traces once relayed (the outbox) and indexed by the broker (RocketMQ
    // indexes keys a moment after the store: seen 0 traces 300 ms after the replay in CI).
    await waitUntil(async () => paidMessages(await order('user61', placed.orderId)) >= 1, 20_000, 100);
    await sleep(300);
    const final = await order('user61', placed.orderId);
    assert.equal(paidTransitions(final), 1);
    assert.equal(paidMessages(final), 1, 'exactly one order_paid');
    assert.equal(final.payments[0].refund, null, 'nothing refunded');
  });

  test('the callback arrives after the order was closed for non-payment: the order stays CLOSED, the money goes back by the refund flow, visible on the order', async () => {
    const before = await providerStats();
    const placed = await place('user62');
    const started = await pay('user62', placed.orderId, { confirm: false });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.status, 'WAIT_PAY');
    const { paymentId } = started.body.payment;
    await settled('user62', placed.orderId, (v) => v.status === 'CLOSED');
    assert.equal(await confirmAtBank(paymentId, 'succeeded'), 200, 'the shopper confirms at the bank, too late');
    const view = await settled('user62', placed.orderId, (v) => v.payments[0]?.refund?.refundedAt != null);
    assert.equal(view.status, 'CLOSED');
    assert.equal(view.payments[0].outcome, 'REFUNDED');
    assert.equal(paidMessages(view), 0, 'no order_paid for a closed order');
    assert.equal(await providerRefund(view.payments[0].refund.refundId), 200, 'the provider paid it back');
    const refundMessages = view.messages.filter((m: { topic: string }) => m.topic === Topics.ORDER_REFUND);
    assert.equal(refundMessages.length, 1, 'one order_refund message');
    assert.equal((await providerStats()).executed - before.executed, 1, 'exactly one refund at the provider');
  });

  test('two payments succeed for one order (two tabs): one pays it, the other is refunded, once', async () => {
    const before = await providerStats();
    const placed = await place('user63');
    const [a, b] = await Promise.all([
      pay('user63', placed.orderId, { confirm: false, attempt: 1 }),
      pay('user63', placed.orderId, { confirm: false, attempt: 2 }),
    ]);
    assert.deepEqual([a.status, b.status], [202, 202], JSON.stringify([a.body, b.body]));
    assert.notEqual(a.body.payment.paymentId, b.body.payment.paymentId);
    await Promise.all([confirmAtBank(a.body.payment.paymentId, 'succeeded'), confirmAtBank(b.body.payment.paymentId, 'succeeded')]);
    const view = await settled(
      'user63',
      placed.orderId,
      (v) => v.payments.length === 2 && v.payments.some((p: any) => p.refund?.refundedAt != null) && v.status !== 'WAIT_PAY',
    );
    const outcomes = view.payments.map((p: any) => p.outcome).sort();
    assert.deepEqual(outcomes, ['PAID_ORDER', 'REFUNDED']);
    const paidBy = view.payments.find((p: any) => p.outcome === 'PAID_ORDER').paymentId;
    assert.equal(view.paymentId, paidBy, 'the order records the payment that paid it');
    assert.ok(['PAID', 'SHIPPED'].includes(view.status));
    assert.equal(paidTransitions(view), 1);
    assert.equal(paidMessages(view), 1, 'exactly one order_paid');
    await sleep(300);
    assert.equal((await providerStats()).executed - before.executed, 1, 'exactly one refund at the provider');
  });

  test('the callback and the shopper coming back race (10 orders): one outcome each, no duplicate effect', async () => {
    const orders = await Promise.all(
      Array.from({ length: 10 }, (_, i) => place(`user${64 + i}`).then((o) => ({ ...o, user: `user${64 + i}` }))),
    );
    const started = await Promise.all(orders.map((o) => pay(o.user, o.orderId, { confirm: false })));
    await Promise.all(
      orders.map(async (o, i) => {
        // The bank step fires the callback; the shopper's return asks the provider and settles too — at once.
        const [confirmed, returned] = await Promise.all([
          confirmAtBank(started[i].body.payment.paymentId, 'succeeded'),
          sleep(i % 3).then(() => pay(o.user, o.orderId, {})),
        ]);
        assert.equal(confirmed, 200);
        assert.ok([200, 202].includes(returned.status), JSON.stringify(returned.body));
      }),
    );
    for (const o of orders) {
      const view = await settled(o.user, o.orderId, (v) => v.payments[0]?.outcome === 'PAID_ORDER' && v.status !== 'WAIT_PAY');
      assert.equal(view.payments.length, 1, 'one payment: the return was the same attempt');
      assert.equal(paidTransitions(view), 1);
      assert.equal(paidMessages(view), 1);
      assert.equal(view.payments[0].refund, null);
    }
  });

  test('a failed attempt, then a retry that succeeds; a stale "failed" for the captured payment changes nothing: the order is PAID by the money captured', async () => {
    const placed = await place('user75');
    const first = await pay('user75', placed.orderId, { confirm: false, attempt: 1 });
    assert.equal(first.status, 202);
    assert.equal(await confirmAtBank(first.body.payment.paymentId, 'failed'), 200);
    await settled('user75', placed.orderId, (v) => v.payments[0]?.status === 'FAILED');
    assert.equal((await order('user75', placed.orderId)).status, 'WAIT_PAY', 'a failed payment leaves the order to pay');
    const second = await pay('user75', placed.orderId, { attempt: 2 });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.status, 'PAID');
    const view = await order('user75', placed.orderId);
    const captured = view.payments.find((p: any) => p.attempt === 2);
    // The provider's "failed" for the retry, arriving after its "succeeded" (out of order, or a confused provider).
    const stale = await postCallback(
      t.app.url,
      paymentEvent({ paymentId: captured.paymentId, orderId: placed.orderId, amount: captured.amountCents / 100 }, 'payment.failed'),
    );
    assert.equal(stale.status, 200);
    const final = await order('user75', placed.orderId);
    assert.ok(['PAID', 'SHIPPED'].includes(final.status));
    assert.equal(final.payments.find((p: any) => p.attempt === 2).status, 'SUCCEEDED', 'captured money stays captured');
    assert.equal(final.payments.find((p: any) => p.attempt === 1).status, 'FAILED');
    // With the outbox the order_paid is relayed after the commit: wait for it, then make sure no second one follows.
    await settled('user75', placed.orderId, (v) => paidMessages(v) >= 1);
    await sleep(300);
    assert.equal(paidMessages(await order('user75', placed.orderId)), 1);
  });

  test('unsigned, forged, stale, malformed and unknown callbacks get a 4xx and change nothing', async () => {
    const placed = await place('user76');
    const started = await pay('user76', placed.orderId, { confirm: false });
    const facts = { paymentId: started.body.payment.paymentId, orderId: placed.orderId, amount: placed.totalCents / 100 };
    const good = paymentEvent(facts, 'payment.succeeded');
    const cases = [
      await postCallback(t.app.url, good, { header: null }),
      await postCallback(t.app.url, good, { secret: 'not-the-secret' }),
      await postCallback(t.app.url, good, { header: 't=1,v1=zz' }),
      await postCallback(t.app.url, good, { at: Date.now() / 1000 - 3_600 }),
      await postCallback(t.app.url, { ...good, data: { ...good.data, amount: 'lots' } }),
      await postCallback(t.app.url, paymentEvent({ ...facts, paymentId: 'pi_unknown' }, 'payment.succeeded')),
      await postCallback(t.app.url, paymentEvent({ ...facts, amount: facts.amount + 1 }, 'payment.succeeded')),
    ];
    assert.deepEqual(
      cases.map((c) => c.status),
      [401, 401, 401, 401, 400, 404, 409],
      JSON.stringify(cases.map((c) => c.body)),
    );
    for (const c of cases) assert.equal(typeof c.body.error.code, 'string');
    const view = await order('user76', placed.orderId);
    assert.equal(view.status, 'WAIT_PAY');
    assert.equal(view.payments[0].status, 'REQUIRES_CONFIRMATION');
    assert.equal(view.payments[0].outcome, null);
    // The genuine event, signed: accepted, and then its copy is a duplicate.
    const ok = await postCallback(t.app.url, good);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.settlement, 'PAID_ORDER');
    assert.equal((await postCallback(t.app.url, good)).body.duplicate, true);
  });
  /** What a process that died between the provider's answer and its own insert leaves: a payment only the provider knows. */
  const createAtProviderOnly = async (orderId: string, totalCents: number) => {
    const res = await fetch(`${provider()}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        orderId,
        amount: totalCents / 100,
        callbackUrl: `${t.app.url}/api/payments/callback`,
        confirm: true,
        idempotencyKey: `pay:${orderId}:1`,
      }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { paymentId: string }).paymentId;
  };

  test('a payment captured at the provider that this shop never recorded (its process died before the insert) is recorded from its signed callback and pays the order, once', async () => {
    const placed = await place('user80');
    const paymentId = await createAtProviderOnly(placed.orderId, placed.totalCents);
    // PAID, or already SHIPPED: the warehouse may ship it before the test looks.
    const view = await settled('user80', placed.orderId, (v) => v.status !== 'WAIT_PAY' && v.payments[0]?.outcome === 'PAID_ORDER');
    assert.equal(view.payments.length, 1);
    assert.equal(view.payments[0].paymentId, paymentId);
    assert.equal(view.payments[0].attempt, 1, "the attempt is read back from the shop's own key");
    // The shopper, back from the crash, pays the same attempt: the same payment, already settled.
    const again = await pay('user80', placed.orderId, {});
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.ok(['PAID', 'SHIPPED'].includes(again.body.status), JSON.stringify(again.body));
    await sleep(300);
    const final = await order('user80', placed.orderId);
    assert.equal(final.payments.length, 1);
    assert.equal(paidTransitions(final), 1);
    assert.equal(paidMessages(final), 1, 'exactly one order_paid');
  });

  test('such a payment for an order cancelled meanwhile is recorded and paid back by the refund flow; the order stays CANCELLED', async () => {
    const placed = await place('user81');
    const cancelled = await t.call('POST', `/api/orders/${placed.orderId}/cancel`, { as: 'user81', body: {} });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    await createAtProviderOnly(placed.orderId, placed.totalCents);
    const view = await settled(
      'user81',
      placed.orderId,
      (v) => v.payments[0]?.outcome === 'REFUNDED' && v.payments[0].refund?.refundedAt !== null && v.payments[0].refund !== null,
    );
    assert.equal(view.status, 'CANCELLED');
    assert.equal(await providerRefund(view.payments[0].refund.refundId), 200, 'the provider paid it back');
  });

  test('a callback for an unrecorded payment is adopted only when its reference, order and amount agree: otherwise 404 and nothing recorded', async () => {
    const placed = await place('user82');
    const other = await place('user82');
    const facts = { paymentId: 'pi_only_at_the_provider', orderId: placed.orderId, amount: placed.totalCents / 100 };
    const event = (data: Record<string, unknown>) => ({
      ...paymentEvent(facts, 'payment.succeeded'),
      data: { ...paymentEvent(facts, 'payment.succeeded').data, ...data },
    });
    const answers = [
      await postCallback(t.app.url, event({ reference: `pay:${other.orderId}:1` })),
      await postCallback(t.app.url, event({ reference: `pay:${placed.orderId}:1`, amount: facts.amount + 1 })),
      await postCallback(t.app.url, event({ reference: 'not-a-key-of-this-shop' })),
      await postCallback(t.app.url, event({ reference: `pay:${placed.orderId}:1`, orderId: 'O-NO-SUCH-ORDER' })),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [404, 404, 404, 404],
      JSON.stringify(answers.map((a) => a.body)),
    );
    for (const orderId of [placed.orderId, other.orderId]) {
      const view = await order('user82', orderId);
      assert.equal(view.status, 'WAIT_PAY');
      assert.deepEqual(view.payments, []);
    }
  });
}
