import { randomBytes } from 'node:crypto';
import { after, describe } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { stockGateCases } from './gate.cases.js';
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
