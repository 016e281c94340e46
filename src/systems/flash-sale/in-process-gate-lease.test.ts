/**
 * The in-process stock gate counts units in one process's memory, so on a MySQL database that several processes
 * share it is a single-instance role: a second flash-sale process without Redis refuses to start, naming the
 * holder, and one started after the first stopped takes over.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LeaseHeldError } from '../../db/index.js';
import { dbTestTargets } from '../../db/testing.js';
import { createMessaging } from '../../mq/index.js';
import { Topics } from '../shared/topics.js';
import { createFlashSaleSystem } from './flash-sale-system.js';
import type { FlashSaleDB } from './schema.js';

const [, mysql] = dbTestTargets(process.env.MYSQL_URL);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-flash-sale-lease-'));
after(async () => {
  await mysql.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('two flash-sale processes with in-process gates on one MySQL database: the second refuses to start, naming the first', {
  skip: mysql.skip,
  timeout: 60_000,
}, async () => {
  const mq = await createMessaging({ engine: 'embedded', dataDir: path.join(dir, 'mq') });
  await mq.admin.createTopic({ name: Topics.FLASH_SALE_ORDER, type: 'NORMAL' });
  const start = async () =>
    createFlashSaleSystem({
      database: await mysql.open<FlashSaleDB>('flash-sale'),
      mq,
      clock: Date.now,
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      config: { redisUrl: undefined, redisPrefix: 'unused:', flashSaleRate: 100, seedDemo: true, seedStock: 5 },
    });
  try {
    const first = await start();
    await assert.rejects(start(), (error: unknown) => {
      assert.ok(error instanceof LeaseHeldError);
      assert.match(
        error.message,
        /^the flash-sale system's in-process stock gate \(REDIS_URL unset\) runs in one process only and .+ pid \d+ .+ holds it .*set the same REDIS_URL on every flash-sale process/,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    await first.close();
    const next = await start();
    assert.equal((await next.listSales())[0].stock, 5, 'the first process released the gate on close: the next one takes it at once');
    await next.close();
  } finally {
    await mq.close();
  }
});
