import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { createMessaging, type DeadLetter } from '../../mq/index.js';
import type { Refund, VendorClient } from '../../third-parties/index.js';
import { OrderStatus } from '../order/index.js';
import { Groups, type OrderRefundEvent, Tags, Topics } from '../shared/topics.js';
import { DEAD_LETTERED_REASON, watchRefundDeadLetters } from './refund-dlq-watcher.js';
import { createRefundWorker, REFUND_MAX_RECONSUME_TIMES, type OrderRefunds } from './refund-worker.js';

const logger = pino({ level: 'silent' });

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** An order system's refunds API with the real one's guarded transitions, recording every call. */
function fakeOrders(statuses: Record<string, OrderStatus>) {
  const calls: string[] = [];
  const reasons: string[] = [];
  const orders: OrderRefunds = {
    status: async (refundId) => {
      calls.push(`status ${refundId}`);
      return statuses[refundId];
    },
    complete: async (refundId) => {
      calls.push(`complete ${refundId}`);
      if (statuses[refundId] === 'REFUNDING' || statuses[refundId] === 'REFUND_FAILED') statuses[refundId] = 'REFUNDED';
      return statuses[refundId];
    },
    fail: async (refundId, reason) => {
      calls.push(`fail ${refundId}`);
      reasons.push(reason);
      if (statuses[refundId] === 'REFUNDING') statuses[refundId] = 'REFUND_FAILED';
      return statuses[refundId];
    },
  };
  return { orders, calls, reasons, statuses };
}

test('refund DLQ watcher, real embedded broker: the last delivery never answers (its lease expires), the broker dead-letters the refund, the watcher marks it REFUND_FAILED once; a replay ends it REFUNDED, paid once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-refund-dlq-'));
  const mq = await createMessaging({ engine: 'embedded', dataDir: dir, retryBackoffScale: 0.01 });
  let releaseHung: (error: Error) => void = () => undefined;
  try {
    await mq.admin.createTopic({ name: Topics.ORDER_REFUND, type: 'TRANSACTION' });
    const { orders, calls, reasons, statuses } = fakeOrders({ R1: 'REFUNDING' });
    // The provider: down for the first attempts; the last attempt hangs (a worker stuck or gone); after the replay it pays.
    let providerCalls = 0;
    let paid = 0;
    const payment = {
      name: 'payment',
      post: async () => {
        providerCalls++;
        if (providerCalls <= REFUND_MAX_RECONSUME_TIMES) throw new Error('provider down');
        if (providerCalls === REFUND_MAX_RECONSUME_TIMES + 1) return new Promise<Refund>((_, reject) => (releaseHung = reject));
        paid++;
        return { refundId: 're_1' } as Refund;
      },
    } as unknown as VendorClient;
    const worker = await createRefundWorker({ mq, payment, orders, logger, consumeTimeoutMs: 400, dlqWatchIntervalMs: 100 });
    try {
      const event: OrderRefundEvent = {
        refundId: 'R1',
        orderId: 'O1',
        userId: 'u1',
        paymentId: 'PAY-O1',
        amountCents: 1_000,
        reason: null,
        requestedAt: Date.now(),
      };
      const producer = await mq.producer({ transactionChecker: () => 'COMMIT' });
      await producer.sendInTransaction(
        { topic: Topics.ORDER_REFUND, tag: Tags.REFUND, keys: ['R1', 'O1'], body: JSON.stringify(event) },
        () => 'COMMIT',
      );
      await producer.close();

      let letters: DeadLetter[] = [];
      assert.ok(
        await waitUntil(async () => (letters = await mq.admin.listDeadLetters({ group: Groups.REFUND_WORKER })).length === 1, 15_000),
        'the broker dead-lettered the refund',
      );
      assert.equal(providerCalls, REFUND_MAX_RECONSUME_TIMES + 1, 'every delivery reached the worker; the last one never answered');
      assert.ok(await waitUntil(() => statuses.R1 === 'REFUND_FAILED', 5_000), `the watcher marked the order: ${JSON.stringify(calls)}`);
      assert.deepEqual(reasons, [DEAD_LETTERED_REASON], 'marked by the watcher, not by the worker');
      await new Promise((r) => setTimeout(r, 400)); // several more sweeps
      assert.equal(calls.filter((c) => c.startsWith('fail')).length, 1, 'marked once, however many sweeps');
      assert.equal(
        calls.filter((c) => c === 'status R1').length,
        REFUND_MAX_RECONSUME_TIMES + 1 + 1,
        'each delivery looked once, and the watcher once: a known letter costs no lookup',
      );

      await mq.admin.replayDeadLetter(letters[0].messageId, Groups.REFUND_WORKER);
      assert.ok(await waitUntil(() => statuses.R1 === 'REFUNDED', 10_000), `the replay completed the refund: ${JSON.stringify(calls)}`);
      assert.equal(paid, 1, 'paid back once');
      // The hung attempt answers at last (a failure, on what was its last delivery): the order stays REFUNDED.
      releaseHung(new Error('provider timeout'));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(statuses.R1, 'REFUNDED');
      assert.equal(paid, 1);
    } finally {
      releaseHung(new Error('test over'));
      await worker.close();
    }
  } finally {
    await mq.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('refund DLQ watcher: only letters waiting for replay whose order is still REFUNDING are marked; each letter is looked at once; a failed mark is tried again', async () => {
  const letter = (messageId: string, refundId: string | null, extra: Partial<DeadLetter> = {}): DeadLetter => ({
    messageId,
    group: Groups.REFUND_WORKER,
    originTopic: Topics.ORDER_REFUND,
    keys: [],
    reconsumeTimes: 6,
    deadAt: new Date(1_000),
    body: Buffer.from(refundId === null ? 'not json' : JSON.stringify({ refundId })),
    ...extra,
  });
  const listed: DeadLetter[] = [
    letter('m1', 'R-stuck'),
    letter('m2', 'R-done'),
    letter('m3', 'R-failed'),
    letter('m4', 'R-replayed', { replayedAt: new Date(2_000) }),
    letter('m5', null),
    letter('m6', 'R-flaky'),
  ];
  const asked: { group?: string }[] = [];
  const admin = { listDeadLetters: async (options?: { group?: string; limit?: number }) => (asked.push(options ?? {}), listed) };
  const fake = fakeOrders({
    'R-stuck': 'REFUNDING',
    'R-done': 'REFUNDED',
    'R-failed': 'REFUND_FAILED',
    'R-replayed': 'REFUNDING',
    'R-flaky': 'REFUNDING',
  });
  let flaky = true;
  const fail = fake.orders.fail;
  fake.orders.fail = async (refundId, reason) => {
    if (refundId === 'R-flaky' && flaky) throw new Error('order database unavailable');
    return fail(refundId, reason);
  };
  const watcher = watchRefundDeadLetters({ admin, orders: fake.orders, logger, intervalMs: 3_600_000 });
  try {
    await new Promise((r) => setTimeout(r, 20)); // the start-up sweep
    await watcher.sweep(); // and one more: the next timed one is an hour away
    fake.calls.length = 0;
    const statusesBefore = { ...fake.statuses };
    flaky = true;
    const again = await watcher.sweep();
    assert.equal(asked[0].group, Groups.REFUND_WORKER, 'only the refund group is listed');
    assert.deepEqual(again, { letters: 5, looked: 1, marked: 0 }, 'only the letter whose mark failed is looked at again');
    assert.deepEqual(fake.calls, ['status R-flaky']);
    assert.deepEqual(fake.statuses, statusesBefore);
    assert.equal(fake.statuses['R-stuck'], 'REFUND_FAILED');
    assert.equal(fake.statuses['R-done'], 'REFUNDED', 'a refunded order is left alone');
    assert.equal(fake.statuses['R-replayed'], 'REFUNDING', 'a replayed letter is left to its redelivery');
    flaky = false;
    assert.deepEqual(await watcher.sweep(), { letters: 5, looked: 1, marked: 1 });
    assert.equal(fake.statuses['R-flaky'], 'REFUND_FAILED');
    assert.deepEqual(await watcher.sweep(), { letters: 5, looked: 0, marked: 0 }, 'nothing left to look at');
    // The same message dead-lettered again later (replayed, failed again) is a new letter.
    fake.statuses['R-stuck'] = 'REFUNDING';
    listed.push(letter('m1', 'R-stuck', { deadAt: new Date(5_000) }));
    assert.deepEqual(await watcher.sweep(), { letters: 6, looked: 1, marked: 1 });
  } finally {
    await watcher.close();
  }
});
