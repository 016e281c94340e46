import fs from 'node:fs';
import path from 'node:path';
import { BANNER, stopAll } from './embedded.js';
import type { CallLog } from './http-client.js';
import { gracefulStopFault, killFault, type ManagedProcess, RECOVERY_LIMIT_MS, ready, recovered } from './process-faults.js';
import { type Child, freePort, spawnOrderflow, startVendors, timeUntil, waitForOutput } from './processes.js';
import type { Random } from './random.js';
import { type PrivateServer, privateMariadb, privateRedis, privateRocketmq } from './servers.js';
import { mysqlReader } from './sql-reader.js';
import { CHAOS_SECRETS, type Fault, orderflowEnv, type Topology } from './topology.js';

/** The processes of the production topology and the systems each runs (as `npm run cluster:start` splits them). */
const ROLES = {
  order: 'order,flash-sale',
  push: 'push',
  warehouse: 'warehouse',
  points: 'points',
  coupons: 'coupons',
  analytics: 'analytics',
} as const;
type Role = keyof typeof ROLES;

/**
 * The production topology on servers of the run's own: a RocketMQ, a MariaDB and a Redis started for it (the shared
 * ones are never touched), each system in a process of its own, the vendors in an `orderflow vendors` process (never
 * killed: its ledger is the witness). Faults, in a seeded order: SIGKILL of each system's process, SIGKILL of the
 * RocketMQ Proxy with its embedded Broker, SIGKILL and restart of Redis and of MariaDB, and a SIGTERM of the order
 * process under load.
 */
export async function productionTopology(options: {
  dir: string;
  users: number;
  log: CallLog;
  random: Random;
  orderMessages: string;
}): Promise<Topology> {
  fs.rmSync(path.join(options.dir, 'data'), { recursive: true, force: true });
  fs.rmSync(path.join(options.dir, 'redis'), { recursive: true, force: true });
  fs.rmSync(path.join(options.dir, 'mariadb'), { recursive: true, force: true });
  const started: { servers: PrivateServer[]; children: () => (Child | undefined)[] } = { servers: [], children: () => [] };
  const close = async () => {
    await stopAll(started.children());
    for (const server of started.servers.reverse()) await server.stop().catch(() => undefined);
  };
  try {
    console.log('  starting a RocketMQ, a MariaDB and a Redis of the run’s own …');
    const rocketmq = await privateRocketmq(options.dir);
    started.servers.push(rocketmq);
    await rocketmq.start();
    const mariadb = await privateMariadb(options.dir);
    started.servers.push(mariadb);
    await mariadb.start();
    const redis = await privateRedis(options.dir);
    started.servers.push(redis);
    await redis.start();
    const vendors = await startVendors(CHAOS_SECRETS.adminToken, { ORDERFLOW_PAYMENT_CALLBACK_SECRET: CHAOS_SECRETS.callbackSecret });
    const dbUrl = `mysql://root@127.0.0.1:${mariadb.port}/orderflow`;
    const ports = Object.fromEntries(await Promise.all(Object.keys(ROLES).map(async (role) => [role, await freePort()]))) as Record<
      Role,
      number
    >;
    const urlOf = (role: Role) => `http://127.0.0.1:${ports[role]}`;
    const shared = {
      ...orderflowEnv(options.users),
      ...vendors.env,
      ...rocketmq.env,
      ORDERFLOW_MQ: 'rocketmq',
      ORDERFLOW_DB: dbUrl,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      ORDERFLOW_ORDER_MESSAGES: options.orderMessages,
    };
    const children = new Map<Role, Child>();
    started.children = () => [...children.values(), vendors.child];
    const processes = Object.fromEntries(
      (Object.keys(ROLES) as Role[]).map((role) => {
        const env: Record<string, string> = {
          ...shared,
          ORDERFLOW_SYSTEMS: ROLES[role],
          PORT: String(ports[role]),
          ORDERFLOW_DATA_DIR: path.join(options.dir, 'data', role),
        };
        if (role !== 'order') env.ORDERFLOW_SEED = 'false';
        if (role === 'warehouse') env.ORDERFLOW_ORDER_URL = urlOf('order');
        const managed: ManagedProcess = {
          name: role === 'order' ? 'order side (order, flash-sale)' : role,
          url: urlOf(role),
          current: () => children.get(role),
          async start() {
            const child = spawnOrderflow(role, 'start', [], env);
            children.set(role, child);
            await waitForOutput(child, BANNER, 180_000);
          },
        };
        return [role, managed];
      }),
    ) as Record<Role, ManagedProcess>;
    console.log('  starting the order side (it creates the schemas and seeds), then the other systems …');
    await processes.order.start();
    await Promise.all((Object.keys(ROLES) as Role[]).filter((r) => r !== 'order').map((r) => processes[r].start()));

    const serverFault = (server: PrivateServer, name: string, restartsItself = false): Fault => ({
      name,
      async inject() {
        const at = Date.now();
        await server.kill();
        if (!restartsItself) await server.start();
        const back = await timeUntil(async () => {
          const states = await Promise.all(Object.values(processes).map((p) => ready(p.url)().catch(() => false)));
          return states.every(Boolean);
        }, RECOVERY_LIMIT_MS);
        return recovered(at, back);
      },
    });
    const faults: Fault[] = [
      ...Object.values(processes).map(killFault),
      serverFault(rocketmq, 'SIGKILL RocketMQ Proxy + embedded Broker', true),
      serverFault(redis, 'SIGKILL + restart Redis'),
      serverFault(mariadb, 'SIGKILL + restart MariaDB'),
    ];
    // In turn, in an order of the seed's: each system once, each server once.
    for (let i = faults.length - 1; i > 0; i--) {
      const j = options.random.int(0, i);
      [faults[i], faults[j]] = [faults[j], faults[i]];
    }
    faults.splice(Math.floor(faults.length / 2), 0, gracefulStopFault(processes.order, options.log));

    return {
      name: 'production',
      baseUrl: () => urlOf('order'),
      analyticsUrl: () => urlOf('analytics'),
      adminToken: CHAOS_SECRETS.adminToken,
      password: CHAOS_SECRETS.password,
      users: Array.from({ length: options.users }, (_, i) => `user${i + 1}`),
      vendorsAdminUrl: vendors.env.ORDERFLOW_VENDORS_URL,
      paymentUrl: vendors.env.ORDERFLOW_PAYMENT_URL,
      reader: mysqlReader(dbUrl),
      faults,
      // RocketMQ redelivers a failed message after 10 s, 30 s, 1 min, 2 min, …: a consumer that failed while MariaDB
      // was down gets its next chance minutes later.
      settleLimitMs: 300_000,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
