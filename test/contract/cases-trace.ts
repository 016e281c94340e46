import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Messaging, MessageTrace, SendResult } from '../../src/mq/index.js';
import { unique, waitUntil } from '../support/wait.js';
import { receiveAll } from './cases-send.js';
import type { ContractContext } from './context.js';

/** What an engine reports about a message is what its broker did: where a send was stored, which filters skip it. */
export function traceCases(ctx: ContractContext): void {
  test('send: SendResult gives the queue and offset the broker stored the message at (queueId -1 where the engine declares it cannot know)', async () => {
    const mq = ctx.mq();
    const topic = unique('where');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL', queues: 4 });
    const producer = await mq.producer({ topics: [topic] });
    const sent: { key: string; result: SendResult }[] = [];
    for (let i = 0; i < 8; i++) {
      const key = unique('where_key');
      sent.push({ key, result: await producer.send({ topic, keys: [key], body: `m${i}` }) });
    }
    const asyncKey = unique('where_async');
    const asyncResult = await new Promise<SendResult>((resolve, reject) =>
      producer.sendAsync({ topic, keys: [asyncKey], body: 'async' }, { onSuccess: resolve, onException: reject }),
    );
    sent.push({ key: asyncKey, result: asyncResult });
    const batchKeys = [unique('where_batch'), unique('where_batch')];
    const batch = await producer.sendBatch(batchKeys.map((key) => ({ topic, keys: [key], body: key })));
    batchKeys.forEach((key, i) => sent.push({ key, result: batch[i] }));

    const queues = new Set<number>();
    for (const { key, result } of sent) {
      const trace = await storedTrace(mq, topic, key, ctx.adminLagMs);
      assert.equal(trace.messageId, result.messageId);
      assert.ok(Number.isInteger(trace.queueId) && trace.queueId! >= 0 && trace.queueId! < 4, `the broker's queue ${trace.queueId}`);
      queues.add(trace.queueId!);
      assert.equal(
        result.offset,
        trace.offset,
        `offset of ${key}: sent ${JSON.stringify(result)}, stored ${trace.queueId}/${trace.offset}`,
      );
      const expectedQueue = mq.capabilities.sendResultQueue ? trace.queueId : -1;
      assert.equal(result.queueId, expectedQueue, `queue of ${key}: sent ${JSON.stringify(result)}, stored in queue ${trace.queueId}`);
    }
    assert.ok(queues.size > 1, `11 messages spread over the topic's queues (${[...queues]}), so the positions compared were not all alike`);
  });

  test('send: a delayed message not due yet has offset -1 (it is not in its topic yet); once due, the trace gives its place', async () => {
    const mq = ctx.mq();
    const topic = unique('where_delay');
    await mq.admin.createTopic({ name: topic, type: 'DELAY', queues: 2 });
    const producer = await mq.producer({ topics: [topic] });
    const key = unique('later');
    const result = await producer.send({ topic, keys: [key], body: 'later', deliverAt: Date.now() + 1_000 });
    assert.equal(result.offset, -1, `a message waiting for its time has no place in its topic: ${JSON.stringify(result)}`);
    const trace = await storedTrace(mq, topic, key, 1_000 + ctx.delayPrecisionMs + ctx.adminLagMs);
    assert.ok(Number.isInteger(trace.offset) && trace.offset! >= 0, `stored at ${trace.offset}`);
  });

  test('trace: a group whose tag filter skips a message shows FILTERED; groups that take it do not', async () => {
    const mq = ctx.mq();
    const topic = unique('filtered');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const everything = unique('all');
    const paidOnly = unique('paid');
    const allConsumer = await mq.pullConsumer({ group: everything, subscriptions: { [topic]: '*' } });
    const paidConsumer = await mq.pullConsumer({ group: paidOnly, subscriptions: { [topic]: 'PAID || REFUNDED' } });
    const [createdKey, paidKey] = [unique('created'), unique('paid')];
    const created = await producer.send({ topic, tag: 'CREATED', keys: [createdKey], body: 'created' });
    await producer.send({ topic, tag: 'PAID', keys: [paidKey], body: 'paid' });
    const stateOf = async (key: string, group: string) =>
      (await mq.admin.findMessagesByKey(topic, key))[0]?.deliveries.find((d) => d.group === group)?.state;

    assert.ok(
      await waitUntil(async () => (await stateOf(createdKey, paidOnly)) === 'FILTERED', ctx.adminLagMs, 200),
      `CREATED for the PAID || REFUNDED group: ${await stateOf(createdKey, paidOnly)}`,
    );
    assert.equal(await stateOf(createdKey, everything), 'PENDING');
    assert.equal(await stateOf(paidKey, paidOnly), 'PENDING');
    if (mq.capabilities.deadLetterAdmin) {
      const byId = await mq.admin.findMessage(created.messageId);
      assert.equal(byId?.deliveries.find((d) => d.group === paidOnly)?.state, 'FILTERED', 'findMessage agrees');
    }

    assert.equal((await receiveAll(allConsumer, 2)).length, 2);
    assert.deepEqual(
      (await receiveAll(paidConsumer, 1)).map((m) => m.tag),
      ['PAID'],
    );
    const consumed = async (key: string, group: string) => (await stateOf(key, group)) === 'CONSUMED';
    assert.ok(
      await waitUntil(async () => (await consumed(createdKey, everything)) && (await consumed(paidKey, paidOnly)), ctx.adminLagMs, 200),
    );
    assert.equal(await stateOf(createdKey, paidOnly), 'FILTERED', 'consumption around it does not change that the filter skips it');
  });
}

/** The message's trace once the broker has it in its topic (key indexes are built a moment after the store). */
async function storedTrace(mq: Messaging, topic: string, key: string, timeoutMs: number): Promise<MessageTrace> {
  let trace: MessageTrace | undefined;
  const found = await waitUntil(
    async () => {
      trace = (await mq.admin.findMessagesByKey(topic, key))[0];
      return trace?.offset !== undefined;
    },
    timeoutMs,
    50,
  );
  assert.ok(found && trace, `message ${key} not found stored in ${topic}: ${JSON.stringify(trace)}`);
  return trace;
}
