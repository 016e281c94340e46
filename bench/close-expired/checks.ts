/** Correctness of one run, read back from its database after the run (outside the measurement). */
import type BetterSqlite3 from 'better-sqlite3';
import type { Dataset } from './data.js';
import type { StatementStats } from './metered-db.js';

export interface Checks {
  /** Expired (WAIT_PAY) orders now CLOSED, and still open. */
  expiredClosed: number;
  expiredLeftOpen: number;
  /** Paid orders (the window's, plus every final-state order) whose status changed. */
  paidOrFinalChanged: number;
  /** CLOSED with updated_at or the history's `at` before the pay deadline (the database's own record). */
  closedEarlyInDb: number;
  /** Closes that committed before the deadline, by the benchmark's clock. */
  closedEarlySeen: number;
  /** Orders closed more than once (two wins of the guarded update, or two CLOSED history rows). */
  closedTwice: number;
  /** available + reserved + sold unchanged per SKU, none negative, reserved = what open orders hold. */
  stockConsistent: boolean;
  violations: string[];
}

export function checkRun(
  raw: BetterSqlite3.Database,
  data: Dataset,
  seen: { closedAt: Map<string, number>; closes: Map<string, number>; deadlines: Map<string, number> },
): Checks {
  const count = (sql: string, ...params: unknown[]) => (raw.prepare(sql).get(...params) as { n: number }).n;
  const last = data.lastOldRowid;
  const expiredClosed = count("SELECT count(*) AS n FROM orders WHERE rowid > ? AND status = 'CLOSED' AND payment_id IS NULL", last);
  const expiredLeftOpen = count("SELECT count(*) AS n FROM orders WHERE rowid > ? AND status = 'WAIT_PAY'", last);
  const paidInWindowChanged = count(
    "SELECT count(*) AS n FROM orders WHERE rowid > ? AND payment_id IS NOT NULL AND status <> 'PAID'",
    last,
  );
  const old = raw.prepare('SELECT status, count(*) AS n FROM orders WHERE rowid <= ? GROUP BY status').all(last) as {
    status: string;
    n: number;
  }[];
  let oldChanged = 0;
  const statuses = new Set([...old.map((r) => r.status), ...Object.keys(data.oldStatusCounts)]);
  for (const status of statuses)
    oldChanged += Math.abs((old.find((r) => r.status === status)?.n ?? 0) - (data.oldStatusCounts[status] ?? 0));
  const closedEarlyInDb =
    count("SELECT count(*) AS n FROM orders WHERE rowid > ? AND status = 'CLOSED' AND updated_at < pay_deadline", last) +
    count(
      "SELECT count(*) AS n FROM order_history h JOIN orders o ON o.order_id = h.order_id WHERE h.to_status = 'CLOSED' AND h.at < o.pay_deadline",
    );
  let closedEarlySeen = 0;
  for (const [orderId, at] of seen.closedAt) if (at < (seen.deadlines.get(orderId) ?? Infinity)) closedEarlySeen++;
  const twiceInHistory = count(
    "SELECT count(*) AS n FROM (SELECT order_id FROM order_history WHERE to_status = 'CLOSED' GROUP BY order_id HAVING count(*) > 1)",
  );
  const twiceSeen = [...seen.closes.values()].filter((n) => n > 1).length;
  const stock = raw
    .prepare(
      'SELECT sum(available + reserved + sold) AS total, sum(reserved) AS reserved, min(min(available, reserved, sold)) AS low, count(*) AS skus FROM skus',
    )
    .get() as {
    total: number;
    reserved: number;
    low: number;
    skus: number;
  };
  const held = count(
    "SELECT coalesce(sum(i.quantity), 0) AS n FROM orders o JOIN order_items i ON i.order_id = o.order_id WHERE o.rowid > ? AND o.status = 'WAIT_PAY'",
    last,
  );
  const stockConsistent = stock.total === data.stockTotal * stock.skus && stock.reserved === held && stock.low >= 0;

  const violations: string[] = [];
  if (expiredLeftOpen > 0 || expiredClosed !== data.options.expiring)
    violations.push(`${expiredLeftOpen} expired orders left open (${expiredClosed} of ${data.options.expiring} closed)`);
  if (paidInWindowChanged + oldChanged > 0)
    violations.push(`${paidInWindowChanged + oldChanged} paid or final-state orders changed status`);
  if (closedEarlyInDb + closedEarlySeen > 0)
    violations.push(`${closedEarlyInDb} orders recorded as closed before their deadline (${closedEarlySeen} seen closing early)`);
  if (twiceInHistory + twiceSeen > 0) violations.push(`${Math.max(twiceInHistory, twiceSeen)} orders closed twice`);
  if (!stockConsistent)
    violations.push(
      `stock inconsistent: total ${stock.total} (want ${data.stockTotal * stock.skus}), reserved ${stock.reserved} (open orders hold ${held}), lowest ${stock.low}`,
    );
  return {
    expiredClosed,
    expiredLeftOpen,
    paidOrFinalChanged: paidInWindowChanged + oldChanged,
    closedEarlyInDb,
    closedEarlySeen,
    closedTwice: Math.max(twiceInHistory, twiceSeen),
    stockConsistent,
    violations,
  };
}

/** Statements of a closing that are not a key lookup (the scan's own query excepted). */
export function planProblems(statements: StatementStats[]): string[] {
  const problems: string[] = [];
  for (const s of statements) {
    if (s.kind === 'scan for due orders' || s.kind === 'begin' || s.kind === 'commit') continue;
    if (s.kind === 'other') problems.push(`unexpected statement: ${s.sql}`);
    else if (
      s.plan.length === 0 ||
      !s.plan.every(
        (d) =>
          /^SEARCH \w+ USING (COVERING )?(INDEX \w+|PRIMARY KEY|INTEGER PRIMARY KEY) \(\w+=\?/.test(d) ||
          /^(CORRELATED )?SCALAR SUBQUERY/.test(d),
      )
    ) {
      problems.push(`${s.kind} is not a key lookup: ${s.plan.join('; ')}`);
    }
  }
  return problems;
}
