/**
 * `npm run bench -- core-flow`: latency and throughput of the core flow — the payment provider's signed
 * callback paying an order (callbacks.ts) — in the async design (one message) and the sync design
 * (everything inline), with the SMS vendor and the logistics company at 100 ms and at 1,000 ms — four
 * servers, one after the other, each in its own process; the load comes from this process, which plays
 * the provider. The pay route is measured too, with the simulated provider's latency it includes.
 */
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import type { Figure } from '../peers/types.js';
import { Connections, runCrowd } from '../flash-sale/crowd.js';
import { summarize } from '../peers/stats.js';
import { cpuSpeedProbeMs, printTable, saveResults, type Section } from '../report.js';
import { BENCH_ADMIN_TOKEN, startServer, type ServerProcess } from '../server-process.js';
import { BENCH_CALLBACK_SECRET, callbacksEvenly, callbacksSaturated, preparePayments, withoutLatencies } from './callbacks.js';
import { floorFigures, type FloorResult, runFloor } from './floor.js';
import { runProductionCoreFlowBench } from './production/index.js';

interface Scenario {
  flow: 'async' | 'sync';
  vendorMs: number;
}

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

export async function runCoreFlowBench(args: Map<string, string | true>): Promise<void> {
  const topology = args.get('topology') ?? 'embedded';
  if (topology === 'production') return runProductionCoreFlowBench(args);
  if (topology !== 'embedded')
    throw new Error(
      `--topology takes embedded (one process, the default) or production (RocketMQ, MariaDB, Redis, systems in processes of their own), not ${String(topology)}`,
    );
  const rate = Number(args.get('rate') ?? 1_000);
  const seconds = Number(args.get('seconds') ?? 10);
  const warmup = Number(args.get('warmup') ?? 3);
  const saturation = Number(args.get('saturation') ?? 30_000);
  // --alternate-seconds N: the same-server isolation phase's block length (0 skips it; so do fewer than two --vendor-ms); see alternateVendors.
  const alternateSeconds = Number(args.get('alternate-seconds') ?? 5);
  if (!(alternateSeconds >= 0))
    throw new Error(`--alternate-seconds takes a number of seconds, 0 to skip (got ${String(args.get('alternate-seconds'))})`);
  // --flows async (or sync): only those scenarios, for a quicker look; the comparisons need all four.
  const flows = String(args.get('flows') ?? 'async,sync').split(',');
  // --vendor-ms 1000,100: the vendor latencies, in the order run (to tell an effect of the order from one of the latency).
  const vendorMs = String(args.get('vendor-ms') ?? '100,1000')
    .split(',')
    .map(Number);
  if (vendorMs.some((ms) => !(ms >= 0)))
    throw new Error(`--vendor-ms takes milliseconds separated by commas (got ${String(args.get('vendor-ms'))})`);
  const scenarios: Scenario[] = (['async', 'sync'] as const)
    .filter((flow) => flows.includes(flow))
    .flatMap((flow) => vendorMs.map((ms) => ({ flow, vendorMs: ms })));
  // The same-server isolation phase runs on the first async server, when there are two vendor latencies to switch between.
  const alternateOn = alternateSeconds > 0 && new Set(vendorMs).size > 1 ? scenarios.findIndex((s) => s.flow === 'async') : -1;
  const sections: Section[] = [];
  /** Broken invariants (failed requests, orders not paid), printed after the figures; the run then exits 1. */
  const violations: string[] = [];
  const raw: Record<string, unknown> = {};
  // The floor first, with the same generator, rate and warm-up: what the figures below are held against.
  log("floor: a pay's writes alone (Fastify + SQLite as the order database), in a process of its own");
  let floor: FloorResult | undefined;
  try {
    floor = await runFloor({ rate, seconds, warmup, saturation, log });
    raw.floor = floor;
    if (floor.fixed.non2xx + floor.fixed.errors + floor.saturated.non2xx + floor.saturated.errors > 0)
      violations.push(`floor: requests failed (${JSON.stringify(floor)})`);
  } catch (error) {
    violations.push(`floor: could not run (${(error as Error).message}); no ratio to it can be given`);
  }
  await settle();
  for (const [i, scenario] of scenarios.entries()) {
    const name = `${scenario.flow} design, vendors at ${scenario.vendorMs} ms`;
    log(`scenario ${i + 1}/${scenarios.length}: ${name}`);
    const server = await startServer(
      { ORDERFLOW_FLOW: scenario.flow, ORDERFLOW_SEED_STOCK: '10000000', ORDERFLOW_PAYMENT_CALLBACK_SECRET: BENCH_CALLBACK_SECRET },
      3901 + i,
    );
    try {
      await setVendors(server, scenario.vendorMs);
      const providerMs = await providerLatency(server);
      const token = (await server.call('POST', '/api/auth/login', { userId: 'user1', password: 'demo' })).body.token as string;
      const warmPayments = await preparePayments(server, token, rate * warmup);
      const payments = await preparePayments(server, token, rate * seconds + 500);
      const fixedIds = await placeOrders(server, token, rate * seconds + 500);
      // Warm-up at the same rate, not measured: the JIT compiles the callback's path, the consumers catch up with the placing.
      log(`  warm-up: ${rate} callbacks/s for ${warmup} s (not measured)`);
      const warm = await callbacksEvenly(server, warmPayments, rate, warmup);
      log(`    warm-up callbacks: p50 ${warm.p50.toFixed(1)} ms, p99 ${warm.p99.toFixed(1)} ms`);
      const speed = cpuSpeedProbeMs();
      log(`  machine speed probe: ${speed} ms (a fixed loop; lower is faster)`);
      log(`  ${rate} provider callbacks/s for ${seconds} s, evenly spaced over 100 connections (open loop)`);
      const callbacks = await callbacksEvenly(server, payments, rate, seconds);
      log(`    callbacks: p50 ${callbacks.p50.toFixed(1)} ms, p99 ${callbacks.p99.toFixed(1)} ms`);
      log(`  ${rate} pays/s for ${seconds} s (each asks the provider, ${providerMs} ms), evenly spaced over 100 connections`);
      const fixed = await payEvenly(server, token, fixedIds, rate, seconds);
      const figures: Figure[] = [
        {
          name: `callback to PAID at ${rate}/s offered`,
          unit: 'ms',
          value: callbacks.p99,
          p50Ms: callbacks.p50,
          p99Ms: callbacks.p99,
          note: `the provider's signed payment.succeeded, from its due time to the 200 that paid the order; p99.9 ${callbacks.p999.toFixed(1)} ms, max ${callbacks.max.toFixed(1)} ms; achieved ${Math.round(callbacks.achieved)}/s; non-2xx ${callbacks.non2xx}, not PAID_ORDER ${callbacks.notPaid}, errors ${callbacks.errors}; load generator's own event-loop delay p99 ${callbacks.loadGeneratorDelay.p99.toFixed(1)} / max ${callbacks.loadGeneratorDelay.max.toFixed(1)} ms; after a ${warmup} s warm-up (p50 ${warm.p50.toFixed(1)}, p99 ${warm.p99.toFixed(1)} ms); machine speed probe ${speed} ms`,
        },
        {
          name: `pay (frictionless card) at ${rate}/s offered`,
          unit: 'ms',
          value: fixed.p99,
          p50Ms: fixed.p50,
          p99Ms: fixed.p99,
          note: `includes the call creating the payment at the simulated provider, ${providerMs} ms; p99.9 ${fixed.p999.toFixed(1)} ms, max ${fixed.max.toFixed(1)} ms; achieved ${Math.round(fixed.achieved)}/s; non-2xx ${fixed.non2xx}, errors ${fixed.errors}`,
        },
      ];
      if (callbacks.non2xx + callbacks.notPaid + callbacks.errors > 0)
        violations.push(`${name}: ${callbacks.non2xx} callbacks not 2xx, ${callbacks.notPaid} not PAID_ORDER, ${callbacks.errors} errors`);
      if (fixed.non2xx + fixed.errors > 0) violations.push(`${name}: ${fixed.non2xx} pays not 2xx, ${fixed.errors} errors`);
      raw[`${name}: callbacks`] = { ...callbacks, machineSpeedProbeMs: speed };
      raw[`${name}: callbacks warm-up`] = warm;
      raw[`${name}: pay`] = { ...withoutLatencies(fixed), providerLatencyMs: providerMs };
      if (i === alternateOn) {
        const alternating = await alternateVendors(server, token, rate, alternateSeconds, vendorMs);
        figures.push(...alternating.figures);
        raw[`${name}: vendors alternated`] = alternating.raw;
        if (alternating.raw.non2xx + alternating.raw.errors > 0)
          violations.push(`${name}, vendors alternated: ${alternating.raw.non2xx} not 2xx, ${alternating.raw.errors} errors`);
        await setVendors(server, scenario.vendorMs);
      }
      if (scenario.flow === 'async') {
        const ready = await preparePayments(server, token, saturation);
        log(`  saturation: ${saturation} provider callbacks, 64 connections, as fast as they go`);
        const sat = await callbacksSaturated(server, ready, 64);
        figures.push({
          name: 'callback to PAID at saturation (64 connections)',
          unit: 'msg/s',
          value: sat.paid > 0 ? Math.round(sat.paid / (sat.elapsedMs / 1000)) : 0,
          p50Ms: sat.latency.p50,
          p99Ms: sat.latency.p99,
          note: `paid orders/s (${sat.paid} in ${(sat.elapsedMs / 1000).toFixed(2)} s, first request to last response); non-2xx ${sat.non2xx}, errors ${sat.errors}`,
        });
        raw[`${name}: saturation`] = { ...summary(sat), paid: sat.paid, elapsedMs: sat.elapsedMs };
        if (sat.non2xx + sat.errors > 0 || sat.paid !== ready.length)
          violations.push(`${name}, saturation: ${sat.paid} of ${ready.length} paid, ${sat.non2xx} not 2xx, ${sat.errors} errors`);
      } else {
        figures.push({
          name: 'callback throughput (saturated at the fixed rate)',
          unit: 'msg/s',
          value: Math.round(callbacks.achieved),
          note: 'each callback waits for both vendors in turn',
        });
      }
      sections.push({ title: name, figures });
    } finally {
      await server.stop();
    }
    if (i < scenarios.length - 1) await settle();
  }
  if (floor)
    sections.push({ title: 'against the floor (measured first, same generator and rate)', figures: floorFigures(sections, floor, rate) });
  sections.push({ title: 'comparisons', figures: compare(sections) });
  console.log('');
  printTable(sections);
  const file = saveResults('core-flow', { options: { rate, seconds, warmup, saturation }, sections, raw, violations });
  console.log(`\nresults: ${file}`);
  // Failed requests are not in the latency figures; they make the run fail instead of being read past.
  for (const v of violations) console.error(`VIOLATION ${v}`);
  if (violations.length > 0) process.exitCode = 1;
}

/**
 * Between two servers: the one stopped leaves work to the machine (its files' dirty pages and deletion,
 * its threads' exit); flush it and wait, so that the next scenario is not measured while it runs.
 */
async function settle(): Promise<void> {
  log('  letting the machine settle (sync, 5 s)');
  execFileSync('sync');
  await new Promise((resolve) => setTimeout(resolve, 5_000));
}

async function placeOrders(server: ServerProcess, token: string, count: number): Promise<string[]> {
  log(`  placing ${count} orders to pay`);
  const ids: string[] = [];
  let next = 0;
  let lastShown = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        next++;
        const res = await server.call('POST', '/api/orders', { userId: 'user1', items: [{ skuId: 'SKU-1003', quantity: 1 }] }, token);
        if (res.status !== 201) throw new Error(`placing an order: ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.orderId);
        if (ids.length - lastShown >= count / 5) {
          lastShown = ids.length;
          log(`    ${Math.round((100 * ids.length) / count)}% placed`);
        }
      }
    }),
  );
  return ids;
}

/** The simulated payment provider's latency, which every pay includes (its knob, 50 ms by default). */
async function providerLatency(server: ServerProcess): Promise<number> {
  const res = await server.call('GET', '/api/admin/third-parties/payment', undefined, BENCH_ADMIN_TOKEN);
  if (res.status !== 200) throw new Error(`reading the payment provider's knobs: ${res.status} ${JSON.stringify(res.body)}`);
  return Number(res.body.latencyMs);
}

async function setVendors(server: ServerProcess, latencyMs: number): Promise<void> {
  for (const vendor of ['sms', 'logistics']) {
    const res = await server.call(
      'PUT',
      `/api/admin/third-parties/${vendor}`,
      { latencyMs, jitterMs: 0, failureRate: 0, down: false },
      BENCH_ADMIN_TOKEN,
    );
    if (res.status !== 200) throw new Error(`setting ${vendor} latency: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

const ALTERNATING = 'callback to PAID, vendors alternated on one server';

/**
 * Latency isolation measured on one server: the vendors' latency switched between the slowest and the
 * fastest of --vendor-ms every `blockSeconds`, in the order slow, fast, fast, slow (a drift of the
 * machine's speed during the phase weighs on both alike), pays at `rate` throughout, latencies pooled
 * per setting. The scenarios' own ratio compares two servers started minutes apart, and the p99 of the
 * same scenario moves by more than 1.2× from one server to the next (docs/benchmarks.md, on core-flow).
 */
async function alternateVendors(server: ServerProcess, token: string, rate: number, blockSeconds: number, vendorMs: number[]) {
  const slow = Math.max(...vendorMs);
  const fast = Math.min(...vendorMs);
  const order = [slow, fast, fast, slow];
  log(`  vendors alternated on this server: ${order.map((ms) => `${ms} ms`).join(', ')}, ${blockSeconds} s each at ${rate}/s`);
  const payments = await preparePayments(server, token, order.length * rate * blockSeconds + 500);
  const pooled = new Map<number, Float64Array[]>([
    [slow, []],
    [fast, []],
  ]);
  let non2xx = 0;
  let errors = 0;
  for (const [k, ms] of order.entries()) {
    await setVendors(server, ms);
    const block = await callbacksEvenly(server, payments.slice(k * rate * blockSeconds), rate, blockSeconds);
    log(`    block ${k + 1}/${order.length}, vendors at ${ms} ms: p50 ${block.p50.toFixed(2)} ms, p99 ${block.p99.toFixed(2)} ms`);
    pooled.get(ms)?.push(block.latenciesMs);
    non2xx += block.non2xx;
    errors += block.errors + block.notPaid;
  }
  const at = (ms: number) => summarize(concat(pooled.get(ms) ?? []));
  const [s, f] = [at(slow), at(fast)];
  const figures: Figure[] = [
    {
      name: `${ALTERNATING}: ${slow} ms`,
      unit: 'ms',
      value: s.p99,
      p50Ms: s.p50,
      p99Ms: s.p99,
      note: `${rate}/s offered; p99.9 ${s.p999.toFixed(1)} ms; blocks 1 and 4`,
    },
    {
      name: `${ALTERNATING}: ${fast} ms`,
      unit: 'ms',
      value: f.p99,
      p50Ms: f.p50,
      p99Ms: f.p99,
      note: `p99.9 ${f.p999.toFixed(1)} ms; blocks 2 and 3; non-2xx ${non2xx}, errors ${errors} in all four`,
    },
  ];
  return { figures, raw: { order, blockSeconds, rate, [`${slow} ms`]: s, [`${fast} ms`]: f, non2xx, errors } };
}

function concat(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/**
 * The fixed-rate phase: pay i is due at start + i / rate (bench/flash-sale/crowd.ts), latency from its
 * due time. Not autocannon's overallRate: it sends each connection's quota in one burst per second,
 * and the latency measured would be that burst's queue.
 */
async function payEvenly(server: ServerProcess, token: string, ids: string[], rate: number, seconds: number) {
  const connections = new Connections(100);
  let non2xx = 0;
  try {
    const total = Math.min(ids.length, rate * seconds);
    const result = await runCrowd(connections, {
      url: server.url,
      total,
      rate,
      request: (i) => ({
        path: `/api/orders/${ids[i]}/pay`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{}',
      }),
      onResponse: (_i, status) => {
        if (status < 200 || status >= 300) non2xx++;
      },
    });
    const s = summarize(result.latenciesMs);
    return {
      p50: s.p50,
      p99: s.p99,
      p999: s.p999,
      max: s.max,
      achieved: total / result.seconds,
      non2xx,
      errors: result.errors,
      loadGeneratorDelay: result.loadGeneratorDelay,
      latenciesMs: result.latenciesMs,
    };
  } finally {
    connections.close();
  }
}

function summary(r: autocannon.Result) {
  return { latency: r.latency, requests: r.requests, duration: r.duration, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}

function compare(sections: Section[]): Figure[] {
  const p = (title: string, which: 'p50Ms' | 'p99Ms') => sections.find((s) => s.title === title)?.figures[0]?.[which] ?? NaN;
  const a100 = 'async design, vendors at 100 ms';
  const a1000 = 'async design, vendors at 1000 ms';
  const s100 = 'sync design, vendors at 100 ms';
  const s1000 = 'sync design, vendors at 1000 ms';
  const alternated = sections.flatMap((s) => s.figures).filter((f) => f.name.startsWith(ALTERNATING));
  return [
    {
      name: 'latency isolation: async p99 at 1,000 ms ÷ at 100 ms',
      unit: '×',
      value: p(a1000, 'p99Ms') / p(a100, 'p99Ms'),
      note: 'target ≤ 1.2; two servers, minutes apart',
    },
    ...(alternated.length === 2
      ? [
          {
            name: 'latency isolation, vendors alternated on one server',
            unit: '×' as const,
            value: (alternated[0].p99Ms ?? NaN) / (alternated[1].p99Ms ?? NaN),
            note: 'target ≤ 1.2; p99 at the slow ÷ at the fast vendors',
          },
        ]
      : []),
    {
      name: 'sync p50 ÷ async p50, vendors at 100 ms',
      unit: '×',
      value: p(s100, 'p50Ms') / p(a100, 'p50Ms'),
      note: 'target ≥ 100; the callback path',
    },
    {
      name: 'sync p50 ÷ async p50, vendors at 1,000 ms',
      unit: '×',
      value: p(s1000, 'p50Ms') / p(a1000, 'p50Ms'),
      note: 'target ≥ 100; the callback path',
    },
  ];
}
