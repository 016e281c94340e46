/**
 * One run of one design on its own fresh copy of the data: the delayed `order_timeout` message
 * (onOrderTimeout, the real function, on the embedded broker) or the periodic scan
 * (closeExpiredByScan, the real function, every SCAN_INTERVAL_MS) with or without the
 * (status, pay_deadline) index. Both close through the real endUnpaidOrder.
 */
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMessaging, type Messaging, type Producer } from '../../src/mq/index.js';
import { closeExpiredByScan, onOrderTimeout } from '../../src/systems/order/close-expired-orders.js';
import type { OrderContext } from '../../src/systems/order/context.js';
import { SCAN_INTERVAL_MS } from '../../src/systems/order/order-system.js';
import { Groups, Tags, TOPIC_TYPE_BY_NAME, Topics } from '../../src/systems/shared/topics.js';
import { checkRun, type Checks } from './checks.js';
import { copyForRun, PAY_TIMEOUT_MS, type Dataset } from './data.js';
import { diff, openMetered, type Execution, type Snapshot, type StatementStats } from './metered-db.js';

export type Design = 'delay' | 'scan-no-index' | 'scan-index';

export const TITLES: Record<Design, string> = {
  delay: 'delay message (new)',
  'scan-no-index': 'scan, no index (old)',
  'scan-index': 'scan + index',
};

/** The order system's push consumer runs 8 listeners at once (order-system.ts). */
const CLOSER_CONCURRENCY = 8;

export interface RunOptions {
  data: Dataset;
  dir: string;
  /** From copying the data to the first deadline. */
  leadMs: number;
  /** Measured after the last deadline. */
  tailMs: number;
  log: (line: string) => void;
}

export interface ScanRecord {
  at: number;
  ms: number;
  selectMs: number;
  returned: number;
  rowsRead: number;
  closed: number;
  dbMs: number;
}

export interface RunResult {
  design: Design;
  /** Measurement window: epoch ms, and its length (monotonic clock). */
  windowStart: number;
  windowEnd: number;
  wallMs: number;
  cpuMs: number;
  /** os.loadavg()[0] when the window opened and closed: other work on the machine shows here. */
  loadBefore: number;
  loadAfter: number;
  db: Snapshot;
  /** closedAt − deadline per closed order (closedAt: when its close committed), ms. */
  lags: number[];
  statements: StatementStats[];
  scans?: ScanRecord[];
  skippedScans?: number;
  messages?: { sent: number; sendMs: number; handled: number; retryLater: number; early: number };
  /** The full-scan row count model checked against SQLite itself (scan designs). */
  model?: { noneDue: { visited: number; counted: number }; allDue: { visited: number; counted: number } };
  errors: number;
  checks: Checks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDesign(design: Design, o: RunOptions): Promise<RunResult> {
  const { data } = o;
  const { file, start } = copyForRun(data, path.join(o.dir, design), () => Date.now() + o.leadMs, design === 'scan-no-index');
  const deadlines = new Map(data.window.map((w) => [w.orderId, start + w.offsetMs]));
  const rowidOf = new Map(data.window.map((w) => [w.orderId, w.rowid]));
  const lastDeadline = start + data.options.windowMs;
  const m = openMetered(file);
  m.meter.rowsRead = rowsReadRule(data.totalOrders, rowidOf);
  const model = design === 'delay' ? undefined : checkScanModel(m.raw, data.totalOrders, rowidOf, start, lastDeadline);

  const closedAt = new Map<string, number>();
  const closes = new Map<string, number>();
  const onClosed = (orderId: string) => {
    closedAt.set(orderId, Date.now());
    closes.set(orderId, (closes.get(orderId) ?? 0) + 1);
  };
  const logger = pino({ level: 'warn' });
  let errors = 0;
  let stop: () => Promise<void>;
  let messages: RunResult['messages'];
  let scans: ScanRecord[] | undefined;
  let skipped = 0;

  if (design === 'delay') {
    const mq = await createMessaging({ engine: 'embedded', dataDir: path.join(o.dir, design, 'mq'), logger });
    await mq.admin.createTopic({ name: Topics.ORDER_TIMEOUT, type: TOPIC_TYPE_BY_NAME[Topics.ORDER_TIMEOUT] });
    const producer = await mq.producer({ group: 'order-system', topics: [Topics.ORDER_TIMEOUT] });
    const ctx = orderContext(m.database, 'delay', mq, producer, logger, onClosed);
    // What placeOrder sends for each order; the final orders' messages were consumed long ago.
    const t = performance.now();
    const pending: Promise<unknown>[] = [];
    for (const w of data.window) {
      const payDeadline = deadlines.get(w.orderId) as number;
      pending.push(
        producer.send({
          topic: Topics.ORDER_TIMEOUT,
          tag: Tags.TIMEOUT,
          keys: [w.orderId],
          body: JSON.stringify({ orderId: w.orderId, payDeadline }),
          deliverAt: payDeadline,
        }),
      );
      if (pending.length >= 256) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    messages = { sent: data.window.length, sendMs: performance.now() - t, handled: 0, retryLater: 0, early: 0 };
    const counts = messages;
    o.log(
      `  ${counts.sent.toLocaleString('en-US')} order_timeout messages sent in ${Math.round(counts.sendMs)} ms (due from ${new Date(start).toISOString().slice(11, 23)})`,
    );
    const consumer = await mq.pushConsumer({
      group: Groups.ORDER_CLOSER,
      subscriptions: { [Topics.ORDER_TIMEOUT]: '*' },
      concurrency: CLOSER_CONCURRENCY,
      listener: async (message) => {
        counts.handled++;
        const orderId = (JSON.parse(message.body.toString()) as { orderId: string }).orderId;
        if (Date.now() < (deadlines.get(orderId) ?? 0)) counts.early++;
        try {
          const result = await onOrderTimeout(ctx, message);
          if (result !== 'SUCCESS') counts.retryLater++;
          return result;
        } catch (error) {
          errors++;
          throw error;
        }
      },
    });
    stop = async () => {
      await consumer.close();
      await mq.close();
    };
  } else {
    const ctx = orderContext(m.database, 'scan', absent<Messaging>('mq'), undefined, logger, onClosed);
    const records: ScanRecord[] = [];
    scans = records;
    let current: ScanRecord | undefined;
    m.meter.onExecution = (e, read, ms) => {
      if (current && e.kind === 'scan for due orders')
        Object.assign(current, { returned: e.rows?.length ?? 0, rowsRead: read, selectMs: ms });
    };
    // As order-system.ts runs it: every SCAN_INTERVAL_MS, skipped while the previous scan still runs.
    let scanning = false;
    const timer = setInterval(() => {
      if (scanning) return void skipped++;
      scanning = true;
      const record: ScanRecord = { at: Date.now(), ms: 0, selectMs: 0, returned: 0, rowsRead: 0, closed: 0, dbMs: 0 };
      current = record;
      const dbBefore = m.meter.totalMs;
      const t = performance.now();
      closeExpiredByScan(ctx)
        .then((n) => void (record.closed = n))
        .catch((error: Error) => {
          errors++;
          logger.error({ err: error }, 'closing expired orders by scan failed');
        })
        .finally(() => {
          Object.assign(record, { ms: performance.now() - t, dbMs: m.meter.totalMs - dbBefore });
          records.push(record);
          current = undefined;
          scanning = false;
        });
    }, SCAN_INTERVAL_MS);
    stop = async () => {
      clearInterval(timer);
      while (scanning) await sleep(5);
    };
  }

  // The measurement window: 2 s before the first deadline until every expiring order is closed and
  // the tail after the last deadline has passed (at most 60 s after it).
  const windowStart = start - 2_000;
  if (Date.now() > windowStart) o.log(`  warning: set-up ran ${Date.now() - windowStart} ms into the measurement window`);
  while (Date.now() < windowStart) await sleep(Math.min(50, windowStart - Date.now()));
  const before = m.meter.snapshot();
  const cpuBefore = process.cpuUsage();
  const loadBefore = os.loadavg()[0];
  const t0 = performance.now();
  let shown = Date.now();
  const expiring = data.options.expiring;
  while (!(closedAt.size >= expiring && Date.now() >= lastDeadline + o.tailMs) && Date.now() < lastDeadline + 60_000) {
    await sleep(20);
    if (Date.now() - shown >= 5_000) {
      shown = Date.now();
      const last = scans?.at(-1);
      o.log(
        `  ${closedAt.size.toLocaleString('en-US')}/${expiring.toLocaleString('en-US')} closed${last ? `; ${scans?.length} scans, last one ${last.ms.toFixed(0)} ms, ${last.rowsRead.toLocaleString('en-US')} rows read` : ''}`,
      );
    }
  }
  const wallMs = performance.now() - t0;
  const windowEnd = Date.now();
  const loadAfter = os.loadavg()[0];
  const cpu = process.cpuUsage(cpuBefore);
  const db = diff(m.meter.snapshot(), before);
  await stop();

  const lags: number[] = [];
  for (const [orderId, at] of closedAt) lags.push(at - (deadlines.get(orderId) ?? NaN));
  const checks = checkRun(m.raw, data, { closedAt, closes, deadlines });
  const statements = [...m.meter.statements.values()].filter((s) => s.calls > 0);
  await m.database.close();
  return {
    design,
    windowStart,
    windowEnd,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    loadBefore,
    loadAfter,
    db,
    lags,
    statements,
    scans,
    skippedScans: scans ? skipped : undefined,
    messages,
    model,
    errors,
    checks,
  };
}

/**
 * Rows read by one execution, from its query plan (EXPLAIN QUERY PLAN, checked in ./checks.ts):
 * - the scan: `SCAN orders` (no usable index) visits rows in rowid order until LIMIT rows matched,
 *   so it reads the whole table when fewer are due, else up to the rowid of the last row returned;
 *   `SEARCH orders USING INDEX orders_by_status_deadline` reads one index entry + one table row
 *   per row returned;
 * - a read by key (the order by id, its items): the rows it returned;
 * - a write (UPDATE, INSERT … SELECT): one row per SEARCH of its plan, each an equality lookup on a
 *   primary/unique key (planProblems refuses anything else).
 */
function rowsReadRule(tableRows: number, rowidOf: Map<string, number>) {
  return (e: Execution): number => {
    switch (e.kind) {
      case 'scan for due orders': {
        const returned = e.rows?.length ?? 0;
        if (!e.plan.some((d) => /^SCAN orders\b/.test(d))) return returned;
        if (returned < Number(e.params.at(-1))) return tableRows;
        return rowidOf.get((e.rows?.at(-1) as { order_id: string }).order_id) ?? tableRows;
      }
      case 'begin':
      case 'commit':
        return 0;
      default:
        return e.rows ? e.rows.length : e.plan.filter((d) => d.startsWith('SEARCH ')).length;
    }
  };
}

/**
 * Checks the model above against SQLite itself, before the run: the scan's query with a counting
 * function as its first condition, which SQLite calls once for every row the loop visits.
 */
function checkScanModel(
  raw: import('better-sqlite3').Database,
  tableRows: number,
  rowidOf: Map<string, number>,
  first: number,
  last: number,
): RunResult['model'] {
  let visited = 0;
  raw.function('bench_visit', { deterministic: false }, () => (visited++, 1));
  const sql = 'SELECT order_id FROM orders WHERE bench_visit() AND status = ? AND pay_deadline <= ? LIMIT ?';
  const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('WAIT_PAY', 0, 500) as { detail: string }[]).map((r) => r.detail);
  const rule = rowsReadRule(tableRows, rowidOf);
  const probe = (now: number) => {
    visited = 0;
    const rows = raw.prepare(sql).all('WAIT_PAY', now, 500);
    return { visited, counted: rule({ kind: 'scan for due orders', plan, params: ['WAIT_PAY', now, 500], rows }) };
  };
  return { noneDue: probe(first - 1), allDue: probe(last) };
}

function orderContext(
  database: OrderContext['database'],
  close: 'delay' | 'scan',
  mq: Messaging,
  producer: Producer | undefined,
  logger: OrderContext['logger'],
  onClosed: (orderId: string) => void,
): OrderContext {
  const registry = new Registry();
  return {
    database,
    transact: (work) => database.db.transaction().execute(work),
    mq,
    producer: () => producer ?? absent<Producer>('producer'),
    clock: () => Date.now(),
    logger,
    // No changelog relay here: the outbox rows the closings write simply wait (context.ts).
    wakeRelays: () => {},
    // Closing never pays: no payment provider is called here.
    payments: {
      create: () => Promise.reject(new Error('no payment provider in this benchmark')),
      callbackUrl: () => 'http://127.0.0.1:1/api/payments/callback',
      ledger: () => Promise.reject(new Error('no payment provider in this benchmark')),
      find: () => Promise.reject(new Error('no payment provider in this benchmark')),
    },
    config: { payTimeoutMs: PAY_TIMEOUT_MS, close, flow: 'async', orderMessages: 'transactional', reconcile: { everyMs: 0, lagMs: 0 } },
    // The coupon system owns its own database; endUnpaidOrder calls release after every close
    // that won, once the order's transaction has committed: that is when it was closed.
    coupons: {
      lock: async () => {
        throw new Error('placing orders is not part of this benchmark');
      },
      release: async (orderId) => onClosed(orderId),
    },
    metrics: {
      ordersPlaced: new Counter({ name: 'orderflow_orders_placed_total', help: 'Orders placed', registers: [registry] }),
      ordersPaid: new Counter({ name: 'orderflow_orders_paid_total', help: 'Orders paid', registers: [registry] }),
      payDuration: new Histogram({ name: 'orderflow_pay_duration_seconds', help: 'Time to pay an order', registers: [registry] }),
    },
    inline: [],
  };
}

/** Something the design at hand must never touch (the scan has no broker). */
function absent<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_, property) => {
      throw new Error(`${what}.${String(property)} was used: the scan design has no broker`);
    },
  });
}
