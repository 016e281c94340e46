/**
 * `npm run bench -- core-flow --topology production`: the core flow on the production path — RocketMQ,
 * MariaDB/MySQL and Redis, the order side and the downstream systems in processes of their own, the
 * vendors in a third — for each way of sending the order system's messages (transactional messages and
 * the message outbox), held against the limits measured in the same run: the raw commit rate and latency
 * of that MariaDB for a pay's rows (a plain mysql2 loop) and the raw transactional-send rate and latency
 * of that RocketMQ (its official client).
 *
 * A pay is measured as payments really arrive, as in the embedded core-flow benchmark (bench/core-flow/callbacks.ts):
 * each order's payment is created at the provider beforehand (the pay route with `confirm: false`), and the load
 * generator, playing the provider, posts the signed `payment.succeeded` callback that runs the core flow; the
 * callback answers once the order is PAID. The provider's own round trip (its simulated 50 ms) is the shopper's, not
 * the order system's, and is left out of the pay's figures.
 *
 * Phases per configuration: one client placing then paying (latency), back to back and at rest (each operation a
 * pause after the last, the ratios to the limits use these), eight clients paying (saturation,
 * paid orders/s), then pays at a fixed rate with latency from each pay's due time, with the vendors at
 * 100 ms and at 1,000 ms — and, from the databases, how long each paid order took to be SHIPPED and to
 * have its SMS sent. Exits non-zero when a pay failed or a paid order was not shipped with its SMS.
 *
 * Scale-out: `--instances N` runs N order-side processes behind HAProxy and `--consumer-instances M` (default N)
 * downstream processes; the saturation phase then also reports the CPU each process spent per paid order, read
 * from /proc (Linux), and the machine's busy share.
 */
import os from 'node:os';
import mysql from 'mysql2/promise';
import { createMessaging } from '../../../src/mq/index.js';
import {
  callbacksEvenly,
  createPayment,
  type PendingPayment,
  type PlacedOrder,
  placeOrder,
  preparePayments,
  sendCallback,
  withoutLatencies,
} from '../callbacks.js';
import { round, summarize } from '../../peers/stats.js';
import type { Figure } from '../../peers/types.js';
import { cpuSnapshot, cpuSpent } from './cpu.js';
import { cpuSpeedProbeMs, printTable, saveResults, type Section } from '../../report.js';
import { type Deployment, SEED_PASSWORD, type Servers, startDeployment } from './deployment.js';
import { FLOOR_TOPICS, type Floors, measureBrokerFloors, measureDatabaseFloors } from './floors.js';

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

type Mode = 'transactional' | 'outbox';

interface Plan {
  smoke: boolean;
  modes: Mode[];
  oneClient: number;
  clients: number;
  manyClients: number;
  rate: number;
  seconds: number;
  vendorMs: number[];
  floorCount: number;
  /** The pause before each operation of the one-client phase at rest (--rest-ms). */
  restMs: number;
  /** How late a paid order may be SHIPPED with its SMS sent, at the fixed rate with the fastest vendors. */
  shippedWithinMs: number;
  /** How long to wait, after the last pay, for every paid order to be SHIPPED with its SMS. */
  drainTimeoutMs: number;
  /** Order-side and downstream processes (--instances, --consumer-instances); undefined: one of each, no balancer. */
  instances?: { order: number; consumers: number };
}

function planFrom(args: Map<string, string | true>): Plan {
  const smoke = args.has('smoke');
  const number = (name: string, fallback: number) => {
    const value = args.get(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} takes a positive number (got ${String(value)})`);
    return n;
  };
  const modes = String(args.get('order-messages') ?? 'transactional,outbox').split(',') as Mode[];
  for (const mode of modes)
    if (mode !== 'transactional' && mode !== 'outbox') throw new Error(`--order-messages takes transactional and/or outbox (got ${mode})`);
  const vendorMs = String(args.get('vendor-ms') ?? (smoke ? '100' : '100,1000'))
    .split(',')
    .map(Number);
  if (vendorMs.some((ms) => !(ms >= 0)))
    throw new Error(`--vendor-ms takes milliseconds separated by commas (got ${String(args.get('vendor-ms'))})`);
  return {
    smoke,
    modes,
    oneClient: number('one-client', smoke ? 20 : 200),
    clients: number('clients', 8),
    manyClients: number('orders', smoke ? 80 : 1_600),
    rate: number('rate', smoke ? 20 : 100),
    seconds: number('seconds', smoke ? 2 : 10),
    vendorMs,
    floorCount: number('floor-count', smoke ? 40 : 300),
    restMs: number('rest-ms', 300),
    shippedWithinMs: number('shipped-within-ms', 2_000),
    drainTimeoutMs: number('drain-timeout-ms', smoke ? 60_000 : 120_000),
    instances: instancesFrom(args),
  };
}

function instancesFrom(args: Map<string, string | true>): Plan['instances'] {
  const count = (name: string, fallback?: number) => {
    const value = args.get(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--${name} takes a whole number from 1 to 8 (got ${String(value)})`);
    return n;
  };
  const order = count('instances');
  const consumers = count('consumer-instances', order);
  if (order === undefined && consumers === undefined) return undefined;
  return { order: order ?? 1, consumers: consumers ?? 1 };
}

function serversFromEnvironment(): Servers {
  return {
    rocketmqEndpoints: process.env.ROCKETMQ_ENDPOINTS ?? '127.0.0.1:8081',
    rocketmqNamesrv: process.env.ROCKETMQ_NAMESRV ?? process.env.ROCKETMQ_NAMESRV_ADDR ?? '127.0.0.1:9876',
    mysqlServer: withoutDatabase(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

/** mysql://user@host:port/db → mysql://user@host:port (the benchmark makes databases of its own). */
function withoutDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '';
  return parsed.toString().replace(/\/$/, '');
}

/** Violations of what the benchmark checks; any makes it exit non-zero. */
const violations: string[] = [];

export async function runProductionCoreFlowBench(args: Map<string, string | true>): Promise<void> {
  const plan = planFrom(args);
  const servers = serversFromEnvironment();
  log(
    `production path: RocketMQ ${servers.rocketmqEndpoints} (namesrv ${servers.rocketmqNamesrv}), MariaDB/MySQL ${servers.mysqlServer.replace(/\/\/[^@]*@/, '//')}, Redis ${servers.redisUrl}`,
  );
  await checkServers(servers);
  const speed = cpuSpeedProbeMs();
  log(
    `machine speed probe: ${speed} ms (a fixed loop; lower is faster); load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  log(`limits: raw MariaDB pay and placing transactions (1 and ${plan.clients} connections) …`);
  const db = await measureDatabaseFloors(servers.mysqlServer, { clients: plan.clients, count: plan.floorCount });
  log(`limits: raw RocketMQ transactional and plain sends (1 and ${plan.clients} clients) …`);
  const mq = await measureBrokerFloors(servers.rocketmqEndpoints, { clients: plan.clients, count: plan.floorCount });
  const floors: Floors = { ...db, ...mq };
  const sections: Section[] = [floorSection(floors, plan.clients)];
  const raw: Record<string, unknown> = { floors };

  for (const [i, mode] of plan.modes.entries()) {
    log(`configuration ${i + 1}/${plan.modes.length}: ORDERFLOW_ORDER_MESSAGES=${mode}`);
    const deployment = await startDeployment({ servers, orderMessages: mode, port: 3951 + 10 * i, instances: plan.instances });
    log(`  started: ${deployment.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
    try {
      const result = await runPhases(deployment, plan, mode, servers.mysqlServer);
      sections.push(result.section);
      raw[mode] = result.raw;
    } finally {
      await deployment.stop();
    }
  }
  sections.push({ title: 'against the limits (same run)', figures: ratios(sections, floors, plan) });
  console.log('');
  printTable(sections);
  // A smoke (CI) checks the invariants; its few-second figures are not worth keeping.
  if (!plan.smoke) {
    const scenario = plan.instances ? `core-flow-production-${plan.instances.order}x${plan.instances.consumers}` : 'core-flow-production';
    const file = saveResults(scenario, { options: plan, machineSpeedProbeMs: speed, sections, raw, violations });
    console.log(`\nresults: ${file}`);
  }
  if (violations.length > 0) {
    console.error(`\n${violations.length} invariant violation(s):\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
}

/** Fails early, naming what to start, when a server the benchmark needs does not answer. */
async function checkServers(servers: Servers): Promise<void> {
  try {
    const connection = await mysql.createConnection(servers.mysqlServer);
    await connection.end();
  } catch (error) {
    throw new Error(`MariaDB/MySQL at ${servers.mysqlServer} does not answer (${(error as Error).message}): start it, or set MYSQL_URL`);
  }
  const messaging = await createMessaging({
    engine: 'rocketmq',
    endpoints: servers.rocketmqEndpoints,
    namesrv: servers.rocketmqNamesrv,
  }).catch((error: Error) => {
    throw new Error(
      `RocketMQ at ${servers.rocketmqEndpoints} does not answer (${error.message}): start it with npm run rocketmq:start, or set ROCKETMQ_ENDPOINTS / ROCKETMQ_NAMESRV`,
    );
  });
  try {
    await messaging.admin.createTopic({ name: FLOOR_TOPICS.transactional, type: 'TRANSACTION' });
    await messaging.admin.createTopic({ name: FLOOR_TOPICS.plain, type: 'DELAY' });
  } finally {
    await messaging.close();
  }
}

function floorSection(floors: Floors, clients: number): Section {
  const figure = (name: string, f: Floors['dbPay'], unit: string): Figure[] => [
    { name: `${name}, 1 client`, unit: 'ms', value: f.one.p50Ms, p50Ms: f.one.p50Ms, p99Ms: f.one.p99Ms },
    { name: `${name}, ${clients} clients`, unit: 'msg/s', value: f.many.rate, p50Ms: f.many.p50Ms, p99Ms: f.many.p99Ms, note: `${unit}/s` },
  ];
  return {
    title: 'limits: the raw servers',
    figures: [
      ...figure('MariaDB: a pay’s rows, one transaction (mysql2)', floors.dbPay, 'transactions'),
      ...figure('MariaDB: a placing’s rows, one transaction', floors.dbPlace, 'transactions'),
      ...figure('RocketMQ: transactional send (half + commit)', floors.mqTransactional, 'transactions'),
      ...figure('RocketMQ: plain (delayed) send', floors.mqSend, 'sends'),
    ],
  };
}

async function runPhases(deployment: Deployment, plan: Plan, mode: Mode, mysqlServer: string) {
  const token = (await deployment.call('POST', '/api/auth/login', { userId: 'user1', password: SEED_PASSWORD })).body.token as string;
  const place = () => placeOrder(deployment, token);
  const startPayment = (order: PlacedOrder) => createPayment(deployment, token, order);
  /** The core flow: the provider's signed `payment.succeeded`, answered once the order is PAID (its transaction committed). */
  const pay = async (payment: PendingPayment) => {
    const { paid, answer } = await sendCallback(deployment, payment);
    if (!paid) violations.push(`${mode}: the callback paying ${payment.orderId} answered ${answer}`);
    return paid;
  };
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = {};
  await deployment.setVendorLatency(plan.vendorMs[0]);

  log('  warm-up: 8 clients place and pay 100 orders (not measured)');
  await closedLoop(plan.clients, await preparePayments(deployment, token, 100), pay);
  await settle(3_000);

  log(`  one client: placing ${plan.oneClient} orders one at a time, creating their payments, then paying them one at a time`);
  const placedOne = await timed(1, plan.oneClient, place);
  const paidOne = await closedLoop(1, await eachAtMost(plan.clients, placedOne.results, startPayment), pay);
  figures.push(
    { name: 'place, 1 client', unit: 'ms', value: placedOne.latency.p50, p50Ms: placedOne.latency.p50, p99Ms: placedOne.latency.p99 },
    {
      name: 'pay, 1 client',
      unit: 'ms',
      value: paidOne.latency.p50,
      p50Ms: paidOne.latency.p50,
      p99Ms: paidOne.latency.p99,
      note: `${paidOne.ok} paid, back to back`,
    },
  );
  await settle(3_000);

  // Back to back, one client keeps two cores busy: each pay sets off ~80 ms of CPU in the broker, the downstream
  // systems and the database (docs/benchmarks.md), which the next pay then waits behind. At rest, each operation starts
  // once the previous one's downstream work is done (the vendors answer in 100 ms): what one pay costs by itself, as
  // the limits are measured, each on a server doing nothing else.
  log(`  one client at rest: ${plan.oneClient} orders placed and paid one at a time, ${plan.restMs} ms apart`);
  const atRest = { place: [] as number[], pay: [] as number[] };
  for (let i = 0; i < plan.oneClient; i++) {
    await settle(plan.restMs);
    let t = performance.now();
    const order = await place();
    atRest.place.push(performance.now() - t);
    const payment = await startPayment(order);
    await settle(plan.restMs);
    t = performance.now();
    if (await pay(payment)) atRest.pay.push(performance.now() - t);
  }
  const restPlace = summarize(atRest.place);
  const restPay = summarize(atRest.pay);
  figures.push(
    { name: 'place, 1 client at rest', unit: 'ms', value: restPlace.p50, p50Ms: restPlace.p50, p99Ms: restPlace.p99 },
    {
      name: 'pay, 1 client at rest',
      unit: 'ms',
      value: restPay.p50,
      p50Ms: restPay.p50,
      p99Ms: restPay.p99,
      note: `${atRest.pay.length} paid`,
    },
  );

  log(`  ${plan.clients} clients: placing ${plan.manyClients} orders, then paying them as fast as ${plan.clients} clients go`);
  const toPay = await preparePayments(deployment, token, plan.manyClients);
  const cpuBefore = cpuSnapshot([...deployment.processes, { name: 'load generator', pid: process.pid }]);
  const paidMany = await closedLoop(plan.clients, toPay, pay);
  const cpu = cpuSpent(cpuBefore, cpuSnapshot([...deployment.processes, { name: 'load generator', pid: process.pid }]));
  figures.push({
    name: `pay, ${plan.clients} clients (saturation)`,
    unit: 'msg/s',
    value: paidMany.ok / paidMany.seconds,
    p50Ms: paidMany.latency.p50,
    p99Ms: paidMany.latency.p99,
    note: `paid orders/s (${paidMany.ok} in ${paidMany.seconds.toFixed(1)} s)`,
  });
  raw.saturation = { paid: paidMany.ok, seconds: paidMany.seconds, latency: paidMany.latency, cpu };
  if (cpu) {
    for (const p of cpu.processes)
      figures.push({
        name: `CPU per paid order, ${p.name} (saturation)`,
        unit: 'ms',
        value: p.cpuMs / Math.max(1, paidMany.ok),
        note: `${(p.cpuMs / 1000).toFixed(1)} CPU-s in ${paidMany.seconds.toFixed(1)} s`,
      });
    figures.push({
      name: 'machine busy during saturation (all processes: broker, database, load generator too)',
      unit: '×',
      value: cpu.machineBusy,
      note: `of ${os.cpus().length} cores`,
    });
  }
  await settle(5_000);

  const fixed: { vendorMs: number; p99: number }[] = [];
  for (const vendorMs of plan.vendorMs) {
    await deployment.setVendorLatency(vendorMs);
    const count = Math.round(plan.rate * plan.seconds);
    log(
      `  vendors at ${vendorMs} ms: placing ${count} orders, then paying ${plan.rate}/s for ${plan.seconds} s (open loop, latency from each pay's due time)`,
    );
    const payments = await preparePayments(deployment, token, count);
    const ids = payments.map((p) => p.orderId);
    await settle(3_000);
    const phase = await payAtRate(deployment, payments, plan, mode);
    figures.push({
      name: `pay at ${plan.rate}/s, vendors at ${vendorMs} ms`,
      unit: 'ms',
      value: phase.latency.p99,
      p50Ms: phase.latency.p50,
      p99Ms: phase.latency.p99,
      note: `p99.9 ${phase.latency.p999.toFixed(1)}, max ${phase.latency.max.toFixed(1)} ms; achieved ${phase.achieved.toFixed(0)}/s`,
    });
    const shipping = await shippedDelays(mysqlServer, deployment, ids, plan.drainTimeoutMs, mode);
    figures.push({
      name: `paid → SHIPPED with SMS sent, at ${plan.rate}/s, vendors at ${vendorMs} ms`,
      unit: 'ms',
      value: shipping.delays.p99,
      p50Ms: shipping.delays.p50,
      p99Ms: shipping.delays.p99,
      note: `${shipping.within(plan.shippedWithinMs)} of ${ids.length} within ${plan.shippedWithinMs} ms; max ${shipping.delays.max.toFixed(0)} ms`,
    });
    raw[`fixed rate, vendors at ${vendorMs} ms`] = {
      latency: phase.latency,
      achieved: phase.achieved,
      shipped: shipping.delays,
      withinTarget: shipping.within(plan.shippedWithinMs),
    };
    fixed.push({ vendorMs, p99: phase.latency.p99 });
  }
  if (fixed.length >= 2) {
    const slow = fixed[fixed.length - 1];
    const fast = fixed[0];
    figures.push({
      name: `latency isolation: pay p99 at ${slow.vendorMs} ms vendors ÷ at ${fast.vendorMs} ms`,
      unit: '×',
      value: slow.p99 / fast.p99,
    });
  }
  const scale = plan.instances ? `, ${plan.instances.order} order side(s) behind HAProxy, ${plan.instances.consumers} downstream` : '';
  return { section: { title: `ORDERFLOW_ORDER_MESSAGES=${mode}${scale}`, figures }, raw };
}

/** Lets the consumers catch up between phases, so one phase's backlog is not measured in the next. */
async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function timed<T>(clients: number, count: number, op: () => Promise<T>) {
  const results: T[] = [];
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next++ < count) {
        const t = performance.now();
        results.push(await op());
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { results, latency: summarize(latencies), seconds: (performance.now() - started) / 1000 };
}

/** `work` over every item, at most `concurrency` at a time; the results in the items' order. */
async function eachAtMost<T, R>(concurrency: number, items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** Pays every order over `clients` loops; latencies of the pays that succeeded (a failed pay is a violation, not a figure). */
async function closedLoop<T>(clients: number, orders: T[], pay: (order: T) => Promise<boolean>) {
  const latencies: number[] = [];
  let ok = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < orders.length) {
        const order = orders[next++];
        const t = performance.now();
        if (await pay(order)) {
          latencies.push(performance.now() - t);
          ok++;
        }
      }
    }),
  );
  return { ok, latency: summarize(latencies), seconds: (performance.now() - started) / 1000 };
}

/**
 * The provider's callbacks at the plan's rate, open loop, latency from each one's due time (only those that paid their
 * order count; any other is a violation); the summary without the raw latencies, for the JSON.
 */
async function payAtRate(deployment: Deployment, payments: PendingPayment[], plan: Plan, mode: Mode) {
  const result = withoutLatencies(await callbacksEvenly(deployment, payments, plan.rate, plan.seconds));
  if (result.non2xx > 0 || result.notPaid > 0 || result.errors > 0)
    violations.push(
      `${mode}: of the callbacks at ${plan.rate}/s, ${result.non2xx} answered non-2xx, ${result.notPaid} did not pay their order, ${result.errors} connection errors`,
    );
  return { latency: result, achieved: result.achieved };
}

/**
 * For every order: from its PAID history row to its SHIPPED one, and to its SMS (the push system's own
 * table), read from the systems' databases once all of them are there (or the drain timeout ends it:
 * then the missing ones are violations). The later of the two is the order's delay.
 */
async function shippedDelays(mysqlServer: string, deployment: Deployment, orderIds: string[], timeoutMs: number, mode: Mode) {
  const connection = await mysql.createConnection(mysqlServer);
  try {
    const deadline = Date.now() + timeoutMs;
    const list = orderIds.map(() => '?').join(',');
    let delays: number[] = [];
    let missing = orderIds.length;
    for (;;) {
      const [history] = await connection.query(
        `SELECT order_id, to_status, at FROM \`${deployment.base}_order\`.order_history WHERE to_status IN ('PAID', 'SHIPPED') AND order_id IN (${list})`,
        orderIds,
      );
      const [sms] = await connection.query(
        `SELECT order_id, sent_at FROM \`${deployment.base}_push\`.sms WHERE order_id IN (${list})`,
        orderIds,
      );
      const paidAt = new Map<string, number>();
      const shippedAt = new Map<string, number>();
      for (const row of history as { order_id: string; to_status: string; at: number }[])
        (row.to_status === 'PAID' ? paidAt : shippedAt).set(row.order_id, Number(row.at));
      const smsAt = new Map((sms as { order_id: string; sent_at: number }[]).map((row) => [row.order_id, Number(row.sent_at)]));
      delays = [];
      missing = 0;
      for (const id of orderIds) {
        const paid = paidAt.get(id);
        const shipped = shippedAt.get(id);
        const sent = smsAt.get(id);
        if (paid === undefined || shipped === undefined || sent === undefined) missing++;
        else delays.push(Math.max(shipped, sent) - paid);
      }
      if (missing === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (missing > 0)
      violations.push(
        `${mode}: ${missing} of ${orderIds.length} paid orders not SHIPPED with their SMS sent ${round(timeoutMs / 1000)} s after the last pay`,
      );
    const summary = summarize(delays);
    return { delays: summary, within: (ms: number) => delays.filter((d) => d <= ms).length };
  } finally {
    await connection.end();
  }
}

function ratios(sections: Section[], floors: Floors, plan: Plan): Figure[] {
  const figureOf = (mode: Mode, name: string) =>
    sections.find((s) => s.title.startsWith(`ORDERFLOW_ORDER_MESSAGES=${mode}`))?.figures.find((f) => f.name === name);
  const figures: Figure[] = [];
  const payFloor = floors.mqTransactional.one.p50Ms + floors.dbPay.one.p50Ms;
  const placeFloor = floors.mqSend.one.p50Ms + floors.dbPlace.one.p50Ms;
  const lowerRate = Math.min(floors.mqTransactional.many.rate, floors.dbPay.many.rate);
  for (const mode of plan.modes) {
    const pay = figureOf(mode, 'pay, 1 client at rest');
    const place = figureOf(mode, 'place, 1 client at rest');
    const saturation = figureOf(mode, `pay, ${plan.clients} clients (saturation)`);
    if (pay)
      figures.push({
        name: `${mode}: pay p50, 1 client at rest ÷ floor (raw tx send p50 + raw DB pay p50 = ${payFloor.toFixed(1)} ms)`,
        unit: '×',
        value: pay.value / payFloor,
        note: 'target ≤ 1.5',
      });
    if (place)
      figures.push({
        name: `${mode}: place p50, 1 client at rest ÷ floor (raw send p50 + raw DB placing p50 = ${placeFloor.toFixed(1)} ms)`,
        unit: '×',
        value: place.value / placeFloor,
        note: 'target ≤ 1.5',
      });
    if (saturation) {
      figures.push({
        name: `${mode}: paid/s, ${plan.clients} clients ÷ lower raw limit (${lowerRate.toFixed(0)}/s)`,
        unit: '×',
        value: saturation.value / lowerRate,
        note: 'target ≥ 0.5',
      });
      figures.push({
        name: `${mode}: paid/s, ${plan.clients} clients ÷ raw MariaDB commit rate (${floors.dbPay.many.rate.toFixed(0)}/s)`,
        unit: '×',
        value: saturation.value / floors.dbPay.many.rate,
        note: 'best configuration: target ≥ 0.3',
      });
    }
  }
  return figures;
}
