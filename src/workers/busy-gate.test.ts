import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyGate } from './busy-gate.js';

/** Keeps this thread's event loop busy (synchronous spinning) for `ms`, in slices, for `totalMs`. */
async function spin(totalMs: number, sliceMs = 15): Promise<void> {
  const end = Date.now() + totalMs;
  while (Date.now() < end) {
    const until = Date.now() + sliceMs;
    while (Date.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('an idle thread lets background work through at once', async () => {
  const gate = busyGate({ windowMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const started = Date.now();
  await gate.pass();
  assert.ok(Date.now() - started < 5);
  gate.close();
});

test('a busy thread holds background work back to a trickle, then lets it all through once calm', async () => {
  const gate = busyGate({ windowMs: 10, maxUtilization: 0.5, trickle: 1 });
  let passed = 0;
  const busy = spin(300);
  await new Promise((resolve) => setTimeout(resolve, 40)); // at least one busy window measured
  const all = Array.from({ length: 200 }, () => gate.pass().then(() => passed++));
  await busy;
  const duringBusy = passed;
  assert.ok(duringBusy < 60, `only a trickle passes while busy (${duringBusy} of 200)`);
  assert.ok(duringBusy > 0, 'the trickle never stops');
  await Promise.all(all);
  assert.equal(passed, 200);
  gate.close();
});

test('closing lets everything waiting through', async () => {
  const gate = busyGate({ windowMs: 10, maxUtilization: 0.01, trickle: 0 });
  await spin(40);
  const waiting = Promise.all([gate.pass(), gate.pass()]);
  gate.close();
  await waiting;
});
