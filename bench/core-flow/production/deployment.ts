/**
 * The production topology the benchmark measures, started as a shop would run it: the vendor
 * simulators as a process of their own (`orderflow vendors`), the order side
 * (order, coupons, analytics, flash-sale) in one process and push, warehouse and points in another,
 * on RocketMQ, MariaDB/MySQL (fresh databases per run, dropped at the end) and Redis (a fresh key prefix).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { jsonCaller } from '../../server-process.js';

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
}

export interface Deployment {
  /** The order system's public URL. */
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
  // The vendors sign the payment provider's callbacks with it, the order side checks them with it.
  const callbackSecret = randomBytes(24).toString('hex');
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
      ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      ORDERFLOW_TOKEN_SECRET: randomBytes(24).toString('hex'),
      ORDERFLOW_PAYMENT_CALLBACK_SECRET: callbackSecret,
      ORDERFLOW_ORDER_MESSAGES: options.orderMessages,
    };
    const up = /orderflow is up/;
    const orderSide = await spawnOrderflow(
      'order side',
      ['start'],
      {
        ...common,
        PORT: String(options.port),
        ORDERFLOW_DATA_DIR: path.join(dataDir, 'order'),
        ORDERFLOW_SYSTEMS: 'order,coupons,analytics,flash-sale',
        ORDERFLOW_SEED: 'true',
        ORDERFLOW_SEED_PASSWORD: SEED_PASSWORD,
        ORDERFLOW_SEED_STOCK: '100000000',
      },
      up,
      nodeArgs,
    );
    children.push(orderSide);
    const url = `http://127.0.0.1:${options.port}`;
    const downstream = await spawnOrderflow(
      'downstream',
      ['start'],
      {
        ...common,
        PORT: String(options.port + 1),
        ORDERFLOW_DATA_DIR: path.join(dataDir, 'downstream'),
        ORDERFLOW_SYSTEMS: 'push,warehouse,points',
        ORDERFLOW_ORDER_URL: url,
      },
      up,
      nodeArgs,
    );
    children.push(downstream);
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

async function dropDatabases(server: string, base: string): Promise<void> {
  const connection = await mysql.createConnection(server);
  try {
    const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
    for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  } finally {
    await connection.end();
  }
}
