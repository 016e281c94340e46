import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { createRpc } from './rpc.js';

test('rpc: calls made in one turn cross as one port message, each gets its own answer, errors keep their code', async () => {
  const { port1, port2 } = new MessageChannel();
  let portMessages = 0;
  port2.on('message', () => portMessages++);
  createRpc(port2, {
    double: (n: number) => n * 2,
    later: async (n: number) => (await new Promise((r) => setTimeout(r, 5)), n + 1),
    refuse: () => {
      throw Object.assign(new Error('no such order'), { code: 'NOT_FOUND' });
    },
    bytes: (b: Uint8Array) => Buffer.from(b).toString(),
  });
  const caller = createRpc(port1, {});
  try {
    const doubled = await Promise.all(Array.from({ length: 100 }, (_, i) => caller.call<number>('double', i)));
    assert.deepEqual(doubled, Array.from({ length: 100 }, (_, i) => i * 2));
    assert.equal(portMessages, 1, 'the 100 calls of one turn are one port message');
    assert.deepEqual(await Promise.all([caller.call('later', 1), caller.call('double', 4)]), [2, 8]);
    await assert.rejects(caller.call('refuse'), { message: 'no such order', code: 'NOT_FOUND' });
    await assert.rejects(caller.call('missing'), /no handler for 'missing'/);
    assert.equal(await caller.call('bytes', Buffer.from('héllo')), 'héllo');
  } finally {
    port1.close();
  }
});
