/**
 * `npm run bench -- flash-sale`: a crowd of 20,000 purchase requests for 500 units from 200
 * connections (2,000 buyers), against three servers, each in its own process, one after the other:
 *
 * - the old way: no gate, every request places an order straight in the order database
 *   (POST /api/orders on the flash SKU, refused with 409 once its stock is 0);
 * - the new way with the in-process gate (embedded default);
 * - the new way with the Redis gate (REDIS_URL, default redis://127.0.0.1:6379; skipped, saying so, if Redis does not answer).
 *
 * The crowd is an open loop at `--offered` requests/s (default 2,000), paced by crowd.ts (not autocannon:
 * see there why). Reported per design: orders created (must be 500), oversold units (must be 0), request
 * latency p50 / p99 from each request's due time (target for the gate: p99 ≤ 20 ms), order inserts per
 * second (max over any 1 s window, vs ORDERFLOW_FLASH_SALE_RATE) and the database writes each design
 * attempted. Options: --requests --connections --users --rate --offered --designs old,in-process,redis --redis URL.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import { signToken } from '../../src/http/index.js';
import { machine, saveResults } from '../report.js';
import { BENCH_ADMIN_TOKEN, startServer, type ServerProcess } from '../server-process.js';
import { Connections, runCrowd, type CrowdResult } from './crowd.js';
import { empty, maxInOneSecond, metrics, printComparison, UNITS } from './report.js';
import { summarize } from '../peers/stats.js';
import type { Design, DesignResult, Options } from './types.js';

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const FLASH_SKU = 'SKU-2001';

export async function runFlashSaleBench(args: Map<string, string | true>): Promise<void> {
  const options: Options = {
    requests: Number(args.get('requests') ?? 20_000),
    connections: Number(args.get('connections') ?? 200),
    users: Number(args.get('users') ?? 2_000),
    rate: Number(args.get('rate') ?? 200),
    offered: Number(args.get('offered') ?? 2_000),
  };
  const redisUrl = String(args.get('redis') ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const results: DesignResult[] = [];
  const designs = String(args.get('designs') ?? 'old,in-process,redis').split(',') as Design[];
  for (const [i, design] of designs.entries()) {
    log(`design ${i + 1}/${designs.length}: ${title(design)}`);
    if (design === 'redis') {
      const reason = await redisUnavailable(redisUrl);
      if (reason) {
        log(`  skipped: ${reason}`);
        results.push({ ...empty(design), skipped: reason });
        continue;
      }
    }
    results.push(await runDesign(design, options, 3951 + i, redisUrl));
  }
  console.log('');
  printComparison(results, options);
  // Each design that ran must have created exactly one order per unit and oversold none.
  const violations = results
    .filter((r) => !r.skipped && (r.oversold > 0 || r.ordersCreated !== UNITS))
    .map((r) => `${r.design}: ${r.ordersCreated} orders created for ${UNITS} units, ${r.oversold} oversold`);
  const file = saveResults('flash-sale', { options, machine: machine(), results, violations });
  console.log(`\nresults: ${file}`);
  for (const v of violations) console.error(`VIOLATION ${v}`);
  if (violations.length > 0) process.exitCode = 1;
}

const title = (d: Design) =>
  d === 'old' ? 'old way: every request places an order in the order DB' : `new way: ${d} gate → queue → rate-limited creator`;

async function runDesign(design: Design, options: Options, port: number, redisUrl: string): Promise<DesignResult> {
  const secret = randomBytes(32).toString('hex');
  const prefix = `orderflow-bench:${randomBytes(4).toString('hex')}:`;
  const server = await startServer(
    {
      ORDERFLOW_TOKEN_SECRET: secret,
      ORDERFLOW_SEED_USERS: String(options.users),
      ORDERFLOW_FLASH_SALE_RATE: String(options.rate),
      // The machine's REDIS_URL must not leak into the other designs.
      REDIS_URL: design === 'redis' ? redisUrl : '',
      ORDERFLOW_REDIS_PREFIX: prefix,
    },
    port,
  );
  try {
    const tokens = Array.from({ length: options.users }, (_, i) => signToken(`user${i + 1}`, secret));
    const saleId =
      design === 'old'
        ? ''
        : ((await server.call('GET', '/api/flash-sales')).body as { id: string; skuId: string }[]).find((s) => s.skuId === FLASH_SKU)?.id;
    if (saleId === undefined) throw new Error('no flash sale of the demo SKU');
    const connections = new Connections(options.connections);
    log(
      `  warming up: ${WARM_UP_REQUESTS.toLocaleString('en')} requests that touch nothing, then 3,000 on ${WARM_UP_SKU} (${design === 'old' ? 'orders' : `a ${WARM_UP_SALE_UNITS}-unit sale`})`,
    );
    await warmUp(server, connections, design, tokens, options);
    const before = await metrics(server);
    log(`  ${options.requests} requests at ${options.offered}/s, ${options.connections} connections, ${options.users} buyers`);
    const started = Date.now();
    const loadBefore = os.loadavg()[0];
    const load = await crowd(server, connections, design, saleId, tokens, options);
    connections.close();
    const loadAfter = os.loadavg()[0];
    const loadSeconds = load.result.seconds;
    log(`  load done in ${loadSeconds.toFixed(1)} s: ${JSON.stringify(load.responses)}`);

    // What was created: orders straight from the responses (old), or from the tickets once settled (new).
    const owned = design === 'old' ? load.created : await settledOrders(server, load.tickets, tokens);
    const created = await Promise.all(
      owned.map(async ({ orderId, user }) =>
        Date.parse((await server.call('GET', `/api/orders/${orderId}`, undefined, tokens[user])).body.createdAt),
      ),
    );
    const lastOrder = created.length ? Math.max(...created) : started;
    const split = Math.min(options.requests, Math.max(0, Math.ceil(((lastOrder - load.result.startedAt) * options.offered) / 1_000)));
    const sku = ((await server.call('GET', '/api/skus')).body as { skuId: string; stock: DesignResult['sku'] }[]).find(
      (s) => s.skuId === FLASH_SKU,
    )?.stock as DesignResult['sku'];
    const after = await metrics(server);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    const reachedOrderDb = (load.responses['201'] ?? 0) + (load.responses['409 STOCK_INSUFFICIENT'] ?? 0);
    const admitted = load.responses['202'] ?? 0;
    return {
      design,
      responses: load.responses,
      ordersCreated: created.length,
      oversold: Math.max(0, sku.reserved + sku.sold - UNITS, -sku.available, created.length - UNITS),
      sku,
      latency: summarize(load.result.latenciesMs),
      latencyWhileCreating: summarize(load.result.latenciesMs.subarray(0, split)),
      latencyAfter: summarize(load.result.latenciesMs.subarray(split)),
      p99ByHalfSecond: Array.from(
        { length: Math.ceil(options.requests / (options.offered / 2)) },
        (_, k) =>
          Math.round(summarize(load.result.latenciesMs.subarray((k * options.offered) / 2, ((k + 1) * options.offered) / 2)).p99 * 10) / 10,
      ),
      achievedPerSecond: Math.round(options.requests / loadSeconds),
      loadSeconds,
      ordersDoneSeconds: (lastOrder - started) / 1_000,
      maxOrdersInOneSecond: maxInOneSecond(created),
      // Old: each request ran the order transaction (a guarded stock UPDATE, and the order rows when it won).
      orderDbWrites: design === 'old' ? reachedOrderDb : delta('orderflow_flash_sale_db_writes_total{db="order"}'),
      flashSaleDbWrites: design === 'old' ? 0 : delta('orderflow_flash_sale_db_writes_total{db="flash-sale"}'),
      // Old: every placement sends its pay-deadline message first; new: one flash_sale_order message per ticket + one per order.
      brokerWrites: design === 'old' ? reachedOrderDb : admitted + created.length,
      loadAverage: [loadBefore, loadAfter],
      loadGeneratorDelay: [load.result.loadGeneratorDelay.p99, load.result.loadGeneratorDelay.max],
    };
  } finally {
    await server.stop();
    if (design === 'redis')
      await deleteKeys(redisUrl, prefix).catch((error: Error) => log(`  cleaning Redis keys failed: ${error.message}`));
  }
}

const WARM_UP_REQUESTS = 10_000;

/** One prepared request per buyer: the load generator shares the machine, so each request must cost it little. */
function prepare(design: Design, path: string, tokens: string[], skuId: string) {
  return tokens.map((token, user) => {
    const userId = `user${user + 1}`;
    const body = design === 'old' ? { userId, items: [{ skuId, quantity: 1 }] } : { userId };
    return { path, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) };
  });
}

/** A demo SKU with 1,000 units, not the flash SKU: the warm-up's orders and sale use it. */
const WARM_UP_SKU = 'SKU-1003';
const WARM_UP_SALE_UNITS = 300;

/**
 * Lets the server finish starting (worker threads, first checkpoints), opens every connection, then
 * runs each path of the design once at the crowd's rate, so that the measured crowd does not pay for
 * cold code (JIT) or first statements: 10,000 requests that touch nothing (an unknown sale / SKU: 404),
 * then 3,000 real ones on another SKU — old: orders of SKU-1003 (1,000 placed, the rest refused); new:
 * a 300-unit sale of SKU-1003 created through the admin API, whose tickets are waited for until ordered.
 */
async function warmUp(server: ServerProcess, connections: Connections, design: Design, tokens: string[], options: Options): Promise<void> {
  await new Promise((r) => setTimeout(r, 3_000));
  const crowdOf = (path: string, skuId: string, total: number, onResponse: (i: number, status: number, body: string) => void) => {
    const prepared = prepare(design, path, tokens, skuId);
    return runCrowd(connections, {
      url: server.url,
      total,
      rate: options.offered,
      request: (i) => prepared[i % prepared.length],
      onResponse,
    });
  };
  let notFound = 0;
  await crowdOf(
    design === 'old' ? '/api/orders' : '/api/flash-sales/FS-WARM-UP/orders',
    'SKU-WARM-UP',
    WARM_UP_REQUESTS,
    (_i, status) => void (status === 404 && notFound++),
  );
  if (notFound !== WARM_UP_REQUESTS) throw new Error(`warm-up: expected ${WARM_UP_REQUESTS} × 404, got ${notFound}`);
  if (design === 'old') {
    const statuses: Record<number, number> = {};
    await crowdOf('/api/orders', WARM_UP_SKU, 3_000, (_i, status) => void (statuses[status] = (statuses[status] ?? 0) + 1));
    if (statuses[201] !== 1_000) throw new Error(`warm-up: expected 1,000 orders of ${WARM_UP_SKU}, got ${JSON.stringify(statuses)}`);
    return;
  }
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  const sale = await server.call(
    'POST',
    '/api/admin/flash-sales',
    { skuId: WARM_UP_SKU, priceCents: 100, stock: WARM_UP_SALE_UNITS, endsAt },
    BENCH_ADMIN_TOKEN,
  );
  if (sale.status !== 201) throw new Error(`warm-up: creating a sale: ${sale.status} ${JSON.stringify(sale.body)}`);
  const tickets: { ticketId: string; user: number }[] = [];
  await crowdOf(`/api/flash-sales/${sale.body.id}/orders`, WARM_UP_SKU, 3_000, (i, status, body) => {
    if (status === 202) tickets.push({ ticketId: (JSON.parse(body) as { ticketId: string }).ticketId, user: i % tokens.length });
  });
  const ordered = await settledOrders(server, tickets, tokens);
  if (tickets.length !== WARM_UP_SALE_UNITS || ordered.length !== WARM_UP_SALE_UNITS)
    throw new Error(`warm-up: ${tickets.length} tickets, ${ordered.length} ordered`);
}

interface Crowd {
  result: CrowdResult;
  responses: Record<string, number>;
  tickets: { ticketId: string; user: number }[];
  created: { orderId: string; user: number }[];
}

/** The crowd: request i comes from buyer i mod users, each buyer asking several times. */
async function crowd(
  server: ServerProcess,
  connections: Connections,
  design: Design,
  saleId: string,
  tokens: string[],
  options: Options,
): Promise<Crowd> {
  const responses: Record<string, number> = {};
  const tickets: Crowd['tickets'] = [];
  const created: Crowd['created'] = [];
  const prepared = prepare(design, design === 'old' ? '/api/orders' : `/api/flash-sales/${saleId}/orders`, tokens, FLASH_SKU);
  let shown = 0;
  const result = await runCrowd(connections, {
    url: server.url,
    total: options.requests,
    rate: options.offered,
    request: (i) => prepared[i % prepared.length],
    onResponse: (i, status, body) => {
      const user = i % prepared.length;
      // The error code without parsing every refusal: `{"error":{"code":"SOLD_OUT",…`
      const key = status >= 400 ? `${status} ${/"code":"([A-Z_]+)"/.exec(body)?.[1] ?? '?'}` : String(status);
      responses[key] = (responses[key] ?? 0) + 1;
      if (status === 202) tickets.push({ ticketId: (JSON.parse(body) as { ticketId: string }).ticketId, user });
      if (status === 201) created.push({ orderId: (JSON.parse(body) as { orderId: string }).orderId, user });
      if (++shown % 5_000 === 0) log(`    … ${shown} answered`);
    },
  });
  return { result, responses, tickets, created };
}

/** Waits for every ticket to be ORDERED or FAILED; returns the orders. */
async function settledOrders(
  server: ServerProcess,
  tickets: Crowd['tickets'],
  tokens: string[],
): Promise<{ orderId: string; user: number }[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const states = await Promise.all(
      tickets.map(async (t) => ({
        ...t,
        ...(await server.call('GET', `/api/flash-sales/tickets/${t.ticketId}`, undefined, tokens[t.user])).body,
      })),
    );
    const queued = states.filter((s) => s.status === 'QUEUED').length;
    if (queued === 0 || Date.now() > deadline) {
      const failed = states.filter((s) => s.status === 'FAILED');
      if (failed.length > 0) log(`  ${failed.length} tickets FAILED, e.g. ${failed[0].reason}`);
      if (queued > 0) log(`  ${queued} tickets still QUEUED after 120 s`);
      return states.filter((s) => s.status === 'ORDERED').map((s) => ({ orderId: s.orderId as string, user: s.user }));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function redisUnavailable(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${url} does not answer (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    if ((cursor = next) === '0') break;
  }
  await redis.quit();
}
