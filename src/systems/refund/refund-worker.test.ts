import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { MessageView } from '../../mq/index.js';
import { VendorError, VendorErrorCode, type VendorClient } from '../../third-parties/index.js';
import type { OrderStatus } from '../order/index.js';
import type { OrderRefundEvent } from '../shared/topics.js';
import { onRefund, REFUND_MAX_RECONSUME_TIMES, type OrderRefunds, type RefundWorkerDeps } from './refund-worker.js';
import { refundBreakerOpenMs } from './payment-client.js';

const logger = pino({ level: 'silent' });
const event: OrderRefundEvent = {
  refundId: 'R1',
  orderId: 'O1',
  userId: 'u1',
  paymentId: 'PAY-O1',
  amountCents: 4980,
  reason: null,
  requestedAt: 0,
};
const message = (deliveryAttempt: number, body: OrderRefundEvent = event) =>
  ({ body: Buffer.from(JSON.stringify(body)), deliveryAttempt }) as MessageView;

/** A fake order system and provider that record what the worker asked of them. */
function harness(status: OrderStatus | undefined, provider: () => Promise<unknown>) {
  const calls: string[] = [];
  const orders: OrderRefunds = {
    status: async () => status,
    complete: async (refundId, providerRefundId) => calls.push(`complete ${refundId} ${providerRefundId}`),
    fail: async (refundId) => calls.push(`fail ${refundId}`),
  };
  const payment = {
    name: 'payment',
    post: async (path: string, body: Record<string, unknown>, options: { idempotencyKey: string }) => {
      calls.push(`POST ${path} ${body.amount} key=${options.idempotencyKey}`);
      return provider();
    },
  } as unknown as VendorClient;
  const mq = { pushConsumer: async () => assert.fail('not used') } as unknown as RefundWorkerDeps['mq'];
  const deps: RefundWorkerDeps = { mq, payment, orders, logger };
  return { calls, run: (m: MessageView) => onRefund(deps, logger, m) };
}

const down = () => Promise.reject(new VendorError(VendorErrorCode.DOWN, 'payment', 'down', { retriable: true, status: 503 }));

test('refund worker: pays the total back with the refundId as idempotency key, then completes the refund', async () => {
  const h = harness('REFUNDING', async () => ({ refundId: 're_1' }));
  assert.equal(await h.run(message(1)), 'SUCCESS');
  assert.deepEqual(h.calls, ['POST /refunds 49.8 key=R1', 'complete R1 re_1']);
});

test('refund worker: a provider failure before the last attempt is RETRY_LATER and leaves the order REFUNDING', async () => {
  const h = harness('REFUNDING', down);
  assert.equal(await h.run(message(REFUND_MAX_RECONSUME_TIMES)), 'RETRY_LATER');
  assert.deepEqual(h.calls, ['POST /refunds 49.8 key=R1']);
});

test('refund worker: on the last attempt the order is marked REFUND_FAILED before the message goes to the DLQ', async () => {
  const h = harness('REFUNDING', down);
  assert.equal(await h.run(message(REFUND_MAX_RECONSUME_TIMES + 1)), 'RETRY_LATER');
  assert.deepEqual(h.calls, ['POST /refunds 49.8 key=R1', 'fail R1']);
});

test('refund worker: a refusal (4xx) shows REFUND_FAILED at once and still ends in the DLQ', async () => {
  const h = harness('REFUNDING', () =>
    Promise.reject(new VendorError(VendorErrorCode.REJECTED, 'payment', 'bad', { retriable: false, status: 400 })),
  );
  assert.equal(await h.run(message(1)), 'RETRY_LATER');
  assert.deepEqual(h.calls, ['POST /refunds 49.8 key=R1', 'fail R1']);
});

test('refund worker: a redelivery of a refunded order calls nobody; a replay of a failed one pays and completes', async () => {
  const refunded = harness('REFUNDED', async () => assert.fail('must not call the provider'));
  assert.equal(await refunded.run(message(2)), 'SUCCESS');
  assert.deepEqual(refunded.calls, []);
  const replayed = harness('REFUND_FAILED', async () => ({ refundId: 're_1' }));
  assert.equal(await replayed.run(message(1)), 'SUCCESS');
  assert.deepEqual(replayed.calls, ['POST /refunds 49.8 key=R1', 'complete R1 re_1']);
});

test('refund worker: a free order completes without the provider; an unknown refund is dropped', async () => {
  const free = harness('REFUNDING', async () => assert.fail('nothing to pay back'));
  assert.equal(await free.run(message(1, { ...event, amountCents: 0 })), 'SUCCESS');
  assert.deepEqual(free.calls, ['complete R1 null']);
  const unknown = harness(undefined, async () => assert.fail('unknown refund'));
  assert.equal(await unknown.run(message(1)), 'SUCCESS');
  assert.deepEqual(unknown.calls, []);
});

test('refund worker: the circuit never stays open longer than the first retry back-off', () => {
  assert.equal(refundBreakerOpenMs(1), 5_000); // production: the vendor client's usual 5 s (first retry after 10 s)
  assert.equal(refundBreakerOpenMs(0.01), 100); // tests: first retry after 100 ms
});
