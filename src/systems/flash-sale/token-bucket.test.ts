import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.js';

/** Most grants in any window [t, t + 1000 ms) of the given times. */
function maxInOneSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= 1_000) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

test('token bucket: no one-second window, wherever it falls, gets more than the rate', async () => {
  const bucket = new TokenBucket({ rate: 40 });
  const times: number[] = [];
  await Promise.all(Array.from({ length: 100 }, () => bucket.take().then(() => times.push(performance.now()))));
  assert.equal(times.length, 100);
  const max = maxInOneSecond(times);
  assert.ok(max <= 40, `${max} grants in one second`);
  assert.ok(max >= 34, `the bucket should run close to its rate, got ${max}`);
});

test('token bucket: the window bound holds at the start too (burst + refill ≤ rate), with a virtual clock', async () => {
  let now = 0;
  const bucket = new TokenBucket({ rate: 200, now: () => now });
  assert.equal(bucket.burst, 10);
  let granted = 0;
  // Take as fast as tokens exist over one second of virtual time, 1 ms steps.
  for (; now < 1_000; now += 1) while (bucket.tryTake()) granted++;
  assert.equal(granted, 199, 'burst 10 + 190/s refill − the token due at 1000 ms: one below the rate');
});

test('token bucket: close rejects the waiters and later takes', async () => {
  const bucket = new TokenBucket({ rate: 1 });
  await bucket.take();
  const waiting = bucket.take();
  bucket.close();
  await assert.rejects(waiting, /closed/);
  await assert.rejects(bucket.take(), /closed/);
});

test('token bucket: options are checked', () => {
  assert.throws(() => new TokenBucket({ rate: 0 }), /rate must be/);
  assert.throws(() => new TokenBucket({ rate: 10, burst: 11 }), /burst must be/);
});
