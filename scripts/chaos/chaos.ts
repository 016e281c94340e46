/**
 * `npm run chaos [-- --topology embedded|production] [--seconds 60] [--kills 5] [--seed N] [--users 100]
 *  [--concurrency 8] [--order-messages transactional|outbox]`:
 * a steady mixed load over real HTTP against real orderflow processes while faults are injected at random
 * moments (seeded: the seed is printed, `--seed` replays the same load and the same schedule), then the system
 * settles and every invariant is checked against the databases, the vendors' ledger and the admin API.
 * Prints the faults and the invariants as tables; exits 1 on any violation, 2 when the run could not be set up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { embeddedTopology } from './embedded.js';
import { call, newCallLog } from './http-client.js';
import { type Check, checkInvariants, type Evidence } from './invariants.js';
import { logIn, startLoad } from './load.js';
import { LOG_DIR, ROOT } from './processes.js';
import { seededRandom } from './random.js';
import { type FaultRecord, printReport, recoverySummary } from './report.js';
import { settle } from './settle.js';
import { CHAOS_PAY_TIMEOUT, type Topology } from './topology.js';

const USAGE =
  'usage: npm run chaos -- [--topology embedded|production] [--seconds 60] [--kills 5] [--seed N] [--users 100] [--concurrency 8] [--order-messages transactional|outbox]';

/** The command line, checked: a bad option or value is one line naming it and the usage (exit 2), never a stack trace. */
function options() {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        help: { type: 'boolean', default: false },
        topology: { type: 'string', default: 'embedded' },
        seconds: { type: 'string', default: '60' },
        kills: { type: 'string', default: '5' },
        seed: { type: 'string', default: String(Date.now() % 1_000_000) },
        users: { type: 'string', default: '100' },
        concurrency: { type: 'string', default: '8' },
        'order-messages': { type: 'string', default: 'transactional' },
      },
    }).values;
  const refuse = (message: string): never => {
    console.error(`chaos: ${message}\n${USAGE}`);
    process.exit(2);
  };
  try {
    parsed = parse();
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name: 'seconds' | 'kills' | 'seed' | 'users' | 'concurrency', min: number) => {
    const value = Number(parsed[name]);
    if (!Number.isSafeInteger(value) || value < min) refuse(`--${name} must be a whole number of at least ${min} (got '${parsed[name]}')`);
    return value;
  };
  if (!['embedded', 'production'].includes(parsed.topology)) refuse(`--topology must be embedded or production (got '${parsed.topology}')`);
  if (!['transactional', 'outbox'].includes(parsed['order-messages']))
    refuse(`--order-messages must be transactional or outbox (got '${parsed['order-messages']}')`);
  return {
    topology: parsed.topology,
    orderMessages: parsed['order-messages'],
    seconds: whole('seconds', 1),
    kills: whole('kills', 0),
    seed: whole('seed', 0),
    users: whole('users', 1),
    concurrency: whole('concurrency', 1),
  };
}
const values = options();
const { seed, seconds, users } = values;
const random = seededRandom(seed);
const log = newCallLog();
const dir = path.join(ROOT, '.chaos', values.topology);

fs.rmSync(LOG_DIR, { recursive: true, force: true });
console.log(`chaos: topology ${values.topology}, ${seconds} s of load, seed ${seed} (replay with --seed ${seed})`);
let topology: Topology | undefined;
try {
  topology =
    values.topology === 'production'
      ? await (await import('./production.js')).productionTopology({
          dir,
          users,
          log,
          random,
          orderMessages: values.orderMessages,
        })
      : await embeddedTopology({ dir, users, log, kills: values.kills });
  process.exitCode = await run(topology);
} catch (error) {
  console.error(`chaos: the run could not go on: ${(error as Error).stack ?? error}`);
  process.exitCode = 2;
} finally {
  await topology?.close().catch(() => undefined);
  await topology?.reader.close().catch(() => undefined);
}

async function run(topology: Topology): Promise<number> {
  const initial = await topology.reader.query('order', 'SELECT sku_id, available + reserved + sold AS total FROM skus');
  const initialStock = new Map(initial.map((r) => [String(r.sku_id), Number(r.total)]));
  const tokens = await logIn(log, topology.baseUrl(), topology.users, topology.password);
  const skus = ['SKU-1001', 'SKU-1002', 'SKU-1003', 'SKU-1004'];
  const load = startLoad({
    baseUrl: topology.baseUrl,
    adminToken: topology.adminToken,
    tokens,
    skus,
    flashSaleSku: 'SKU-2001',
    concurrency: Number(values.concurrency),
    random,
    log,
  });
  const began = Date.now();
  const progress = setInterval(() => {
    const a = load.acknowledged;
    console.log(
      `  ${Math.round((Date.now() - began) / 1000)} s: ${log.sent} requests (2xx ${log.byClass['2xx']}, 4xx ${log.byClass['4xx']}, 5xx ${log.byClass['5xx']}, no answer ${log.byClass.none}); placed ${a.placed.size}, paid ${a.paid.size}, cancelled ${a.cancelled.size}, refunds ${a.refunded.size}, tickets ${a.tickets.size}; faults ${records.length}/${topology.faults.length}`,
    );
  }, 5_000);
  // The faults at random moments between 10 % and 85 % of the load, one after the other (each waits for recovery).
  const times = topology.faults.map(() => 0.1 + random.next() * 0.75).sort((a, b) => a - b);
  const records: FaultRecord[] = [];
  // Whatever ends the faults' loop, the load and its progress lines stop (they would keep the process alive).
  const stopLoad = () => {
    clearInterval(progress);
    return load.stop();
  };
  try {
    for (const [i, fault] of topology.faults.entries()) {
      const wait = began + times[i] * seconds * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const at = Date.now() - began;
      console.log(`  ${(at / 1000).toFixed(1)} s: ${fault.name}`);
      const outcome = await fault.inject();
      records.push({ at, name: fault.name, ...outcome });
      console.log(
        `  ${fault.name}: answering again after ${outcome.recoveryMs} ms${outcome.note ? ` (${outcome.note})` : ''}${outcome.violations.length ? ` VIOLATION: ${outcome.violations.join('; ')}` : ''}`,
      );
    }
    const rest = began + seconds * 1000 - Date.now();
    if (rest > 0) await sleep(rest);
  } catch (error) {
    await stopLoad().catch(() => undefined);
    throw error;
  }
  await stopLoad();
  const loadEnded = Date.now();
  console.log(
    `load stopped after ${Math.round((loadEnded - began) / 1000)} s; settling (at most ${topology.settleLimitMs / 1000} s; unpaid orders close after ${CHAOS_PAY_TIMEOUT})`,
  );
  const admin = { token: topology.adminToken };
  const gather = async (): Promise<Evidence> => {
    const [ledger, analytics, queues, dlq, payments] = await Promise.all([
      call(log, topology.vendorsAdminUrl, 'GET', '/api/admin/vendors/ledger', admin),
      call(log, topology.analyticsUrl(), 'GET', '/api/analytics/summary', admin),
      call(log, topology.baseUrl(), 'GET', '/api/admin/queues', admin),
      call(log, topology.baseUrl(), 'GET', '/api/admin/dlq?limit=1000', admin),
      call(log, topology.paymentUrl, 'GET', '/payments'),
    ]);
    for (const [what, answer] of Object.entries({ ledger, analytics, queues, dlq, payments }))
      if (answer.status !== 200) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return {
      reader: topology.reader,
      acknowledged: load.acknowledged,
      ledger: ledger.body.entries,
      initialStock,
      analytics: analytics.body,
      queues: queues.body.queues,
      deadLetters: dlq.body,
      payments: payments.body.payments,
    };
  };
  let evidence: Evidence | undefined;
  const verify = async () => checkInvariants((evidence = await gather()));
  const settled = await settle(topology, log, topology.settleLimitMs, verify);
  console.log(
    settled.tookMs === undefined ? 'not settled: the checks below still fail' : `settled ${settled.tookMs} ms after the load stopped`,
  );
  const checks: Check[] = settled.checks;
  checks.push({
    name: `settled within ${topology.settleLimitMs / 1000} s of the load's end`,
    checked: 1,
    violations: settled.tookMs === undefined ? ['see the checks above'] : [],
  });
  checks.push({
    name: 'faults: recovered, graceful stop bounded and lossless',
    checked: records.length,
    violations: records.flatMap((r) => r.violations.map((v) => `${r.name}: ${v}`)),
  });
  const violations = printReport(records, checks);
  const { p50, max } = recoverySummary(records);
  const a = load.acknowledged;
  console.log(
    `\nsummary: topology ${topology.name}, seed ${seed}, ${seconds} s of load, ${records.length} faults, ${log.sent} requests, ${a.placed.size} orders placed (${a.paid.size} paid, ${a.cancelled.size} cancelled, ${a.refunded.size} refunds asked, ${a.tickets.size} flash-sale tickets), ${evidence?.ledger.length} vendor effects, ${evidence?.deadLetters.length} dead letters; recovery p50 ${p50} ms, max ${max} ms; settled in ${settled.tookMs ?? '—'} ms; violations ${violations}`,
  );
  return violations === 0 ? 0 : 1;
}
