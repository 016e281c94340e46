import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { exitGracefullyOnSignals, type ShutdownOptions } from './graceful-shutdown.js';

function harness(close: () => Promise<void>, timeoutMs = 200) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const errors: { fields: object; message: string }[] = [];
  const logger: ShutdownOptions['logger'] = { info() {}, error: (fields, message) => void errors.push({ fields, message }) };
  exitGracefullyOnSignals({
    close,
    stillRunning: () => ({ step: 'downstream worker' }),
    logger,
    timeoutMs,
    signals,
    exit: (code) => void exits.push(code),
  });
  return { signals, exits, errors };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('SIGTERM: closes, then exits 0', async () => {
  let closed = 0;
  const { signals, exits } = harness(async () => void closed++);
  signals.emit('SIGTERM');
  await sleep(10);
  assert.equal(closed, 1);
  assert.deepEqual(exits, [0]);
});

test('a close that never finishes: past the bound, what was still running is logged and the exit code is 1', async () => {
  const { signals, exits, errors } = harness(() => new Promise(() => {}), 100);
  signals.emit('SIGINT');
  await sleep(30);
  assert.deepEqual(exits, [], 'not before the bound');
  await sleep(120);
  assert.deepEqual(exits, [1]);
  assert.deepEqual((errors[0].fields as { stillRunning: unknown }).stillRunning, { step: 'downstream worker' });
});

test('a second SIGTERM or SIGINT exits at once, with 128 + the signal number', async () => {
  for (const [second, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    let closes = 0;
    const { signals, exits } = harness(() => (closes++, new Promise(() => {})), 500);
    signals.emit('SIGTERM');
    signals.emit(second);
    assert.deepEqual(exits, [code]);
    assert.equal(closes, 1, 'the second signal does not start another close');
  }
});

test('a close that fails exits 1', async () => {
  const { signals, exits } = harness(() => Promise.reject(new Error('disk gone')));
  signals.emit('SIGTERM');
  await sleep(10);
  assert.deepEqual(exits, [1]);
});
