/**
 * `npm run bench -- close-expired [--orders N] [--expiring N] [--paid N] [--window-s S] [--keep]`:
 * closing expired orders, the old way beside the new one, on 1,000,000 orders of
 * which 10,000 expire unpaid during the run:
 * - delay: each order's `order_timeout` message (embedded broker) arrives at its pay deadline and
 *   onOrderTimeout looks at that one order;
 * - scan, no index: closeExpiredByScan every SCAN_INTERVAL_MS on the old system's table, which had
 *   no (status, pay_deadline) index;
 * - scan + index: the same scan with the index orderflow's schema has (fair to the scan).
 * Each design runs on its own copy of the same data. Exits non-zero if an order was closed
 * wrongly (early, twice, paid) or left open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round } from '../peers/stats.js';
import { saveResults } from '../report.js';
import { planProblems } from './checks.js';
import { buildDataset, type Dataset } from './data.js';
import { runDesign, TITLES, type Design, type RunResult } from './designs.js';
import { figuresOf, printRows, ratios, tableRows } from './figures.js';

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const DESIGNS: Design[] = ['delay', 'scan-no-index', 'scan-index'];

export async function runCloseExpiredBench(args: Map<string, string | true>): Promise<void> {
  const int = (name: string, fallback: number) => {
    const value = Number(args.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, not ${String(args.get(name))}`);
    return value;
  };
  const options = {
    orders: int('orders', 1_000_000),
    expiring: int('expiring', 10_000),
    paidInWindow: int('paid', 1_000),
    windowMs: int('window-s', 20) * 1_000,
    skus: 100,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-close-expired-'));
  const results: RunResult[] = [];
  let data: Dataset;
  try {
    log(
      `building the order database: ${options.orders.toLocaleString('en-US')} orders, ${options.expiring.toLocaleString('en-US')} expiring over ${options.windowMs / 1_000} s, ${options.paidInWindow.toLocaleString('en-US')} paid in time among them (${dir})`,
    );
    data = await buildDataset(dir, { ...options, log });
    for (const [i, design] of DESIGNS.entries()) {
      log(`design ${i + 1}/3: ${TITLES[design]}`);
      const result = await runDesign(design, { data, dir, leadMs: 6_000, tailMs: 3_000, log });
      results.push(result);
      const f = figuresOf(result);
      log(
        `  done: ${f.closed.toLocaleString('en-US')} closed, lag p99 ${round(f.lag.p99)} ms, ${round(f.findRowsPerClosed)} rows read to find each, DB ${round(f.dbMsPerSecond)} ms/s${result.checks.violations.length ? `; VIOLATIONS: ${result.checks.violations.join('; ')}` : ''}`,
      );
    }
  } finally {
    if (args.has('keep')) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }

  const figures = results.map(figuresOf);
  console.log('');
  console.log(
    `closing ${data.options.expiring.toLocaleString('en-US')} expired orders among ${data.totalOrders.toLocaleString('en-US')} (deadlines over ${data.options.windowMs / 1_000} s; scan every 1 s)`,
  );
  const rows = tableRows(data, figures, results);
  printRows(rows);
  console.log('');
  printRows(ratios(figures));

  console.log('\nquery plans (EXPLAIN QUERY PLAN of each statement run, with the parameters of its first run):');
  const warnings: string[] = [];
  for (const r of results) {
    console.log(`  ${TITLES[r.design]}`);
    for (const s of r.statements) {
      if (s.kind === 'begin' || s.kind === 'commit') continue;
      console.log(`    ${s.kind.padEnd(22)} ${String(s.calls).padStart(7)}×  ${s.plan.join('; ')}`);
    }
    for (const p of planProblems(r.statements)) warnings.push(`${TITLES[r.design]}: ${p}`);
    if (r.model) {
      const { noneDue, allDue } = r.model;
      console.log(
        `    scan row count model vs SQLite's own count: none due ${noneDue.counted.toLocaleString('en-US')} vs ${noneDue.visited.toLocaleString('en-US')} visited; all due ${allDue.counted.toLocaleString('en-US')} vs ${allDue.visited.toLocaleString('en-US')} visited`,
      );
      if (noneDue.counted !== noneDue.visited || allDue.counted !== allDue.visited)
        warnings.push(`${TITLES[r.design]}: the rows-read model disagrees with SQLite's count`);
    }
    if (r.messages) {
      const m = r.messages;
      console.log(
        `    messages: ${m.sent.toLocaleString('en-US')} sent before the window in ${Math.round(m.sendMs)} ms; ${m.handled.toLocaleString('en-US')} handled, ${m.retryLater} RETRY_LATER, ${m.early} delivered before the deadline`,
      );
    }
    if (r.skippedScans) console.log(`    ${r.skippedScans} scan ticks skipped (the previous scan was still running)`);
  }
  console.log(
    '\nrows read: rows of orders looked at to find what to close — a message names its order, read by primary key (1 row);' +
      ' a scan without the index reads the table in rowid order until LIMIT rows match (the whole table when fewer are due; checked above' +
      ' against a counting function SQLite calls per visited row); with the index, one index entry + one row per match.' +
      ' "In all" adds the closing: each other statement reads the rows it returns, or one row per key SEARCH in its plan (writes).',
  );
  for (const w of warnings) console.log(`warning: ${w}`);

  const violations = results.flatMap((r) =>
    [...r.checks.violations, ...(r.errors > 0 ? [`${r.errors} closings failed`] : [])].map((v) => `${TITLES[r.design]}: ${v}`),
  );
  const file = saveResults('close-expired', {
    options,
    dataset: {
      totalOrders: data.totalOrders,
      window: data.window.length,
      oldStatusCounts: data.oldStatusCounts,
      buildMs: Math.round(data.buildMs),
    },
    table: rows,
    ratios: ratios(figures),
    designs: results.map((r, i) => ({
      design: r.design,
      title: TITLES[r.design],
      figures: figures[i],
      byKind: Object.fromEntries(r.db.byKind),
      statements: r.statements.map(({ sql, kind, plan, calls, ms, rowsRead }) => ({ kind, sql, plan, calls, ms, rowsRead })),
      scans: r.scans,
      skippedScans: r.skippedScans,
      messages: r.messages,
      model: r.model,
      checks: r.checks,
      errors: r.errors,
    })),
    warnings,
    violations,
  });
  console.log(`\nresults: ${file}`);
  if (violations.length > 0) {
    for (const v of violations) console.error(`VIOLATION ${v}`);
    process.exit(1);
  }
}
