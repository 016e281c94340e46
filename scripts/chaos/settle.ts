import { setTimeout as sleep } from 'node:timers/promises';
import { call, type CallLog } from './http-client.js';
import type { Check } from './invariants.js';
import type { Topology } from './topology.js';

/** Whether the system has finished what the load set off, and what is still pending when it has not. */
async function pending(topology: Topology, log: CallLog): Promise<string[]> {
  const left: string[] = [];
  const queues = await call(log, topology.baseUrl(), 'GET', '/api/admin/queues', { token: topology.adminToken });
  if (queues.status !== 200) return [`admin API answered ${queues.status}`];
  for (const q of queues.body.queues as { topic: string; group: string; backlog: number; inFlight: number }[])
    if (q.backlog + q.inFlight > 0) left.push(`${q.group}: ${q.backlog + q.inFlight}`);
  const [row] = await topology.reader.query(
    'order',
    "SELECT (SELECT COUNT(*) FROM orders WHERE status IN ('WAIT_PAY', 'PAID', 'REFUNDING')) AS busy, (SELECT COUNT(*) FROM order_outbox) AS outbox",
  );
  if (Number(row?.busy) > 0) left.push(`${row?.busy} orders unpaid, unshipped or refunding`);
  if (Number(row?.outbox) > 0) left.push(`${row?.outbox} changes in the outbox`);
  const [tickets] = await topology.reader.query('flash-sale', "SELECT COUNT(*) AS n FROM flash_sale_tickets WHERE status = 'QUEUED'");
  if (Number(tickets?.n) > 0) left.push(`${tickets?.n} tickets queued`);
  return left;
}

/**
 * Waits until every backlog is 0, every order has ended its wait (paid orders shipped, unpaid ones closed, refunds
 * paid), the outbox is empty and every invariant holds — a message that failed while a server was down comes back
 * after RocketMQ's back-off (10 s, 30 s, 1 min, …), so effects may complete after the queues look empty — or until
 * `limitMs` has passed. Returns how long it took (undefined: it never settled) and the last checks.
 */
export async function settle(
  topology: Topology,
  log: CallLog,
  limitMs: number,
  verify: () => Promise<Check[]>,
): Promise<{ tookMs?: number; checks: Check[] }> {
  const started = Date.now();
  let lastPrint = 0;
  for (;;) {
    const left = await pending(topology, log).catch((error) => [`not readable yet: ${(error as Error).message}`]);
    const out = Date.now() - started > limitMs;
    if (left.length === 0 || out) {
      const checks = await verify();
      const failing = checks.filter((c) => c.violations.length > 0);
      if (failing.length === 0) return { tookMs: Date.now() - started, checks };
      if (out) return { checks };
      left.push(...failing.map((c) => `${c.name}: ${c.violations.length}`));
    }
    if (Date.now() - lastPrint > 5_000) {
      console.log(`  settling ${Math.round((Date.now() - started) / 1000)} s: ${left.join('; ')}`);
      lastPrint = Date.now();
    }
    await sleep(2_000);
  }
}
