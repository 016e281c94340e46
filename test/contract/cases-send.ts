import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMqError, MqErrorCode, type MessageView, type SendResult } from '../../src/mq/index.js';
import { sleep, unique, waitUntil } from '../support/wait.js';
import type { ContractContext } from './context.js';

/** Send modes and bad input: every engine must pass these. */
export function sendCases(ctx: ContractContext): void {
  test('send: a synchronous send resolves with the stored message id, and the message arrives intact', async () => {
    const mq = ctx.mq();
    const topic = unique('sync');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL', queues: 2 });
    const producer = await mq.producer({ topics: [topic] });
    const result = await producer.send({ topic, tag: 'A', keys: ['order-1'], properties: { a: '1' }, body: 'hello' });
    assert.equal(typeof result.messageId, 'string');
    assert.ok(result.messageId.length > 0);
    assert.equal(result.topic, topic);
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' } });
    const got = await receiveAll(pull, 1);
    assert.equal(got.length, 1);
    assert.equal(got[0].messageId, result.messageId);
    assert.equal(got[0].body.toString(), 'hello');
    assert.equal(got[0].tag, 'A');
    assert.deepEqual(got[0].keys, ['order-1']);
    assert.equal(got[0].properties.a, '1');
    assert.equal(got[0].deliveryAttempt, 1);
  });

  test('sendAsync: onSuccess is called exactly once with the result, and never onException', async () => {
    const mq = ctx.mq();
    const topic = unique('async');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const successes: SendResult[] = [];
    const failures: Error[] = [];
    const returned = producer.sendAsync(
      { topic, body: 'x' },
      { onSuccess: (r) => successes.push(r), onException: (e) => failures.push(e) },
    );
    assert.equal(returned, undefined);
    assert.equal(successes.length, 0, 'the callback must come later, not during sendAsync');
    assert.ok(await waitUntil(() => successes.length === 1));
    await sleep(100);
    assert.equal(successes.length, 1);
    assert.equal(failures.length, 0);
    assert.equal(successes[0].topic, topic);
  });

  test('sendAsync: a failing send calls onException exactly once, and a throwing onSuccess is not turned into onException', async () => {
    const mq = ctx.mq();
    const producer = await mq.producer();
    const failures: Error[] = [];
    let successes = 0;
    producer.sendAsync({ topic: unique('missing'), body: 'x' }, { onSuccess: () => successes++, onException: (e) => failures.push(e) });
    assert.ok(await waitUntil(() => failures.length === 1));
    await sleep(100);
    assert.equal(failures.length, 1);
    assert.equal(successes, 0);
    assert.ok(isMqError(failures[0], MqErrorCode.TOPIC_NOT_FOUND), `got ${failures[0]}`);

    const topic = unique('async_throw');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    let calls = 0;
    const exceptions: Error[] = [];
    producer.sendAsync(
      { topic, body: 'x' },
      {
        onSuccess: () => {
          calls++;
          throw new Error('boom');
        },
        onException: (e) => exceptions.push(e),
      },
    );
    assert.ok(await waitUntil(() => calls === 1));
    await sleep(100);
    assert.equal(calls, 1);
    assert.equal(exceptions.length, 0);
  });

  test('sendOneway: returns at once with nothing, the message arrives, and failures are only counted', async () => {
    const mq = ctx.mq();
    const topic = unique('oneway');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const started = performance.now();
    const returned = producer.sendOneway({ topic, body: 'fire' });
    assert.ok(performance.now() - started < 5, 'one-way must not wait for the broker');
    assert.equal(returned, undefined);
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' } });
    const got = await receiveAll(pull, 1);
    assert.equal(got[0]?.body.toString(), 'fire');

    assert.doesNotThrow(() => producer.sendOneway({ topic: unique('missing'), body: 'x' }));
    assert.doesNotThrow(() => producer.sendOneway({ topic: '', body: 'x' }));
    assert.ok(await waitUntil(() => producer.onewayFailures === 2), `onewayFailures = ${producer.onewayFailures}`);
  });

  test('sendBatch: every message of a batch is delivered', async () => {
    const mq = ctx.mq();
    const topic = unique('batch');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const results = await producer.sendBatch([1, 2, 3, 4, 5].map((i) => ({ topic, body: `m${i}` })));
    assert.equal(results.length, 5);
    assert.equal(new Set(results.map((r) => r.messageId)).size, 5);
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' } });
    const got = await receiveAll(pull, 5);
    assert.deepEqual(got.map((m) => m.body.toString()).sort(), ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  test('bad input: empty topic, body over 4 MiB, unknown topic, delay on a NORMAL topic get typed errors and store nothing', async () => {
    const mq = ctx.mq();
    const topic = unique('bad');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'no error';
      } catch (error) {
        return isMqError(error) ? error.code : `untyped ${error}`;
      }
    };
    assert.equal(await code(producer.send({ topic: '', body: 'x' })), MqErrorCode.INVALID_ARGUMENT);
    assert.equal(await code(producer.send({ topic, body: Buffer.alloc(4 * 1024 * 1024 + 1) })), MqErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(await code(producer.send({ topic: unique('nope'), body: 'x' })), MqErrorCode.TOPIC_NOT_FOUND);
    assert.equal(await code(producer.send({ topic, body: 'x', deliverAt: Date.now() + 1000 })), MqErrorCode.WRONG_MESSAGE_TYPE);
    assert.equal(await code(producer.send({ topic, body: '' })), MqErrorCode.INVALID_ARGUMENT);
    assert.equal(
      await code(
        producer.sendBatch([
          { topic, body: 'ok' },
          { topic, body: 'x', messageGroup: 'g1' },
        ]),
      ),
      MqErrorCode.WRONG_MESSAGE_TYPE,
    );
    const pull = await mq.pullConsumer({ group: unique('g'), subscriptions: { [topic]: '*' } });
    assert.deepEqual(await pull.receive(16, ctx.emptyReceiveMs), [], 'nothing was stored');
  });
}

/** Receives until `count` messages came (acking each) or the time runs out. */
export async function receiveAll(
  pull: { receive(max?: number, waitMs?: number): Promise<MessageView[]>; ack(m: MessageView): Promise<void> },
  count: number,
  timeoutMs = 15_000,
): Promise<MessageView[]> {
  const got: MessageView[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    for (const m of await pull.receive(32, Math.min(1_000, Math.max(1, deadline - Date.now())))) {
      got.push(m);
      await pull.ack(m);
    }
  }
  return got;
}
