import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from '../backoff.js';
import { DelayLevelsPolicy } from './push-client.js';

// The policy alone: a PushClient, even never started, keeps the process alive (its gRPC channel retries connecting).
// The contract suite's retry and DLQ cases use it through a real client.
test('push client retry policy: a failed message is hidden for its delay level, scaled; after the last attempt, not at all', () => {
  const policy = new DelayLevelsPolicy(0.1, 5);
  // The client asks after attempt n (from 1) and hands the answer to changeInvisibleDuration, in milliseconds.
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => policy.getNextAttemptDelay(attempt)),
    [1_000, 3_000, 6_000, 12_000, 18_000],
  );
  assert.equal(policy.getNextAttemptDelay(1), retryDelayMs(0, 0.1));
  assert.equal(policy.getMaxAttempts(), 6, 'one delivery and maxReconsumeTimes redeliveries');
  assert.equal(policy.getNextAttemptDelay(6), 0, 'after the last attempt the broker dead-letters it at once');
  const production = new DelayLevelsPolicy(1, 16);
  assert.deepEqual(
    [1, 2, 3, 15, 16].map((attempt) => production.getNextAttemptDelay(attempt)),
    [10_000, 30_000, 60_000, 3_600_000, 7_200_000],
    "RocketMQ's levels from 10 s up to 2 h",
  );
});
