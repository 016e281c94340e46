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

/** Keeps this thread busy about `duty` of the time (spinning 2 ms in every 2 / duty ms) for `totalMs`. */
async function partlyBusy(totalMs: number, duty: number): Promise<void> {
  const end = Date.now() + totalMs;
  while (Date.now() < end) {
    const until = Date.now() + 2;
    while (Date.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 2 / duty - 2));
  }
}

test('a backlog is released in small steps while the thread serves a steady load, in large ones once it is calm', async () => {
  const gate = busyGate({ windowMs: 20, maxUtilization: 0.9, trickle: 0, calmUtilization: 0.1, steadyBatch: 1, calmBatch: 1_000 });
  let passed = 0;
  await spin(60, 30); // busy: a backlog forms
  const all = Array.from({ length: 200 }, () => gate.pass().then(() => passed++));
  await partlyBusy(300, 0.4); // steady: about one per 20 ms window
  const duringSteady = passed;
  assert.ok(duringSteady <= 30, `small steps under a steady load (${duringSteady} of 200 in 300 ms)`);
  assert.ok(duringSteady > 0, 'the backlog moves under a steady load');
  const calmFrom = Date.now();
  await Promise.all(all);
  assert.ok(Date.now() - calmFrom < 200, `released in one large step once calm (${Date.now() - calmFrom} ms)`);
  gate.close();
});

test('closing lets everything waiting through', async () => {
  const gate = busyGate({ windowMs: 10, maxUtilization: 0.01, trickle: 0 });
  await spin(40);
  const waiting = Promise.all([gate.pass(), gate.pass()]);
  gate.close();
  await waiting;
});
