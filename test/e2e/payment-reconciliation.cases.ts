import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Topics } from '../../src/systems/shared/topics.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CALLBACK_SECRET, paymentEvent, postCallback } from '../support/payment-callbacks.js';
import { sleep, waitUntil } from '../support/wait.js';

type Db = 'sqlite' | 'mysql';

const lastHour = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() });

/** What the payment tests share: an app whose simulated provider they can steer, and the shop's view of an order. */
function paymentsHarness(env: () => Record<string, string>, db: Db) {
  const h = {
    t: undefined as unknown as TestApp,
    provider: () => h.t.app.thirdParties?.urls.payment as string,
    async place(user: string) {
      const placed = await h.t.call('POST', '/api/orders', {
        as: user,
        body: { userId: user, items: [{ skuId: 'SKU-1003', quantity: 1 }] },
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      return placed.body as { orderId: string };
    },
    /** A payment waiting for the shopper's bank (202), then confirmed there: captured at the provider. */
    async payAtBank(user: string, orderId: string, outcome: 'succeeded' | 'failed' = 'succeeded') {
      const started = await h.t.call('POST', `/api/orders/${orderId}/pay`, { as: user, body: { confirm: false } });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const paymentId = started.body.payment.paymentId as string;
      const res = await fetch(`${h.provider()}/payments/${paymentId}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome }),
      });
      assert.equal(res.status, 200, await res.text());
      return paymentId;
    },
    order: async (user: string, orderId: string) => (await h.t.call('GET', `/api/orders/${orderId}`, { as: user })).body,
    /** The order's delivered `order_paid` messages: a half message rolled back (two settlements raced, one lost) stays listed as HALF. */
    paidMessages: (view: any) =>
      view.messages.filter(
        (m: { topic: string; deliveries: { state: string }[] }) =>
          m.topic === Topics.ORDER_PAID && !m.deliveries.every((d) => d.state === 'HALF'),
      ).length,
    knobs: (patch: Record<string, unknown>) => h.t.call('PUT', '/api/admin/third-parties/payment', { as: 'admin', body: patch }),
    callbackStats: async () => (await h.t.call('GET', '/api/admin/third-parties/payment', { as: 'admin' })).body.stats.callbacks,
    /** A run at once, by default over the last hour. */
    reconcile: (body: Record<string, unknown> = lastHour()) =>
      h.t.call('POST', '/api/admin/payments/reconciliation', { as: 'admin', body }),
    reconciliation: async () => (await h.t.call('GET', '/api/admin/payments/reconciliation', { as: 'admin' })).body,
  };
  before(async () => {
    h.t = await startTestApp({ ORDERFLOW_PAYMENT_CALLBACK_SECRET: CALLBACK_SECRET, ...env() }, db);
  });
  after(async () => h.t?.stop());
  return h;
}

/**
 * Reconciliation run by the operator (the admin API), with the schedule off so that nothing else repairs: each
 * difference with the provider's ledger is repaired or reported as docs/architecture.md ("Payments") says.
 */
export function reconciliationCases(db: Db, env: Record<string, string> = {}): void {
  const h = paymentsHarness(() => ({ ORDERFLOW_RECONCILE_EVERY: 'off', ORDERFLOW_PAY_TIMEOUT: '3s', ...env }), db);

  test('a captured payment whose callback was dropped: the order waits, reconciliation pays it once, and a second run finds nothing', async () => {
    assert.equal((await h.knobs({ callbackDropRate: 1 })).status, 200);
    try {
      const before = await h.callbackStats();
      const { orderId } = await h.place('user71');
      const paymentId = await h.payAtBank('user71', orderId);
      await sleep(500);
      assert.equal((await h.order('user71', orderId)).status, 'WAIT_PAY', 'no callback came: the order still waits');
      assert.equal((await h.callbackStats()).dropped, before.dropped + 1, 'the provider dropped the event');

      const run = await h.reconcile();
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.status, 'DONE');
      assert.equal(run.body.repaired, 1, JSON.stringify(run.body));
      assert.ok(run.body.checkedAtProvider >= 1);
      let view: any;
      assert.ok(
        await waitUntil(async () => h.paidMessages((view = await h.order('user71', orderId))) === 1, 5_000, 50),
        JSON.stringify(view?.messages),
      );
      assert.equal(view.status === 'PAID' || view.status === 'SHIPPED', true, view.status);
      assert.equal(view.paymentId, paymentId);
      assert.equal(view.payments[0].outcome, 'PAID_ORDER');

      const again = await h.reconcile();
      assert.equal(again.body.repaired, 0, 'settled: nothing to repair the second time');
      const found = (await h.reconciliation()).discrepancies.filter((d: any) => d.paymentId === paymentId);
      assert.deepEqual(
        found.map((d: any) => [d.kind, d.action, d.providerStatus, d.orderId]),
        [['CAPTURED_NOT_SETTLED', 'REPAIRED', 'SUCCEEDED', orderId]],
      );
      await sleep(300);
      assert.equal(h.paidMessages(await h.order('user71', orderId)), 1, 'exactly one order_paid');
    } finally {
      await h.knobs({ callbackDropRate: 0 });
    }
  });

  test('a dropped callback for an order closed meanwhile: reconciliation refunds the payment, once, at the provider', async () => {
    assert.equal((await h.knobs({ callbackDropRate: 1 })).status, 200);
    try {
      const { orderId } = await h.place('user72');
      const started = await h.t.call('POST', `/api/orders/${orderId}/pay`, { as: 'user72', body: { confirm: false } });
      assert.equal(started.status, 202);
      const paymentId = started.body.payment.paymentId as string;
      assert.ok(await waitUntil(async () => (await h.order('user72', orderId)).status === 'CLOSED', 10_000, 100), 'closed at its deadline');
      const confirmed = await fetch(`${h.provider()}/payments/${paymentId}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'succeeded' }),
      });
      assert.equal(confirmed.status, 200);

      const run = await h.reconcile();
      assert.equal(run.body.repaired, 1, JSON.stringify(run.body));
      let view: any;
      assert.ok(
        await waitUntil(async () => (view = await h.order('user72', orderId)).payments[0]?.refund?.refundedAt != null, 10_000, 100),
        JSON.stringify(view?.payments),
      );
      assert.equal(view.status, 'CLOSED', 'the order stays closed');
      assert.equal(view.payments[0].outcome, 'REFUNDED');
      const refund = await fetch(`${h.provider()}/refunds/${encodeURIComponent(view.payments[0].refund.refundId)}`);
      assert.equal(refund.status, 200, 'the provider paid the money back');
      assert.equal(h.paidMessages(view), 0, 'no order_paid');
    } finally {
      await h.knobs({ callbackDropRate: 0 });
    }
  });

  test('an order paid here with a payment the provider never captured is reported, and nothing is changed', async () => {
    const { orderId } = await h.place('user73');
    const started = await h.t.call('POST', `/api/orders/${orderId}/pay`, { as: 'user73', body: { confirm: false } });
    const paymentId = started.body.payment.paymentId as string;
    // A "succeeded" event signed with the shop's secret that the provider never sent (a leaked secret, a provider bug).
    const view0 = await h.order('user73', orderId);
    const forged = await postCallback(
      h.t.app.url,
      paymentEvent({ paymentId, orderId, amount: view0.payments[0].amountCents / 100 }, 'payment.succeeded'),
    );
    assert.equal(forged.status, 200, JSON.stringify(forged.body));
    assert.equal((await h.order('user73', orderId)).payments[0].outcome, 'PAID_ORDER');

    const run = await h.reconcile();
    assert.equal(run.body.reported, 1, JSON.stringify(run.body));
    const found = (await h.reconciliation()).discrepancies.filter((d: any) => d.paymentId === paymentId);
    assert.deepEqual(
      found.map((d: any) => [d.kind, d.action, d.providerStatus]),
      [['PAID_WITHOUT_CAPTURE', 'REPORTED', 'REQUIRES_CONFIRMATION']],
    );
    const view = await h.order('user73', orderId);
    assert.notEqual(view.status, 'WAIT_PAY', 'reported only: the order is left as it is');
  });

  test('a failure whose callback was dropped is recorded; the shopper can pay again with another attempt', async () => {
    assert.equal((await h.knobs({ callbackDropRate: 1 })).status, 200);
    try {
      const { orderId } = await h.place('user74');
      const paymentId = await h.payAtBank('user74', orderId, 'failed');
      assert.equal((await h.order('user74', orderId)).payments[0].status, 'REQUIRES_CONFIRMATION');
      const run = await h.reconcile();
      assert.equal(run.body.repaired, 1, JSON.stringify(run.body));
      const view = await h.order('user74', orderId);
      assert.equal(view.payments[0].status, 'FAILED');
      assert.equal(view.status, 'WAIT_PAY');
      const found = (await h.reconciliation()).discrepancies.filter((d: any) => d.paymentId === paymentId);
      assert.deepEqual(
        found.map((d: any) => d.kind),
        ['FAILURE_NOT_RECORDED'],
      );
    } finally {
      await h.knobs({ callbackDropRate: 0 });
    }
  });

  test('a bad window is refused 400 and runs nothing', async () => {
    const runsBefore = (await h.reconciliation()).runs.length;
    const backwards = await h.reconcile({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    assert.equal(backwards.status, 400, JSON.stringify(backwards.body));
    assert.equal(backwards.body.error.code, 'VALIDATION_FAILED');
    const tooLong = await h.reconcile({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' });
    assert.equal(tooLong.status, 400);
    const garbage = await h.reconcile({ from: 'yesterday', to: '2026-01-01T00:00:00Z' });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.error.code, 'VALIDATION_FAILED');
    const unknown = await h.reconcile({ ...lastHour(), window: 5 });
    assert.equal(unknown.status, 400);
    const none = await h.reconcile({});
    assert.equal(none.status, 400, 'the window is always said');
    assert.equal((await h.reconciliation()).runs.length, runsBefore);
    const user = await h.t.call('POST', '/api/admin/payments/reconciliation', { as: 'user75', body: lastHour() });
    assert.ok([401, 403].includes(user.status), `a shopper may not run it (got ${user.status})`);
  });
}

/** The schedule itself: windows of 1 s, each reconciled 300 ms after it ends, by a delayed message per window. */
export function scheduledReconciliationCases(db: Db, env: Record<string, string> = {}): void {
  const h = paymentsHarness(() => ({ ORDERFLOW_RECONCILE_EVERY: '1s', ORDERFLOW_RECONCILE_LAG: '300ms', ...env }), db);

  test('a dropped callback is repaired by the next scheduled window, with no one asking', async () => {
    assert.equal((await h.knobs({ callbackDropRate: 1 })).status, 200);
    try {
      const { orderId } = await h.place('user76');
      const paymentId = await h.payAtBank('user76', orderId);
      let view: any;
      assert.ok(
        await waitUntil(async () => h.paidMessages((view = await h.order('user76', orderId))) === 1, 15_000, 100),
        JSON.stringify({ status: view?.status, payments: view?.payments }),
      );
      const state = await h.reconciliation();
      const found = state.discrepancies.find((d: any) => d.paymentId === paymentId);
      assert.equal(found?.kind, 'CAPTURED_NOT_SETTLED');
      const run = state.runs.find((r: any) => r.runId === found.runId);
      assert.equal(run?.startedBy, 'SCHEDULE', JSON.stringify(run));
      assert.deepEqual(state.settings, { everyMs: 1_000, lagMs: 300 });
    } finally {
      await h.knobs({ callbackDropRate: 0 });
    }
  });

  test('the windows follow one another: one run per window, each done, none overlapping the next', async () => {
    await sleep(2_500);
    const runs = (await h.reconciliation()).runs.filter((r: any) => r.startedBy === 'SCHEDULE' && r.status === 'DONE');
    assert.ok(runs.length >= 2, JSON.stringify(runs));
    const ordered = [...runs].sort((a: any, b: any) => Date.parse(a.windowStart) - Date.parse(b.windowStart));
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(Date.parse(ordered[i].windowStart) >= Date.parse(ordered[i - 1].windowEnd), JSON.stringify(ordered));
      assert.equal(new Set(ordered.map((r: any) => r.runId)).size, ordered.length);
    }
    const last = ordered.at(-1);
    assert.ok(Date.now() - Date.parse(last.windowEnd) < 3_000, `the chain goes on: last window ended ${last.windowEnd}`);
  });
}

/** The provider's callback knobs: late, doubled and reordered events still settle each payment once. */
export function callbackKnobCases(db: Db): void {
  const h = paymentsHarness(() => ({ ORDERFLOW_RECONCILE_EVERY: 'off' }), db);

  test('every event delivered twice, in a random order within 300 ms: each order is paid once, with one order_paid', async () => {
    assert.equal((await h.knobs({ callbackDuplicateRate: 1, callbackReorderMs: 300 })).status, 200);
    try {
      const before = await h.callbackStats();
      const users = ['user81', 'user82', 'user83', 'user84'];
      const orders = await Promise.all(users.map(async (user) => ({ user, ...(await h.place(user)) })));
      await Promise.all(orders.map(({ user, orderId }) => h.payAtBank(user, orderId)));
      // The order view reads the history and then the order's messages, so one view can show the message of a pay
      // that committed between the two reads without its transition: wait for both before counting.
      const paidTransitions = (view: any) => view.history.filter((e: { to: string }) => e.to === 'PAID').length;
      for (const { user, orderId } of orders) {
        let view: any;
        assert.ok(
          await waitUntil(
            async () => {
              view = await h.order(user, orderId);
              return h.paidMessages(view) >= 1 && paidTransitions(view) >= 1;
            },
            10_000,
            50,
          ),
          `${orderId}: ${JSON.stringify(view?.history)}`,
        );
      }
      assert.ok(
        await waitUntil(async () => (await h.callbackStats()).delivered >= before.delivered + 2 * orders.length, 5_000, 50),
        'both copies of every event were delivered',
      );
      const after = await h.callbackStats();
      assert.equal(after.duplicated - before.duplicated, orders.length);
      await sleep(300);
      for (const { user, orderId } of orders) {
        const view = await h.order(user, orderId);
        assert.equal(paidTransitions(view), 1, `${orderId}: paid once`);
        assert.equal(h.paidMessages(view), 1, `${orderId}: one order_paid`);
      }
    } finally {
      await h.knobs({ callbackDuplicateRate: 0, callbackReorderMs: 0 });
    }
  });

  test('a callback delay: the order waits for it, then is paid', async () => {
    assert.equal((await h.knobs({ callbackDelayMs: 1_500 })).status, 200);
    try {
      const { orderId } = await h.place('user85');
      await h.payAtBank('user85', orderId);
      await sleep(500);
      assert.equal((await h.order('user85', orderId)).status, 'WAIT_PAY', 'the callback is not due yet');
      assert.ok(await waitUntil(async () => (await h.order('user85', orderId)).status !== 'WAIT_PAY', 5_000, 50), 'paid once it came');
    } finally {
      await h.knobs({ callbackDelayMs: 0 });
    }
  });

  test('callback knobs are checked: out of range, or set on a vendor that calls nobody back, is a 400 naming the knob', async () => {
    const tooMuch = await h.knobs({ callbackDropRate: 2 });
    assert.equal(tooMuch.status, 400, JSON.stringify(tooMuch.body));
    assert.match(JSON.stringify(tooMuch.body.error), /callbackDropRate.*between 0 and 1/);
    const sms = await h.t.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { callbackDelayMs: 100 } });
    assert.equal(sms.status, 400, JSON.stringify(sms.body));
    assert.match(sms.body.error.message, /callbackDelayMs.*payment provider/);
    const knobs = (await h.t.call('GET', '/api/admin/third-parties/payment', { as: 'admin' })).body;
    assert.equal(knobs.callbackDropRate, 0, 'nothing changed');
    const smsKnobs = (await h.t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body;
    assert.equal('callbackDelayMs' in smsKnobs, false);
  });
}
