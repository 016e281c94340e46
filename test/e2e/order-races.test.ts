import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { sleep, waitUntil } from '../support/wait.js';

const PAY_TIMEOUT_MS = 3_000;
const SKU = 'SKU-1003';
const ENDS = ['PAID', 'CANCELLED', 'CLOSED'];

type Stock = { available: number; reserved: number; sold: number };

/**
 * Races on one order decided by its guarded updates (docs/architecture.md, "Order states"): whichever transition
 * commits first wins, the others change nothing. Over real HTTP, on SQLite and on MariaDB/MySQL (where the requests
 * really run at once, on separate connections).
 */
for (const db of ['sqlite', 'mysql'] as const) {
  describe(`order races on ${db === 'sqlite' ? 'SQLite' : 'MariaDB/MySQL'}`, {
    skip: db === 'mysql' && !process.env.MYSQL_URL ? 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' : false,
  }, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ ORDERFLOW_PAY_TIMEOUT: `${PAY_TIMEOUT_MS / 1000}s` }, db);
    });
    after(async () => t?.stop());

    const stock = async (): Promise<Stock> => (await t.call('GET', '/api/skus')).body.find((s: { skuId: string }) => s.skuId === SKU).stock;
    const place = async (user: string) => {
      const placed = await t.call('POST', '/api/orders', { as: user, body: { userId: user, items: [{ skuId: SKU, quantity: 1 }] } });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      return placed.body.orderId as string;
    };
    const order = async (user: string, orderId: string) => (await t.call('GET', `/api/orders/${orderId}`, { as: user })).body;
    /** Transitions out of WAIT_PAY in the order's history: exactly one once it is decided. */
    const exits = (o: { history: { from: string | null; to: string }[] }) => o.history.filter((h) => h.from === 'WAIT_PAY');

    test('concurrent double pay (10 orders, each paid twice at once): each order PAID once, its stock sold once, one order_paid', async () => {
      const users = Array.from({ length: 10 }, (_, i) => `user${41 + i}`);
      const before = await stock();
      const ids = await Promise.all(users.map(place));
      const answers = await Promise.all(
        ids.flatMap((id, i) => [0, 1].map(() => t.call('POST', `/api/orders/${id}/pay`, { as: users[i], body: {} }))),
      );
      for (const a of answers) assert.ok(a.status === 200 || a.status === 409, `a pay answered ${a.status} ${JSON.stringify(a.body)}`);
      for (const [i, id] of ids.entries()) {
        assert.ok(
          answers.slice(i * 2, i * 2 + 2).some((a) => a.status === 200),
          `neither pay of ${id} succeeded: ${JSON.stringify(answers.slice(i * 2, i * 2 + 2))}`,
        );
        const o = await order(users[i], id);
        assert.ok(['PAID', 'SHIPPED'].includes(o.status), `${id} is ${o.status}`);
        assert.equal(exits(o).length, 1, `one transition out of WAIT_PAY for ${id}: ${JSON.stringify(o.history)}`);
      }
      const now = await stock();
      assert.deepEqual(now, { ...before, available: before.available - 10, sold: before.sold + 10 }, 'ten units sold, none twice');
      await sleep(1_000); // the messages of a second pay, were there one, would be stored by now
      for (const [i, id] of ids.entries()) {
        const paid = (await order(users[i], id)).messages.filter((m: { topic: string }) => m.topic === 'order_paid');
        assert.equal(paid.length, 1, `one order_paid for ${id}`);
      }
    });

    test(`pay, cancel and close at the deadline (${PAY_TIMEOUT_MS / 1000} s) race on 10 orders: each ends in exactly one of them, and the stock follows it`, async () => {
      const users = Array.from({ length: 10 }, (_, i) => `user${61 + i}`);
      const before = await stock();
      const placedAt = Date.now();
      const ids = await Promise.all(users.map(place));
      // Pay and cancel fired together at the deadline, when the close (the delayed order_timeout message) is due too.
      await sleep(Math.max(0, placedAt + PAY_TIMEOUT_MS - Date.now()));
      const answers = await Promise.all(
        ids.map((id, i) =>
          Promise.all([
            t.call('POST', `/api/orders/${id}/pay`, { as: users[i], body: {} }),
            t.call('POST', `/api/orders/${id}/cancel`, { as: users[i], body: {} }),
          ]),
        ),
      );
      const decided = async () => (await Promise.all(ids.map((id, i) => order(users[i], id)))).every((o) => o.status !== 'WAIT_PAY');
      assert.ok(await waitUntil(decided, 15_000, 200), 'every order was decided (the close comes at the deadline)');
      await sleep(1_000);
      const ends: Record<string, number> = {};
      let paid = 0;
      for (const [i, id] of ids.entries()) {
        const o = await order(users[i], id);
        const out = exits(o);
        assert.equal(out.length, 1, `exactly one transition out of WAIT_PAY for ${id}: ${JSON.stringify(o.history)}`);
        const end = out[0].to;
        assert.ok(ENDS.includes(end), `${id} ended ${end}`);
        ends[end] = (ends[end] ?? 0) + 1;
        const [pay, cancel] = answers[i];
        // A pay that loses still answers the truth: 409, or 200 with the order's status (its payment is then refunded).
        assert.ok([200, 409].includes(pay.status), `the pay of ${id} answered ${pay.status} ${JSON.stringify(pay.body)}`);
        if (end === 'PAID')
          assert.ok(
            pay.status === 200 && ['PAID', 'SHIPPED'].includes(pay.body.status),
            `${id} PAID, its pay answered ${JSON.stringify(pay.body)}`,
          );
        else if (pay.status === 200)
          assert.equal(pay.body.status, end, `the pay of ${id} answered ${JSON.stringify(pay.body)} but the order ended ${end}`);
        assert.equal(cancel.status === 200, end === 'CANCELLED', `the cancel of ${id} answered ${cancel.status} but it ended ${end}`);
        const paidMessages = o.messages.filter((m: { topic: string }) => m.topic === 'order_paid').length;
        assert.equal(paidMessages, end === 'PAID' ? 1 : 0, `order_paid messages for ${id}, which ended ${end}`);
        if (end === 'PAID') paid++;
      }
      const now = await stock();
      assert.deepEqual(
        now,
        { available: before.available - paid, reserved: before.reserved, sold: before.sold + paid },
        `the stock follows the outcomes ${JSON.stringify(ends)}: units of paid orders sold, the others back`,
      );
    });
  });
}
