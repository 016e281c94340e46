import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsumeResult } from 'rocketmq-client-nodejs';
import { retryDelayMs } from '../backoff.js';
import { PushClient } from './push-client.js';

const clientOptions = {
  endpoints: '127.0.0.1:1', // never started: the retry policy is read without a server
  namespace: '',
  consumerGroup: 'push-client-test',
  subscriptions: new Map<string, string>(),
  messageListener: { consume: async () => ConsumeResult.SUCCESS },
};

test('push client: without a back-off the server could give, a failed message is hidden for its delay level, scaled', () => {
  const policy = new PushClient(clientOptions, { scale: 0.1, maxReconsumeTimes: 5 }).getRetryPolicy();
  assert.ok(policy, 'a concurrent group has a retry policy');
  // The client asks after attempt n (from 1) and hands the answer to changeInvisibleDuration, in milliseconds.
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => policy.getNextAttemptDelay(attempt)),
    [1_000, 3_000, 6_000, 12_000, 18_000],
  );
  assert.equal(policy.getNextAttemptDelay(1), retryDelayMs(0, 0.1));
  assert.equal(policy.getMaxAttempts(), 6, 'one delivery and maxReconsumeTimes redeliveries');
  assert.equal(policy.getNextAttemptDelay(6), 0, 'after the last attempt the broker dead-letters it at once');
  const production = new PushClient(clientOptions, { scale: 1, maxReconsumeTimes: 16 }).getRetryPolicy();
  assert.deepEqual(
    [1, 2, 3, 15, 16].map((attempt) => production?.getNextAttemptDelay(attempt)),
    [10_000, 30_000, 60_000, 3_600_000, 7_200_000],
    "RocketMQ's levels from 10 s up to 2 h",
  );
});

test('push client: a FIFO group gets no client-side policy (the client would retry its messages in place itself)', () => {
  assert.equal(new PushClient(clientOptions).getRetryPolicy(), undefined);
});
