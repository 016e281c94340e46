import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { stockGateCases } from './gate.cases.js';
import { AppError, ErrorCode } from '../../errors.js';
import { tcpRelay } from '../../../test/support/tcp-relay.js';
import { RedisGate } from './redis-gate.js';

const url = process.env.REDIS_URL;
/** Every key of this run starts with it, and is deleted afterwards. */
const prefix = `orderflow-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
const logger = pino({ level: 'silent' });

async function deleteKeys(): Promise<void> {
  const redis = new Redis(url as string);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  await redis.quit();
}

describe('Redis stock gate (one Lua script)', { skip: url ? false : 'REDIS_URL is not set (e.g. redis://127.0.0.1:6379)' }, () => {
  after(deleteKeys);
  const connect = () => RedisGate.connect({ url: url as string, prefix, logger });
  stockGateCases('Redis gate', {
    fresh: connect,
    restart: async (gate) => {
      await gate.close();
      return connect();
    },
    wipe: async (gate) => {
      await gate.close();
      await deleteKeys();
      return connect();
    },
  });
});

describe('Redis stock gate: Redis going away', { skip: url ? false : 'REDIS_URL is not set (e.g. redis://127.0.0.1:6379)' }, () => {
  test('ping fails within a second once the connection to Redis is gone, and answers again when Redis is back', async () => {
    const target = new URL(url as string);
    const relay = await tcpRelay(target.hostname, Number(target.port || 6379));
    const gate = await RedisGate.connect({ url: `redis://127.0.0.1:${relay.port}`, prefix, logger });
    try {
      await gate.ping();
      relay.cut();
      const started = Date.now();
      await assert.rejects(
        waitForFailure(() => gate.ping()),
        (error) => error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE,
      );
      assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
      relay.restore();
      const deadline = Date.now() + 10_000;
      while (
        !(await gate.ping().then(
          () => true,
          () => false,
        ))
      ) {
        assert.ok(Date.now() < deadline, 'answers again within 10 s');
        await sleep(100);
      }
    } finally {
      await gate.close();
      await relay.close();
    }
  });
});

/**
 * ping() until one fails. A PING sent in the moment the connection drops waits in ioredis's queue for the
 * reconnection (the health check's timeout bounds it); once ioredis knows, ping() fails at once.
 */
async function waitForFailure(ping: () => Promise<void>): Promise<never> {
  for (;;) {
    const pending = ping();
    pending.catch(() => {}); // a PING left queued here settles after the test
    await Promise.race([pending, sleep(200)]);
    await sleep(10);
  }
}
