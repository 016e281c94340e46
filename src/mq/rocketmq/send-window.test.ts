import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendWindow } from './send-window.js';

test('at most `size` requests run at once; the others start in order as slots free up, each settling as its own', async () => {
  const window = new SendWindow(3);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      window.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2 + (i % 3)));
        running--;
        if (i === 7) throw new Error('request 7 failed');
        return i;
      }),
    ),
  );
  assert.equal(most, 3);
  assert.deepEqual(
    started,
    Array.from({ length: 20 }, (_, i) => i),
    'first come, first started',
  );
  assert.equal(results[7].status, 'rejected');
  assert.deepEqual(
    results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value),
    Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7),
  );
  assert.equal(window.waiting, 0);
});

test('a request that throws synchronously frees its slot', async () => {
  const window = new SendWindow(1);
  await assert.rejects(
    window.run(() => {
      throw new Error('at once');
    }),
    /at once/,
  );
  assert.equal(await window.run(async () => 'next'), 'next');
});
