import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { migrate, openDatabase } from '../../db/index.js';
import { createMessaging } from '../../mq/index.js';
import { Topics } from '../shared/topics.js';
import { createFlashSaleSystem } from './flash-sale-system.js';
import { newTicketId } from './ids.js';
import { insertTicket } from './repository.js';
import { flashSaleMigrations, type FlashSaleDB } from './schema.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-flash-sale-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('flash-sale system (in-process gate): a restart keeps the units left and the buyers, frees a unit whose ticket was never written, and sends a lost message', async () => {
  const mq = await createMessaging({ engine: 'embedded', dataDir: path.join(dir, 'mq') });
  await mq.admin.createTopic({ name: Topics.FLASH_SALE_ORDER, type: 'NORMAL' });
  const database = await openDatabase<FlashSaleDB>({ url: 'sqlite', dataDir: dir, system: 'flash-sale' });
  await migrate(database, flashSaleMigrations);
  const start = () =>
    createFlashSaleSystem({
      database,
      mq,
      clock: Date.now,
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      config: { redisUrl: undefined, redisPrefix: 'unused:', flashSaleRate: 100, seedDemo: true, seedStock: 5 },
      // no order system in this process: no creator, the messages stay in the queue
    });
  try {
    const first = await start();
    const [sale] = await first.listSales();
    assert.equal(sale.stock, 5);
    for (const user of ['u1', 'u2', 'u3']) await first.requestUnit(sale.id, user);
    // A crash between the ticket and its message: admitted, ticket written, no message sent.
    const lost = newTicketId(Date.now());
    assert.equal((await first.context.gate.admit(sale.id, 'u4', lost)).admitted, true);
    await insertTicket(database.db, { ticketId: lost, saleId: sale.id, userId: 'u4', at: Date.now() });
    assert.equal((await mq.admin.findMessagesByKey(Topics.FLASH_SALE_ORDER, lost)).length, 0);
    // A crash between the gate and the ticket: admitted in memory only, never told (no 202).
    assert.equal((await first.context.gate.admit(sale.id, 'u9', newTicketId(Date.now()))).admitted, true);
    assert.equal((await first.listSales())[0].stock, 0);
    await first.close();

    const second = await start();
    assert.equal((await second.listSales())[0].stock, 1, '5 units − 4 tickets, after the restart: u9 was never told, the unit is free');
    await assert.rejects(second.requestUnit(sale.id, 'u2'), { code: 'ALREADY_HAS_TICKET' });
    assert.equal((await mq.admin.findMessagesByKey(Topics.FLASH_SALE_ORDER, lost)).length, 1, 'the lost message was sent at start-up');
    assert.equal((await second.getTicket('u4', lost)).status, 'QUEUED');
    await second.requestUnit(sale.id, 'u9');
    await assert.rejects(second.requestUnit(sale.id, 'u6'), { code: 'SOLD_OUT' });
    await second.close();
  } finally {
    await database.close();
    await mq.close();
  }
});

test('flash-sale system: a sale another instance created just after this one read the sales is found, not answered 404', async () => {
  const mq = await createMessaging({ engine: 'embedded', dataDir: path.join(dir, 'mq-other-instance') });
  await mq.admin.createTopic({ name: Topics.FLASH_SALE_ORDER, type: 'NORMAL' });
  const database = await openDatabase<FlashSaleDB>({ url: 'sqlite', dataDir: path.join(dir, 'other-instance'), system: 'flash-sale' });
  await migrate(database, flashSaleMigrations);
  const system = await createFlashSaleSystem({
    database,
    mq,
    clock: Date.now,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    config: { redisUrl: undefined, redisPrefix: 'unused:', flashSaleRate: 100, seedDemo: false },
  });
  try {
    assert.deepEqual(await system.listSales(), []); // read just now
    // The row another instance writes when an admin creates a sale through it.
    const now = Date.now();
    await database.db
      .insertInto('flash_sales')
      .values({
        sale_id: 'FS-OTHER',
        sku_id: 'SKU-1004',
        price_cents: 9_900,
        stock: 2,
        starts_at: now - 1_000,
        ends_at: now + 60_000,
        created_at: now,
      })
      .execute();
    const started = Date.now();
    const ticket = await system.requestUnit('FS-OTHER', 'u1');
    assert.ok(ticket.ticketId, 'admitted');
    assert.ok(Date.now() - started < 2_000, `found within the reread's second (${Date.now() - started} ms)`);
    await assert.rejects(system.requestUnit('FS-NONE', 'u1'), { code: 'FLASH_SALE_NOT_FOUND' }, 'an id that is nowhere is still 404');
  } finally {
    await system.close();
    await database.close();
    await mq.close();
  }
});
