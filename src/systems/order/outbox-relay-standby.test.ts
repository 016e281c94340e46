/**
 * Several order-system processes share one outbox; only the one holding the relay lease publishes it. A relay
 * standing by skips its rounds (nothing read, nothing sent) and publishes as soon as it becomes active.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOutboxRelay } from './outbox-relay.js';

const silent = { warn() {} };

test('a relay standing by publishes nothing; once active it publishes at its next poll', async () => {
  let active = false;
  let rounds = 0;
  const relay = startOutboxRelay({
    what: 'test rows',
    logger: silent,
    pollMs: 10,
    active: () => active,
    publishRound: async () => {
      rounds++;
      return 0;
    },
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    relay.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(rounds, 0, 'standing by: no round, even when woken');
    active = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(rounds > 0, 'active: rounds run');
  } finally {
    await relay.close();
  }
});
