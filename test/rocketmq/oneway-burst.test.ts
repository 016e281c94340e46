/**
 * One-way sends fired in a burst on real RocketMQ: every one arrives. The official client times a
 * request out 3 s after it is handed over, however many wait ahead of it; without the producer's
 * send window (src/mq/rocketmq/send-window.ts) most of such a burst was lost (docs/benchmarks.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMessaging, type MessagingOptions } from '../../src/mq/index.js';
import { unique, waitUntil } from '../support/wait.js';

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
const options: MessagingOptions = {
  engine: 'rocketmq',
  endpoints,
  namesrv: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
  minInvisibleMs: 1_000,
  longPollMs: 1_000,
};
const BURST = 10_000;

test(`${BURST} one-way sends fired at once on RocketMQ: none lost`, {
  skip: endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)',
  timeout: 180_000,
}, async () => {
  const mq = await createMessaging(options);
  try {
    const topic = unique('burst');
    await mq.admin.createTopic({ name: topic, type: 'NORMAL' });
    const producer = await mq.producer({ topics: [topic] });
    const received = new Set<string>();
    await mq.pushConsumer({
      group: unique('g'),
      subscriptions: { [topic]: '*' },
      concurrency: 64,
      listener: (m) => (received.add(m.body.toString()), 'SUCCESS'),
    });
    for (let i = 0; i < BURST; i++) producer.sendOneway({ topic, body: `m${i}` });
    const failures = () => producer.onewayFailures;
    const arrived = await waitUntil(() => received.size === BURST || failures() > 0, 150_000, 200);
    assert.equal(failures(), 0, 'no one-way send failed');
    assert.ok(arrived, `${received.size} of ${BURST} arrived`);
    assert.equal(received.size, BURST);
  } finally {
    await mq.close();
  }
});
