/**
 * The production topology the benchmark measures, started as a shop would run it: the vendor
 * simulators as a process of their own (`orderflow vendors`), the order side
 * (order, coupons, analytics, flash-sale) in one process and push, warehouse and points in another,
 * on RocketMQ, MariaDB/MySQL (fresh databases per run, dropped at the end) and Redis (a fresh key prefix).
 * Scaled out (`instances`): that many order-side processes behind HAProxy with the cluster's configuration
 * (scripts/cluster/haproxy-config.ts, round robin) and that many downstream processes, each one more consumer of
 * its groups; with `instances` given the balancer is there at 1 too, so runs differ by the instance count alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { haproxyConfig } from '../../../scripts/cluster/haproxy-config.js';
import { ensureHaproxy } from '../../../scripts/cluster/servers.js';
import { jsonCaller } from '../../server-process.js';
import { BENCH_CALLBACK_SECRET } from '../callbacks.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(root, 'src/cli.ts');
export const ADMIN_TOKEN = 'bench-admin-token';
/** The seeded users' password: a production start refuses the demo's. */
export const SEED_PASSWORD = 'bench-seeded-users-password';

export interface Servers {
  rocketmqEndpoints: string;
  rocketmqNamesrv: string;
  /** mysql://user:pass@host:port (no database). */
  mysqlServer: string;
  redisUrl: string;
}

export interface DeploymentOptions {
  servers: Servers;
  orderMessages: 'transactional' | 'outbox';
  /** Order-side HTTP port; the downstream process takes the next one. */
  port: number;
  /** Extra node flags for the orderflow processes (BENCH_SERVER_NODE_ARGS, e.g. a CPU profiler). */
  nodeArgs?: string[];
  /** Order-side processes behind a load balancer and downstream processes; unset: one of each, no balancer. */
  instances?: { order: number; consumers: number };
}

export interface Deployment {
  /** The order system's public URL (the load balancer's, when scaled out). */
  url: string;
  /** The MySQL databases' base name: `${base}_order`, `${base}_push`, … */
  base: string;
  processes: { name: string; pid: number | undefined }[];
  call(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Sets the SMS vendor's and the logistics company's latency (one vendors process serves both orderflow processes). */
  setVendorLatency(ms: number): Promise<void>;
  stop(): Promise<void>;
}

interface Child {
  name: string;
  child: ChildProcess;
  output(): string;
}

/** Spawns `orderflow <args>` and waits until its output matches `ready` (60 s at most). */
async function spawnOrderflow(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  nodeArgs: string[],
): Promise<Child & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', CLI, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const log = process.env.BENCH_SERVER_LOG;
  // BENCH_SERVER_LOG=<file> keeps what every process printed (its log lines: pino writes to stdout).
  const keep = (d: Buffer) => {
    output += d;
    if (log) fs.appendFileSync(log, `[${name}] ${String(d)}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const deadline = Date.now() + 60_000;
  let match: RegExpExecArray | null;
  while (!(match = ready.exec(output))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name, child, output: () => output, match };
}

async function stopChild({ child }: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const id = randomBytes(3).toString('hex');
  const base = `ofbench_${id}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-prod-'));
  const children: Child[] = [];
  const nodeArgs = [...(options.nodeArgs ?? []), ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const cleanup = async () => {
    for (const child of [...children].reverse()) await stopChild(child);
    await dropDatabases(options.servers.mysqlServer, base).catch((error: Error) =>
      console.error(`dropping the benchmark's databases: ${error.message}`),
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  // The vendors sign the payment provider's callbacks with it, the order side checks them with it, and the load
  // generator, playing the provider, signs the callbacks it sends with it too.
  const callbackSecret = BENCH_CALLBACK_SECRET;
  try {
    const vendors = await spawnOrderflow(
      'vendors',
      ['vendors', '--port', '0'],
      { ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN, ORDERFLOW_PAYMENT_CALLBACK_SECRET: callbackSecret },
      /^\s*(ORDERFLOW_SMS_URL=.*ORDERFLOW_VENDORS_URL=\S+)\s*$/m,
      [],
    );
    children.push(vendors);
    const vendorEnv = Object.fromEntries(vendors.match[1].split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]));
    const common: Record<string, string> = {
      ...vendorEnv,
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: options.servers.rocketmqEndpoints,
      ROCKETMQ_NAMESRV: options.servers.rocketmqNamesrv,
      ORDERFLOW_DB: `${options.servers.mysqlServer}/${base}`,
      REDIS_URL: options.servers.redisUrl,
      ORDERFLOW_REDIS_PREFIX: `ofbench:${id}:`,
      ORDERFLOW_MQ_NAMESPACE: `ofbench-${id}`,
      ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      ORDERFLOW_TOKEN_SECRET: randomBytes(24).toString('hex'),
      ORDERFLOW_PAYMENT_CALLBACK_SECRET: callbackSecret,
      ORDERFLOW_ORDER_MESSAGES: options.orderMessages,
    };
    const up = /orderflow is up/;
    const balanced = options.instances !== undefined;
    const orderCount = options.instances?.order ?? 1;
    const consumerCount = options.instances?.consumers ?? 1;
    // The balancer takes `port`, the order sides the next ports, the downstream processes those after them.
    const orderPort = (i: number) => options.port + (balanced ? 1 + i : i);
    const url = `http://127.0.0.1:${options.port}`;
    const orderSide = (i: number) =>
      spawnOrderflow(
        orderCount === 1 ? 'order side' : `order side ${i + 1}`,
        ['start'],
        {
          ...common,
          PORT: String(orderPort(i)),
          ORDERFLOW_DATA_DIR: path.join(dataDir, `order-${i + 1}`),
          ORDERFLOW_SYSTEMS: 'order,coupons,analytics,flash-sale',
          ORDERFLOW_SEED: 'true',
          ORDERFLOW_SEED_PASSWORD: SEED_PASSWORD,
          ORDERFLOW_SEED_STOCK: '100000000',
          // The provider calls back through the balancer: a payment outlives the instance that created it.
          ...(balanced ? { ORDERFLOW_PAYMENT_CALLBACK_URL: `${url}/api/payments/callback` } : {}),
        },
        up,
        nodeArgs,
      );
    // The first alone: it creates the schemas and seeds the catalogue that the others then find.
    children.push(await orderSide(0));
    // Each recorded as it comes up, so that one failing still has its siblings stopped by cleanup.
    await Promise.all(Array.from({ length: orderCount - 1 }, (_, i) => orderSide(i + 1).then((child) => void children.push(child))));
    const downstream = (i: number) =>
      spawnOrderflow(
        consumerCount === 1 ? 'downstream' : `downstream ${i + 1}`,
        ['start'],
        {
          ...common,
          PORT: String(orderPort(orderCount) + i),
          ORDERFLOW_DATA_DIR: path.join(dataDir, `downstream-${i + 1}`),
          ORDERFLOW_SYSTEMS: 'push,warehouse,points',
          ORDERFLOW_ORDER_URL: url,
        },
        up,
        nodeArgs,
      );
    await Promise.all(Array.from({ length: consumerCount }, (_, i) => downstream(i).then((child) => void children.push(child))));
    if (balanced) children.push(await startBalancer(dataDir, options.port, orderCount, orderPort));
    const call = jsonCaller(url);
    return {
      url,
      base,
      processes: children.map((c) => ({ name: c.name, pid: c.child.pid })),
      call,
      async setVendorLatency(ms) {
        for (const vendor of ['sms', 'logistics']) {
          const res = await call(
            'PUT',
            `/api/admin/third-parties/${vendor}`,
            { latencyMs: ms, jitterMs: 0, failureRate: 0, down: false },
            ADMIN_TOKEN,
          );
          if (res.status !== 200) throw new Error(`setting ${vendor} latency: ${res.status} ${JSON.stringify(res.body)}`);
        }
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** HAProxy in front of the order sides, with the cluster's configuration; ready once it answers a health check. */
async function startBalancer(dataDir: string, port: number, count: number, portOf: (i: number) => number): Promise<Child> {
  const file = path.join(dataDir, 'haproxy.cfg');
  const order = Array.from({ length: count }, (_, i) => ({ name: `order-${i + 1}`, host: '127.0.0.1', port: portOf(i) }));
  fs.writeFileSync(file, haproxyConfig({ host: '127.0.0.1', port, order, analytics: order }));
  const child = spawn(ensureHaproxy(), ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answered = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (answered) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the load balancer did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { name: 'load balancer', child, output: () => output };
}

async function dropDatabases(server: string, base: string): Promise<void> {
  const connection = await mysql.createConnection(server);
  try {
    const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
    for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  } finally {
    await connection.end();
  }
}
