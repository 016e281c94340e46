import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { createRpc, type Rpc } from './rpc.js';

/** What the serving side of the test offers. */
interface Served {
  double(n: number): number;
  later(n: number): Promise<number>;
  refuse(): never;
  bytes(b: Uint8Array): string;
}

test('rpc: calls made in one turn cross as one port message, each gets its own answer, errors keep their code', async () => {
  const { port1, port2 } = new MessageChannel();
  let portMessages = 0;
  port2.on('message', () => portMessages++);
  createRpc<Served, Record<never, never>>(port2, {
    double: (n) => n * 2,
    later: async (n) => (await new Promise((r) => setTimeout(r, 5)), n + 1),
    refuse: () => {
      throw Object.assign(new Error('no such order'), { code: 'NOT_FOUND' });
    },
    bytes: (b) => Buffer.from(b).toString(),
  });
  const caller = createRpc<Record<never, never>, Served>(port1, {});
  try {
    const doubled = await Promise.all(Array.from({ length: 100 }, (_, i) => caller.call('double', i)));
    assert.deepEqual(
      doubled,
      Array.from({ length: 100 }, (_, i) => i * 2),
    );
    assert.equal(portMessages, 1, 'the 100 calls of one turn are one port message');
    assert.deepEqual(await Promise.all([caller.call('later', 1), caller.call('double', 4)]), [2, 8]);
    await assert.rejects(caller.call('refuse'), { message: 'no such order', code: 'NOT_FOUND' });
    // A caller whose types promise a method the other side lacks (two sides built from different code) is told so.
    await assert.rejects((caller as unknown as Rpc<{ missing(): void }>).call('missing'), /no handler for 'missing'/);
    await assert.rejects((caller as unknown as Rpc<{ toString(): string }>).call('toString'), /no handler for 'toString'/);
    assert.equal(await caller.call('bytes', Buffer.from('héllo')), 'héllo');
  } finally {
    port1.close();
  }
});

/** Never run: `npm run typecheck` fails if a call's method, arguments or result stop being checked. */
export function callsAreTyped(caller: Rpc<Served>): void {
  // @ts-expect-error no such method on the other side
  void caller.call('missing');
  // @ts-expect-error wrong argument type
  void caller.call('double', 'two');
  // @ts-expect-error missing argument
  void caller.call('later');
  void caller.call('double', 2).then((n: number) => n);
  // @ts-expect-error the result is a number, not a string
  void caller.call('double', 2).then((n: string) => n);
}
