/**
 * The floor under the embedded broker's send rates: raw inserts into a store opened as the broker opens
 * its own (openStore: the same file, pragmas and schema), with the commit log's row shape and statement,
 * and nothing else — no broker, no promises, no tail cache. Measured twice: one row per transaction
 * (what each send would cost if it committed alone) and `batch` rows per transaction (what the group commit
 * does with that many senders waiting). A send rate divided by its floor says how much of the floor it keeps.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/mq/embedded/store.js';
import type { Figure } from '../peers/types.js';

export interface FloorOptions {
  rows: number;
  bodyBytes: number;
  /** Rows per transaction in the batched measurement (the number of concurrent senders). */
  batch: number;
  /** Rows per transaction as the async and one-way sends' commits hold (their thousands in flight). */
  largeBatch: number;
  log: (line: string) => void;
}

export interface Floor {
  single: Figure;
  batched: Figure;
  large: Figure;
}

/** The same statement as the commit log's (src/mq/embedded/commit-log.ts). */
const INSERT = `INSERT INTO messages (offset, id, topic, queue_id, tag, keys, props, msg_group, body, born_at, stored_at, deliver_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BLOB), ?, ?, ?)`;

export function sqliteInsertFloor(o: FloorOptions): Floor {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-floor-'));
  const store = openStore({ dataDir: dir });
  try {
    const insert = store.db.prepare(INSERT);
    const body = Buffer.alloc(o.bodyBytes, 7);
    let offset = 0;
    const row = () => {
      const now = Date.now();
      insert.run(++offset, null, 'bench_floor', offset % 8, null, null, null, null, body, now, now, null);
    };
    const commitEvery = (rows: number, perCommit: number): number => {
      const started = performance.now();
      for (let done = 0; done < rows; ) {
        store.db.exec('BEGIN IMMEDIATE');
        for (let i = 0; i < perCommit && done < rows; i++, done++) row();
        store.db.exec('COMMIT');
      }
      return Math.round(rows / ((performance.now() - started) / 1000));
    };
    commitEvery(Math.min(2_000, o.rows), o.batch); // warm-up: the file grows, the statement is compiled
    o.log(`SQLite insert floor: ${o.rows} rows, 1 per commit, then ${o.batch}, then ${o.largeBatch} per commit`);
    const single = commitEvery(o.rows, 1);
    const batched = commitEvery(o.rows, o.batch);
    const large = commitEvery(o.rows, o.largeBatch);
    const what = `raw INSERT of the commit log's row (${o.bodyBytes}-byte body) into a store opened by openStore`;
    return {
      single: { name: 'SQLite insert floor, 1 row per commit', unit: 'msg/s', value: single, note: what },
      batched: { name: `SQLite insert floor, ${o.batch} rows per commit`, unit: 'msg/s', value: batched, note: what },
      large: { name: `SQLite insert floor, ${o.largeBatch} rows per commit`, unit: 'msg/s', value: large, note: what },
    };
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The faster of two floors (each of its figures), one measured before the sends and one after: the floor is the
 * least a row can cost, and on a shared machine a measurement is only ever slowed down.
 */
export function fasterFloor(a: Floor, b: Floor): Floor {
  const pick = (x: Figure, y: Figure): Figure => {
    const best = x.value >= y.value ? x : y;
    return { ...best, note: `${best.note}; the faster of ${x.value} (before the sends) and ${y.value} msg/s (after)` };
  };
  return { single: pick(a.single, b.single), batched: pick(a.batched, b.batched), large: pick(a.large, b.large) };
}

/**
 * Each send rate beside the floor it stands on: 1 sender on the 1-row floor, the async and one-way sends (thousands
 * in flight, so thousands per commit) on the large batches, the concurrent sync sends on the batch of their senders.
 */
export function againstFloor(figures: Figure[], floor: Floor): Figure[] {
  return figures
    .filter((f) => f.unit === 'msg/s' && /send/.test(f.name))
    .map((f) => {
      const under = /1 sender/.test(f.name) ? floor.single : /async|one-way/.test(f.name) ? floor.large : floor.batched;
      return {
        name: `${f.name} ÷ ${under.name}`,
        unit: '×' as const,
        value: f.value / under.value,
        note: `${f.value} ÷ ${under.value} msg/s, same run`,
      };
    });
}
