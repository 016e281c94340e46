/**
 * Failover on the cluster (npm run cluster:start) under a steady load of orders placed and paid through the load
 * balancer, on RocketMQ + MariaDB + Redis (skipped unless ROCKETMQ_ENDPOINTS, MYSQL_URL and REDIS_URL are set):
 *
 * 1. kill -9 one order-system instance: the balancer takes it out, the clients see at most the requests that were
 *    inside it when it died fail, and every order that was acknowledged (201 placed, 200 paid) is there;
 * 2. kill -9 one instance of each consumer group (push, warehouse, points, coupons, analytics): the other instance
 *    takes its queues over, the backlog drains to 0 and every paid order ends SHIPPED with its SMS, points and coupon;
 * 3. `cluster:start` on the running cluster starts only what is missing: the balancer sends to the order instance
 *    again, and orders placed afterwards are served and handled as before.
 *
 * It prints what each costs — requests failed as the clients saw them, seconds until the balancer took the instance
 * out, seconds until every group's backlog was 0 again, seconds until the cluster was whole again. The cluster has
 * its own directory, ports, databases and Redis prefix; the consumer groups are the deployment's own names, so it
 * runs after the other RocketMQ suites, not beside them (as test/e2e/cluster.test.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import { freeRange, runCluster } from '../support/cluster-command.js';
import { sleep, waitUntil } from '../support/wait.js';

const { ROCKETMQ_ENDPOINTS, MYSQL_URL, REDIS_URL } = process.env;
const skip =
  ROCKETMQ_ENDPOINTS && MYSQL_URL && REDIS_URL
    ? false
    : 'ROCKETMQ_ENDPOINTS, MYSQL_URL and REDIS_URL must all be set (the cluster runs on RocketMQ, MariaDB and Redis)';

const id = randomBytes(3).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-failover-'));
const base = MYSQL_URL ? `${new URL(MYSQL_URL).pathname.slice(1).slice(0, 24)}_fo${id}` : '';
const ADMIN_TOKEN = `failover-admin-${id}`;
const PASSWORD = `failover-users-${id}`;
/** Clients placing and paying orders at once, each as its own user, one request after the other. */
const CLIENTS = 4;
const DOWNSTREAM = ['push', 'warehouse', 'points', 'coupons', 'analytics'];

type Call = (method: string, route: string, body?: unknown, token?: string) => Promise<{ status: number; body: any }>;

/** A failed request as a client saw it: a status of 500 or more, or no answer at all. */
interface Failure {
  at: number;
  what: string;
}

/**
 * CLIENTS loops, each placing an order and paying it, one request after the other, until stopped. Records what was
 * acknowledged (placed: 201; paid: 200) and every failure; a 409 (the order closed or paid meanwhile) is an answer.
 */
function steadyLoad(call: Call, tokens: Map<string, string>) {
  const placed = new Map<string, string>(); // orderId → user
  const paid = new Set<string>();
  const failures: Failure[] = [];
  let requests = 0;
  let running = true;
  const attempt = async (what: string, run: () => Promise<{ status: number; body: any }>) => {
    requests++;
    try {
      const res = await run();
      if (res.status >= 500) failures.push({ at: Date.now(), what: `${what}: ${res.status} ${JSON.stringify(res.body)}` });
      return res;
    } catch (error) {
      failures.push({ at: Date.now(), what: `${what}: ${(error as Error).cause ?? (error as Error).message}` });
      return undefined;
    }
  };
  const client = async (user: string) => {
    const token = tokens.get(user) as string;
    while (running) {
      const res = await attempt('place', () =>
        // 3 × 12.90: above the reward coupon's minimum (30.00), so every paid order earns one.
        call('POST', '/api/orders', { userId: user, items: [{ skuId: 'SKU-1003', quantity: 3 }] }, token),
      );
      if (res?.status !== 201) {
        await sleep(100);
        continue;
      }
      placed.set(res.body.orderId, user);
      const pay = await attempt('pay', () => call('POST', `/api/orders/${res.body.orderId}/pay`, {}, token));
      if (pay?.status === 200) paid.add(res.body.orderId);
    }
  };
  const done = Promise.all([...tokens.keys()].map(client));
  return {
    placed,
    paid,
    failures,
    requests: () => requests,
    failuresSince: (at: number) => failures.filter((f) => f.at >= at),
    stop: async () => {
      running = false;
      await done;
    },
  };
}

let env: Record<string, string> = {};
after(async () => {
  if (skip) return;
  await runCluster(['stop'], env); // in case the test failed half-way
  const connection = await mysql.createConnection(MYSQL_URL?.replace(/\/[^/]*$/, '') ?? '');
  const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
  for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  await connection.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cluster failover under a steady load: an order instance killed, one instance of each consumer group killed, both brought back', {
  skip,
  timeout: 900_000,
}, async () => {
  const basePort = await freeRange(50);
  env = {
    ORDERFLOW_CLUSTER_DIR: dir,
    ORDERFLOW_CLUSTER_PORT: String(basePort + 40),
    ORDERFLOW_CLUSTER_BASE_PORT: String(basePort),
    ORDERFLOW_CLUSTER_ORDER_INSTANCES: '2',
    // Two of each: one of them is killed and the other must take its queues over.
    ORDERFLOW_CLUSTER_INSTANCES: '2',
    ORDERFLOW_DB: `${MYSQL_URL?.replace(/\/[^/]*$/, '')}/${base}`,
    REDIS_URL: REDIS_URL ?? '',
    ORDERFLOW_REDIS_PREFIX: `offailover:${id}:`,
    ORDERFLOW_MQ_NAMESPACE: `offailover-${id}`,
    ROCKETMQ_ENDPOINTS: ROCKETMQ_ENDPOINTS ?? '',
    ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    LOG_LEVEL: 'warn',
    ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
    ORDERFLOW_SEED_PASSWORD: PASSWORD,
    // Every client logs in from 127.0.0.1 through the balancer.
    ORDERFLOW_LOGIN_ADDRESS_RATE: '0',
    // Stock for every order the load places (a few hundred).
    ORDERFLOW_SEED_STOCK: '100000',
  };
  const began = Date.now();
  const started = await runCluster(['start'], env);
  assert.equal(started.code, 0, `cluster:start failed:\n${started.stdout}\n${started.stderr}`);
  const startSeconds = (Date.now() - began) / 1000;
  const url = `http://127.0.0.1:${env.ORDERFLOW_CLUSTER_PORT}`;
  const call: Call = async (method, route, body, token) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
  };
  type Status = { processes: { name: string; role: string; pid: number | null; healthy: boolean }[] };
  const status = async () => JSON.parse((await runCluster(['status', '--json'], env)).stdout) as Status;
  const lbState = async (server: string) => {
    const csv = await (await fetch(`${url}/lb/stats;csv`)).text();
    return new RegExp(`^order,${server},(?:[^,]*,){15}([A-Z]+)`, 'm').exec(csv)?.[1];
  };
  /** Messages waiting or in flight over the cluster's consumer groups. */
  const backlog = async () => {
    const res = await call('GET', '/api/admin/queues', undefined, ADMIN_TOKEN);
    const queues = res.body.queues as { group: string; backlog: number; inFlight: number }[];
    return queues.reduce((sum, q) => sum + q.backlog + q.inFlight, 0);
  };

  // The topics and groups are the deployment's own names: on a broker that served an earlier deployment, what that one
  // left is consumed first (up to 60 s), so that the drain measured below is this load's. A change whose order's first
  // change went to that deployment is retried until dead-lettered: what is still there then is the floor of the drain.
  let leftover = -1;
  await waitUntil(async () => (leftover = await backlog()) === 0, 60_000, 1_000);

  const tokens = new Map<string, string>();
  for (let i = 1; i <= CLIENTS; i++) {
    const login = await call('POST', '/api/auth/login', { userId: `user${i}`, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    tokens.set(`user${i}`, login.body.token);
  }
  const before = await status();
  const pidOf = (name: string) => before.processes.find((p) => p.name === name)?.pid as number;

  const load = steadyLoad(call, tokens);
  await sleep(5_000);
  const warm = load.requests();
  assert.ok(warm > 0, 'the load runs');

  // 1. An order-system instance.
  const killedOrderAt = Date.now();
  process.kill(pidOf('order-2'), 'SIGKILL');
  assert.ok(await waitUntil(async () => (await lbState('order-2')) === 'DOWN', 15_000, 100), 'the balancer takes order-2 out');
  const orderOutSeconds = (Date.now() - killedOrderAt) / 1000;
  await sleep(3_000);
  const orderFailures = load.failuresSince(killedOrderAt);

  // 2. One instance of each consumer group.
  const killedConsumersAt = Date.now();
  for (const role of DOWNSTREAM) process.kill(pidOf(`${role}-2`), 'SIGKILL');
  await sleep(10_000);
  await load.stop();
  const loadStoppedAt = Date.now();
  const consumerFailures = load.failuresSince(killedConsumersAt);
  let left = -1;
  const drained = await waitUntil(async () => (left = await backlog()) <= leftover, 180_000, 500);
  assert.ok(drained, `the backlog drains through the surviving instances (${left} left)`);
  const drainSeconds = (Date.now() - killedConsumersAt) / 1000;
  const drainAfterLoadSeconds = (Date.now() - loadStoppedAt) / 1000;

  // Nothing acknowledged is lost: every placed order is there; every paid one SHIPPED with its SMS, points and coupon
  // (the backlog is 0, so what is not there within 30 s is not coming).
  const view = async (orderId: string) =>
    (await call('GET', `/api/orders/${orderId}`, undefined, tokens.get(load.placed.get(orderId) as string))).body;
  const finished = (o: any) =>
    o.status === 'SHIPPED' && o.downstream?.push?.length > 0 && o.downstream?.points?.points > 0 && !!o.downstream?.coupons?.rewardCoupon;
  let unfinished: string[] = [];
  const checkAll = async () => {
    const ids = [...load.placed.keys()];
    const views: any[] = [];
    for (let i = 0; i < ids.length; i += 20) views.push(...(await Promise.all(ids.slice(i, i + 20).map(view))));
    for (const [i, o] of views.entries()) assert.equal(o.orderId, ids[i], `placed order ${ids[i]} is there`);
    unfinished = views.filter((o) => load.paid.has(o.orderId) && !finished(o)).map((o) => `${o.orderId} ${o.status}`);
    return unfinished.length === 0;
  };
  await waitUntil(checkAll, 30_000, 1_000);
  assert.deepEqual(unfinished, [], 'paid orders not SHIPPED with SMS, points and coupon');

  // 3. Back: cluster:start on the running cluster starts only what is missing.
  const restartAt = Date.now();
  const restarted = await runCluster(['start'], env);
  assert.equal(restarted.code, 0, `cluster:start (again) failed:\n${restarted.stdout}\n${restarted.stderr}`);
  assert.match(
    restarted.stdout + restarted.stderr,
    /starting what is missing: order-2, push-2, warehouse-2, points-2, coupons-2, analytics-2/,
  );
  const whole = await status();
  for (const p of whole.processes) assert.equal(p.healthy, true, `${p.name} healthy again`);
  for (const name of ['order-1', 'push-1', 'warehouse-1', 'points-1', 'coupons-1', 'analytics-1', 'vendors', 'lb'])
    assert.equal(whole.processes.find((p) => p.name === name)?.pid, pidOf(name), `${name} left running as it was`);
  assert.ok(await waitUntil(async () => (await lbState('order-2')) === 'UP', 15_000, 200), 'the balancer sends to order-2 again');
  const backSeconds = (Date.now() - restartAt) / 1000;
  const again = steadyLoad(call, tokens);
  await sleep(5_000);
  await again.stop();
  assert.deepEqual(again.failures, [], 'no request fails on the whole cluster');
  assert.ok(again.paid.size > 0, 'orders are paid after the restart');
  assert.ok(await waitUntil(async () => (await backlog()) <= leftover, 60_000, 500), 'and handled');

  const rows = [
    ['what', 'requests failed as the clients saw them', 'seconds'],
    ['kill -9 order-2', `${orderFailures.length}`, `${orderOutSeconds.toFixed(1)} until the balancer took it out`],
    [
      `kill -9 ${DOWNSTREAM.map((r) => `${r}-2`).join(', ')}`,
      `${consumerFailures.length}`,
      `${drainSeconds.toFixed(1)} until every backlog was 0 (the load stopped 10 s after the kill; ${drainAfterLoadSeconds.toFixed(1)} after that)`,
    ],
    ['cluster:start again (the six missing)', `${again.failures.length}`, `${backSeconds.toFixed(1)} until all healthy and order-2 UP`],
  ];
  if (leftover > 0) rows.push(['(left on the broker by an earlier deployment)', '', `${leftover} messages, the floor of the drain`]);
  process.stdout.write(
    `\nfailover on the cluster (2 order instances, 2 of each consumer group, ${CLIENTS} clients placing and paying; ` +
      `cluster:start took ${startSeconds.toFixed(0)} s; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load average ${os.loadavg()[0].toFixed(1)})\n` +
      `${rows.map((r) => `  ${r.join(' | ')}`).join('\n')}\n` +
      `  ${load.requests()} requests over the load (5 s before the first kill to 10 s after the second), ${load.placed.size} orders placed, ${load.paid.size} paid, all SHIPPED with SMS, points and coupon\n` +
      (orderFailures.length + consumerFailures.length > 0
        ? `  failures: ${[...orderFailures, ...consumerFailures].map((f) => f.what).join('; ')}\n`
        : ''),
  );
  // What was inside order-2 when it died is lost to its clients (no answer; a browser would retry): at most one request
  // per client. Killing consumers costs the clients nothing.
  assert.ok(orderFailures.length <= CLIENTS, `${orderFailures.length} requests failed when order-2 died (at most ${CLIENTS})`);
  assert.deepEqual(consumerFailures, [], 'killing consumers fails no client request');

  const stopped = await runCluster(['stop'], env);
  assert.equal(stopped.code, 0, stopped.stderr);
});
