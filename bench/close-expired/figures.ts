/** The figures of one run, and the side-by-side table of the three designs. */
import { round, summarize, type LatencySummary } from '../peers/stats.js';
import type { Dataset } from './data.js';
import { TITLES, type RunResult } from './designs.js';
import type { StatementKind } from './metered-db.js';

export interface Figures {
  design: string;
  closed: number;
  lag: LatencySummary;
  /** Rows of `orders` read to find the orders to close (the scan's query, or the message's order by id). */
  findRows: number;
  findRowsPerClosed: number;
  totalRows: number;
  totalRowsPerClosed: number;
  dbMs: number;
  dbMsPerClosed: number;
  findMsPerClosed: number;
  statementsPerClosed: number;
  dbMsPerSecond: number;
  cpuMsPerSecond: number;
  wallMs: number;
  /** Delay: messages handled. Scan: scans that ran in the window. */
  lookups: number;
  scanMs?: LatencySummary;
  scanSelectMs?: LatencySummary;
  rowsPerScan?: { min: number; max: number };
  sendMs?: number;
}

const FIND: StatementKind[] = ['scan for due orders', 'find order by id'];

export function figuresOf(r: RunResult): Figures {
  const closed = r.checks.expiredClosed;
  const per = (n: number) => (closed > 0 ? n / closed : NaN);
  let findRows = 0;
  let findMs = 0;
  for (const kind of FIND) {
    findRows += r.db.byKind.get(kind)?.rowsRead ?? 0;
    findMs += r.db.byKind.get(kind)?.ms ?? 0;
  }
  const seconds = r.wallMs / 1_000;
  const scans = r.scans?.filter((s) => s.at >= r.windowStart && s.at <= r.windowEnd);
  return {
    design: TITLES[r.design],
    closed,
    lag: summarize(r.lags),
    findRows,
    findRowsPerClosed: per(findRows),
    totalRows: r.db.rowsRead,
    totalRowsPerClosed: per(r.db.rowsRead),
    dbMs: r.db.ms,
    dbMsPerClosed: per(r.db.ms),
    findMsPerClosed: per(findMs),
    statementsPerClosed: per(r.db.calls),
    dbMsPerSecond: r.db.ms / seconds,
    cpuMsPerSecond: r.cpuMs / seconds,
    wallMs: r.wallMs,
    lookups: scans ? scans.length : (r.db.byKind.get('find order by id')?.calls ?? 0),
    scanMs: scans && summarize(scans.map((s) => s.ms)),
    scanSelectMs: scans && summarize(scans.map((s) => s.selectMs)),
    rowsPerScan: scans && { min: Math.min(...scans.map((s) => s.rowsRead)), max: Math.max(...scans.map((s) => s.rowsRead)) },
    sendMs: r.messages?.sendMs,
  };
}

const n = (v: number) => (Number.isFinite(v) ? round(v).toLocaleString('en-US', { maximumFractionDigits: 3 }) : '—');
const ms = (s: LatencySummary) => `${n(s.p50)} / ${n(s.p99)} / ${n(s.max)}`;

export function tableRows(data: Dataset, f: Figures[], results: RunResult[]): string[][] {
  const rows: string[][] = [['', ...f.map((x) => x.design), 'target']];
  const row = (label: string, cell: (x: Figures, r: RunResult) => string, target = '') =>
    rows.push([label, ...f.map((x, i) => cell(x, results[i])), target]);
  row(`orders closed (of ${n(data.options.expiring)} expired)`, (x) => n(x.closed));
  row('lag after deadline p50 / p99 / max, ms', (x) => ms(x.lag), 'p99 ≤ 1,000');
  row('rows read to find them, per closed order', (x) => n(x.findRowsPerClosed), '1');
  row('rows read per lookup (message / scan)', (x) => n(x.findRows / x.lookups));
  row('rows read in all, per closed order', (x) => n(x.totalRowsPerClosed));
  row('rows read in all (measurement window)', (x) => n(x.totalRows));
  row('DB time per closed order, ms', (x) => n(x.dbMsPerClosed));
  row('  of which finding the orders, ms', (x) => n(x.findMsPerClosed));
  row('statements per closed order', (x) => n(x.statementsPerClosed));
  row('lookups: messages handled / scans run', (x, r) =>
    r.scans ? `${n(x.lookups)} scans (${r.skippedScans ?? 0} ticks skipped)` : `${n(x.lookups)} messages`,
  );
  row('rows read per scan, min – max', (x) => (x.rowsPerScan ? `${n(x.rowsPerScan.min)} – ${n(x.rowsPerScan.max)}` : '—'));
  row('scan query p50 / max, ms', (x) => (x.scanSelectMs ? `${n(x.scanSelectMs.p50)} / ${n(x.scanSelectMs.max)}` : '—'));
  row('whole scan (query + closes) p50 / max, ms', (x) => (x.scanMs ? `${n(x.scanMs.p50)} / ${n(x.scanMs.max)}` : '—'));
  row('DB time per second of wall time, ms/s', (x) => n(x.dbMsPerSecond));
  row('process CPU per second of wall time, ms/s', (x) => n(x.cpuMsPerSecond));
  row('measurement window, s', (x) => n(x.wallMs / 1_000));
  row('machine load average (1 min) before → after', (_, r) => `${n(r.loadBefore)} → ${n(r.loadAfter)}`);
  row('closed before deadline (db / seen)', (_, r) => `${r.checks.closedEarlyInDb} / ${r.checks.closedEarlySeen}`, '0');
  row('paid or final orders changed', (_, r) => String(r.checks.paidOrFinalChanged), '0');
  row('expired orders left open', (_, r) => String(r.checks.expiredLeftOpen), '0');
  row('orders closed twice', (_, r) => String(r.checks.closedTwice), '0');
  row('stock consistent', (_, r) => (r.checks.stockConsistent ? 'yes' : 'NO'), 'yes');
  return rows;
}

export function printRows(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  rows.forEach((r, i) => {
    console.log(
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

/** The old way over the new one, and the index's effect. */
export function ratios(f: Figures[]): string[][] {
  const [delay, old, indexed] = f;
  const r = (a: number, b: number) => (b > 0 ? `${n(a / b)}×` : '—');
  return [
    ['ratio', 'scan, no index ÷ delay', 'scan + index ÷ delay'],
    [
      'rows read to find, per closed order',
      r(old.findRowsPerClosed, delay.findRowsPerClosed),
      r(indexed.findRowsPerClosed, delay.findRowsPerClosed),
    ],
    ['DB time per closed order', r(old.dbMsPerClosed, delay.dbMsPerClosed), r(indexed.dbMsPerClosed, delay.dbMsPerClosed)],
    ['DB time per second', r(old.dbMsPerSecond, delay.dbMsPerSecond), r(indexed.dbMsPerSecond, delay.dbMsPerSecond)],
    ['process CPU per second', r(old.cpuMsPerSecond, delay.cpuMsPerSecond), r(indexed.cpuMsPerSecond, delay.cpuMsPerSecond)],
    ['lag p99', r(old.lag.p99, delay.lag.p99), r(indexed.lag.p99, delay.lag.p99)],
  ];
}
