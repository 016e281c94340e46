import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

/** The breaker's own rules, on a clock the test moves (the HTTP behaviour is in vendor-client.test.ts). */
function breaker(failureThreshold = 3, openMs = 1_000) {
  const clock = { now: 0 };
  const changes: CircuitState[] = [];
  const subject = new CircuitBreaker({ failureThreshold, openMs, now: () => clock.now, onStateChange: (to) => changes.push(to) });
  return { subject, clock, changes };
}

test('breaker: stays closed below the threshold and opens on the N-th consecutive failure', () => {
  const { subject, changes } = breaker(3);
  subject.failure(subject.acquire()!);
  subject.failure(subject.acquire()!);
  assert.equal(subject.state(), 'CLOSED');
  subject.failure(subject.acquire()!);
  assert.equal(subject.state(), 'OPEN');
  assert.equal(subject.acquire(), undefined, 'an open circuit grants no call');
  assert.deepEqual(changes, ['OPEN']);
});

test('breaker: half-opens exactly when openMs has passed and grants a single trial', () => {
  const { subject, clock } = breaker(1, 1_000);
  subject.failure(subject.acquire()!);
  clock.now = 999;
  assert.equal(subject.state(), 'OPEN');
  assert.equal(subject.retryInMs(), 1);
  clock.now = 1_000;
  assert.equal(subject.state(), 'HALF_OPEN');
  const trial = subject.acquire();
  assert.deepEqual(trial, { trial: true });
  assert.equal(subject.acquire(), undefined, 'a second caller fails fast while the trial is in flight');
  assert.equal(subject.state(), 'HALF_OPEN');
  subject.success(trial!);
  assert.equal(subject.state(), 'CLOSED');
});

test('breaker: a failed trial reopens for a full openMs from the failure', () => {
  const { subject, clock, changes } = breaker(1, 1_000);
  subject.failure(subject.acquire()!);
  clock.now = 5_000;
  const trial = subject.acquire()!;
  clock.now = 5_300; // the trial took a while
  subject.failure(trial);
  clock.now = 6_299;
  assert.equal(subject.state(), 'OPEN');
  clock.now = 6_300;
  assert.equal(subject.state(), 'HALF_OPEN');
  assert.deepEqual(changes, ['OPEN', 'HALF_OPEN', 'OPEN']);
});

test('breaker: late answers of calls made before it opened do not decide anything', () => {
  const { subject } = breaker(2);
  const early = [subject.acquire()!, subject.acquire()!, subject.acquire()!];
  subject.failure(early[0]);
  subject.failure(early[1]);
  assert.equal(subject.state(), 'OPEN');
  subject.success(early[2]); // only a trial may close the circuit
  assert.equal(subject.state(), 'OPEN');
});
