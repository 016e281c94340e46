/** Which groups' filters a RocketMQ trace applies, from what the broker answers about their consumers (no server). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groupConsumers } from './group-filters.js';
import type { ConsumerSubscription, RocketMQAdmin } from './remoting/index.js';

/** A broker that knows these online groups; `broken` groups fail to answer. */
function broker(online: Record<string, ConsumerSubscription[]>, broken: string[] = []): RocketMQAdmin {
  return {
    async consumerSubscriptions(group: string) {
      if (broken.includes(group)) throw new Error('connection refused');
      return online[group];
    },
  } as RocketMQAdmin;
}
const tag = (topic: string, expression: string, tags: string[]): ConsumerSubscription => ({
  topic,
  expressionType: 'TAG',
  expression,
  tags,
});

describe('groupConsumers', () => {
  test('an online TAG subscription filters by its tags; `*` takes everything, untagged messages only with `*`', async () => {
    const found = await groupConsumers(
      broker({ paid: [tag('orders', 'PAID || REFUNDED', ['PAID', 'REFUNDED'])], all: [tag('orders', '*', [])] }),
      'orders',
      ['paid', 'all'],
    );
    const paid = found.get('paid')!;
    assert.equal(paid.online, true);
    assert.deepEqual(
      ['PAID', 'REFUNDED', 'CREATED', undefined].map((t) => paid.filter!.accepts(t)),
      [true, true, false, false],
    );
    assert.deepEqual(
      ['CREATED', undefined].map((t) => found.get('all')!.filter!.accepts(t)),
      [true, true],
    );
  });

  test('no filter is claimed offline, for SQL92, for another topic, nor when the broker cannot be asked', async () => {
    const found = await groupConsumers(
      broker(
        {
          sql: [{ topic: 'orders', expressionType: 'SQL92', expression: 'amount > 100', tags: [] }],
          elsewhere: [tag('refunds', 'PAID', ['PAID'])],
        },
        ['broken'],
      ),
      'orders',
      ['offline', 'sql', 'elsewhere', 'broken'],
    );
    assert.deepEqual(found.get('offline'), { online: false });
    assert.deepEqual(found.get('sql'), { online: true });
    assert.deepEqual(found.get('elsewhere'), { online: true });
    assert.equal(found.has('broken'), false, 'unknown: left to the offsets, not reported offline');
  });
});
