/**
 * Message traces on real RocketMQ take a group's filter from the broker, which knows the subscriptions of every
 * online consumer: an engine instance that never ran the group (as another process) sees FILTERED too. Once no
 * consumer of the group is online, the broker has no filter for it, and the trace says the group is offline
 * instead of claiming FILTERED.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMessaging, type Messaging, type MessagingOptions } from '../../src/mq/index.js';
import { receiveAll } from '../contract/cases-send.js';
import { unique, waitUntil } from '../support/wait.js';

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
const options: MessagingOptions = {
  engine: 'rocketmq',
  endpoints,
  namesrv: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
  minInvisibleMs: 1_000,
  longPollMs: 1_000,
};
const skip = endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)';

test('trace on RocketMQ: FILTERED from the consumers the broker knows, seen from another engine instance; offline, no filter is claimed', {
  skip,
  timeout: 90_000,
}, async () => {
  const consuming: Messaging = await createMessaging(options);
  const observing: Messaging = await createMessaging(options);
  try {
    const topic = unique('trace_filter');
    await consuming.admin.createTopic({ name: topic, type: 'NORMAL', queues: 1 });
    const group = unique('paid_only');
    const consumer = await consuming.pullConsumer({ group, subscriptions: { [topic]: 'PAID' } });
    const producer = await consuming.producer({ topics: [topic] });
    const [createdKey, paidKey] = [unique('created'), unique('paid')];
    await producer.send({ topic, tag: 'CREATED', keys: [createdKey], body: 'created' });
    await producer.send({ topic, tag: 'PAID', keys: [paidKey], body: 'paid' });
    // the observer learns of the group from the broker's offsets (5.3.3 lists a group by its topic only then)
    assert.deepEqual(
      (await receiveAll(consumer, 1)).map((m) => m.tag),
      ['PAID'],
    );
    const delivery = async () => (await observing.admin.findMessagesByKey(topic, createdKey))[0]?.deliveries.find((d) => d.group === group);

    assert.ok(
      await waitUntil(async () => (await delivery())?.state === 'FILTERED', 15_000, 200),
      `online: ${JSON.stringify(await delivery())}`,
    );
    assert.equal((await delivery())?.online, true);

    await consumer.close();
    assert.ok(
      await waitUntil(async () => (await delivery())?.online === false, 30_000, 500),
      `after close: ${JSON.stringify(await delivery())}`,
    );
    const offline = await delivery();
    assert.notEqual(offline?.state, 'FILTERED', 'an offline group has no filter on the broker');
    assert.ok(['PENDING', 'CONSUMED'].includes(offline!.state), `offline state from the offset: ${offline?.state}`);
  } finally {
    await observing.close();
    await consuming.close();
  }
});
