import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe } from 'node:test';
import { migrate, openDatabase, type Database } from '../../db/index.js';
import { stockGateCases } from './gate.cases.js';
import type { StockGate } from './gate.js';
import { InProcessGate } from './in-process-gate.js';
import { flashSaleMigrations, type FlashSaleDB } from './schema.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Each gate on a SQLite flash-sale database in its own directory; a restart reopens the same file. */
async function openGate(dataDir?: string): Promise<StockGate> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-gate-'));
  if (!dataDir) dirs.push(dir);
  const database = await openDatabase<FlashSaleDB>({ url: 'sqlite', dataDir: dir, system: 'flash-sale' });
  await migrate(database, flashSaleMigrations);
  const gate = new InProcessGate(database, Date.now);
  homes.set(gate, { dir, database });
  return gate;
}
const homes = new WeakMap<StockGate, { dir: string; database: Database<FlashSaleDB> }>();

async function closeGate(gate: StockGate): Promise<string> {
  const home = homes.get(gate) as { dir: string; database: Database<FlashSaleDB> };
  await gate.close();
  await home.database.close();
  return home.dir;
}

describe('in-process stock gate (SQLite)', () =>
  stockGateCases('in-process gate', {
    fresh: () => openGate(),
    restart: async (gate) => openGate(await closeGate(gate)),
    wipe: async (gate) => {
      await closeGate(gate);
      return openGate();
    },
  }));
