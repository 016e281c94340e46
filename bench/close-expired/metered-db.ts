/**
 * The order database of the close-expired benchmark: the same SQLite set-up as src/db/sqlite.ts
 * (WAL, synchronous=NORMAL, busy_timeout, foreign keys, BEGIN IMMEDIATE, a 512-entry statement
 * cache) behind the same `Database<OrderDB>` interface, with every statement metered: how often
 * it ran, how long SQLite took (hrtime around better-sqlite3's all()/run(), so the time waiting
 * for the single connection is not counted), what it returned or changed, and its query plan
 * (EXPLAIN QUERY PLAN with the parameters of its first run).
 *
 * Why not openDatabase itself: it gives no per-statement hook (its slow-query log rounds to
 * whole milliseconds), and a closing takes well under one.
 */
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { SqliteDialectConfig, SqliteStatement } from 'kysely';
import { SQLITE_BUSY_TIMEOUT_MS, type Database } from '../../src/db/index.js';
import { ImmediateTransactionSqliteDialect } from '../../src/db/sqlite.js';
import type { OrderDB } from '../../src/systems/order/schema.js';

/** What a statement does in a closing; rows read are counted per kind (see rowsRead in ./designs.ts). */
export type StatementKind =
  | 'scan for due orders'
  | 'find order by id'
  | 'update order status'
  | 'append order history'
  | 'queue change (outbox)'
  | 'read order items'
  | 'release sku stock'
  | 'begin'
  | 'commit'
  | 'other';

export function kindOf(sql: string): StatementKind {
  const s = sql.trim().toLowerCase();
  if (s.startsWith('begin')) return 'begin';
  if (s.startsWith('commit')) return 'commit';
  if (/^select .* from "orders" where "status" = \? and "pay_deadline" <= \?/.test(s)) return 'scan for due orders';
  if (/^select .* from "orders" where "order_id" = \?$/.test(s)) return 'find order by id';
  if (s.startsWith('update "orders"')) return 'update order status';
  if (s.startsWith('insert into "order_history"')) return 'append order history';
  if (s.startsWith('insert into "order_outbox"')) return 'queue change (outbox)';
  if (/^select .* from "order_items"/.test(s)) return 'read order items';
  if (s.startsWith('update "skus"')) return 'release sku stock';
  return 'other';
}

/** One execution, as the meter's rows-read rule sees it. */
export interface Execution {
  kind: StatementKind;
  plan: string[];
  params: readonly unknown[];
  /** Rows returned (readers) — undefined for writes. */
  rows?: unknown[];
  /** Rows changed (writes). */
  changes?: number;
}

export interface StatementStats {
  sql: string;
  kind: StatementKind;
  plan: string[];
  calls: number;
  ms: number;
  rowsReturned: number;
  rowsChanged: number;
  rowsRead: number;
}

export class Meter {
  readonly statements = new Map<string, StatementStats>();
  totalMs = 0;
  totalCalls = 0;
  totalRowsRead = 0;
  /** Rows read by one execution; set by the benchmark (it knows the data and the scan's model). */
  rowsRead: (e: Execution) => number = () => 0;
  /** Called after every execution (the scanner uses it to see what each scan returned). */
  onExecution?: (e: Execution, rowsRead: number, ms: number) => void;

  record(stats: StatementStats, ms: number, e: Execution): void {
    const read = this.rowsRead(e);
    stats.calls++;
    stats.ms += ms;
    stats.rowsReturned += e.rows?.length ?? 0;
    stats.rowsChanged += e.changes ?? 0;
    stats.rowsRead += read;
    this.totalMs += ms;
    this.totalCalls++;
    this.totalRowsRead += read;
    this.onExecution?.(e, read, ms);
  }

  /** Totals per kind, to subtract two snapshots (a measurement window). */
  snapshot(): Snapshot {
    const byKind = new Map<StatementKind, { calls: number; ms: number; rowsRead: number }>();
    for (const s of this.statements.values()) {
      const k = byKind.get(s.kind) ?? { calls: 0, ms: 0, rowsRead: 0 };
      k.calls += s.calls;
      k.ms += s.ms;
      k.rowsRead += s.rowsRead;
      byKind.set(s.kind, k);
    }
    return { ms: this.totalMs, calls: this.totalCalls, rowsRead: this.totalRowsRead, byKind };
  }
}

export interface Snapshot {
  ms: number;
  calls: number;
  rowsRead: number;
  byKind: Map<StatementKind, { calls: number; ms: number; rowsRead: number }>;
}

export function diff(after: Snapshot, before: Snapshot): Snapshot {
  const byKind = new Map<StatementKind, { calls: number; ms: number; rowsRead: number }>();
  for (const [kind, a] of after.byKind) {
    const b = before.byKind.get(kind) ?? { calls: 0, ms: 0, rowsRead: 0 };
    if (a.calls - b.calls > 0) byKind.set(kind, { calls: a.calls - b.calls, ms: a.ms - b.ms, rowsRead: a.rowsRead - b.rowsRead });
  }
  return { ms: after.ms - before.ms, calls: after.calls - before.calls, rowsRead: after.rowsRead - before.rowsRead, byKind };
}

export interface MeteredDatabase {
  database: Database<OrderDB>;
  /** The same connection, for set-up and checks outside the measurement (never while Kysely runs a query). */
  raw: BetterSqlite3.Database;
  meter: Meter;
}

const STATEMENT_CACHE_SIZE = 512;

/** Opens `file` like src/db/sqlite.ts does, metered. */
export function openMetered(file: string): MeteredDatabase {
  const raw = new BetterSqlite3(file);
  raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const meter = new Meter();
  const cache = new Map<string, SqliteStatement>();

  const explain = (sql: string, params: readonly unknown[]): string[] => {
    if (!/^\s*(select|update|insert|delete|with)/i.test(sql)) return [];
    const rows = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  };

  const metered = (sql: string): SqliteStatement => {
    const statement = raw.prepare(sql);
    const stats: StatementStats = { sql, kind: kindOf(sql), plan: [], calls: 0, ms: 0, rowsReturned: 0, rowsChanged: 0, rowsRead: 0 };
    meter.statements.set(sql, stats);
    let planned = false;
    const plan = (params: readonly unknown[]) => {
      if (!planned) {
        planned = true;
        stats.plan = explain(sql, params);
      }
      return stats.plan;
    };
    return {
      reader: statement.reader,
      all(params) {
        const p = plan(params);
        const t = process.hrtime.bigint();
        const rows = statement.all(params as unknown[]);
        meter.record(stats, Number(process.hrtime.bigint() - t) / 1e6, { kind: stats.kind, plan: p, params, rows });
        return rows;
      },
      run(params) {
        const p = plan(params);
        const t = process.hrtime.bigint();
        const result = statement.run(params as unknown[]);
        meter.record(stats, Number(process.hrtime.bigint() - t) / 1e6, {
          kind: stats.kind,
          plan: p,
          params,
          changes: Number(result.changes),
        });
        return result;
      },
      iterate(params) {
        return statement.iterate(params as unknown[]) as IterableIterator<unknown>;
      },
    };
  };

  const sqliteDatabase: SqliteDialectConfig['database'] = {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else {
        statement = metered(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
  const db = new Kysely<OrderDB>({ dialect: new ImmediateTransactionSqliteDialect({ database: sqliteDatabase }) });
  let closing: Promise<void> | undefined;
  const database: Database<OrderDB> = Object.freeze({
    db,
    dialect: 'sqlite' as const,
    system: 'order',
    location: path.resolve(file),
    close: () => (closing ??= db.destroy()),
  });
  return { database, raw, meter };
}
