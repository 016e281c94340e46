/** SendResults built from the Proxy's answer (no server): only what the broker reported about the message's place. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toOutgoing } from '../message.js';
import { toSendResult } from './convert.js';

const receipt = { messageId: 'ID1', transactionId: 'ID1', offset: 42 };

test("toSendResult: the queue is never the one the client addressed; the offset only where it is the topic's", () => {
  const normal = toSendResult({ ...receipt, messageQueue: { queueId: 3 } } as typeof receipt, toOutgoing({ topic: 't', body: 'x' }));
  assert.deepEqual(normal, { messageId: 'ID1', topic: 't', queueId: -1, offset: 42 });
  // a message with deliverAt may sit in the broker's timer queue: the offset returned is that queue's
  assert.equal(toSendResult(receipt, toOutgoing({ topic: 't', body: 'x', deliverAt: Date.now() + 5_000 })).offset, -1);
  // a half message's offset is in the broker's half topic
  const half = toSendResult(receipt, toOutgoing({ topic: 't', body: 'x' }, true), true);
  assert.deepEqual(half, { messageId: 'ID1', topic: 't', queueId: -1, offset: -1, transactionId: 'ID1' });
});
