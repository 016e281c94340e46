/**
 * Which processes a cluster runs, with the settings of each: the vendors, the order-system instances behind the
 * load balancer, and the instances of each downstream system, every one in its own process. Pure: computed from
 * the cluster's settings and secrets, and every process's settings are checked by orderflow's own loadConfig
 * before anything starts, so a bad one is refused with one line naming the process and the variable.
 */
import path from 'node:path';
import { ConfigError, loadConfig, loadVendorsConfig } from '../../src/config.js';
import { DEFAULT_POOL_SIZE } from '../../src/db/pool-size.js';
import { consumerGroupsOf } from '../../src/systems/shared/consumer-groups.js';
import { ClusterSettingError, type ClusterSettings } from './settings.js';

/**
 * What a process runs. `order` is the order system with the flash-sale system: the refund worker, the order closer
 * and the flash-sale creator run inside it, because they complete their work through the order system's own
 * transactions (refunds settled, flash-sale orders placed) rather than over HTTP.
 */
export const ORDERFLOW_ROLES = ['order', 'push', 'warehouse', 'points', 'coupons', 'analytics'] as const;
export type OrderflowRole = (typeof ORDERFLOW_ROLES)[number];
export type Role = OrderflowRole | 'vendors' | 'lb' | 'rocketmq' | 'mysql' | 'redis';

/** The systems (ORDERFLOW_SYSTEMS) each role's processes run. */
export const SYSTEMS_OF: Record<OrderflowRole, string> = {
  order: 'order,flash-sale',
  push: 'push',
  warehouse: 'warehouse',
  points: 'points',
  coupons: 'coupons',
  analytics: 'analytics',
};

/** The consumer groups each role's processes consume as (their backlog is the role's): those of the systems it runs. */
export const GROUPS_OF: Record<OrderflowRole, string[]> = Object.fromEntries(
  ORDERFLOW_ROLES.map((role) => [role, consumerGroupsOf(SYSTEMS_OF[role].split(','), { consumes: true, close: 'delay' })]),
) as Record<OrderflowRole, string[]>;

export interface PlannedProcess {
  name: string;
  role: Role;
  /** Arguments of the `orderflow` command. */
  args: string[];
  port: number;
  url: string;
  env: Record<string, string>;
}

export interface Secrets {
  ORDERFLOW_TOKEN_SECRET: string;
  ORDERFLOW_ADMIN_TOKEN: string;
  /** The seeded users' password: outside the demo orderflow refuses `demo`. */
  ORDERFLOW_SEED_PASSWORD: string;
  /** The payment provider signs its callbacks with it and the order instances check them with it. */
  ORDERFLOW_PAYMENT_CALLBACK_SECRET: string;
}

export interface Plan {
  publicUrl: string;
  vendors: PlannedProcess;
  /** Started first and alone: it creates the schemas and seeds the demo data that the others then find. */
  first: PlannedProcess;
  /** Started together once the first is healthy. */
  rest: PlannedProcess[];
  /** The order-system instances (the load balancer's default backend). */
  orderBackends: PlannedProcess[];
  /** The analytics instances (the load balancer sends /api/analytics/ to them). */
  analyticsBackends: PlannedProcess[];
}

export function planCluster(settings: ClusterSettings, secrets: Secrets): Plan {
  const url = (port: number) => `http://${settings.host}:${port}`;
  const publicUrl = url(settings.port);
  const vendorsPort = settings.basePort;
  const vendors: PlannedProcess = {
    name: 'vendors',
    role: 'vendors',
    args: ['vendors'],
    port: vendorsPort,
    url: url(vendorsPort),
    env: {
      ORDERFLOW_VENDORS_PORT: String(vendorsPort),
      HOST: settings.host,
      ORDERFLOW_ADMIN_TOKEN: secrets.ORDERFLOW_ADMIN_TOKEN,
      ORDERFLOW_PAYMENT_CALLBACK_SECRET: secrets.ORDERFLOW_PAYMENT_CALLBACK_SECRET,
      LOG_LEVEL: settings.passThrough.LOG_LEVEL ?? 'info',
    },
  };
  const shared: Record<string, string> = {
    ...settings.passThrough,
    ORDERFLOW_MQ: 'rocketmq',
    ROCKETMQ_ENDPOINTS: settings.rocketmqEndpoints,
    ROCKETMQ_NAMESRV: settings.rocketmqNamesrv,
    ORDERFLOW_DB: settings.db,
    REDIS_URL: settings.redisUrl,
    // The outbox unless told otherwise: a pay is one database transaction with the broker off its path (README).
    ORDERFLOW_ORDER_MESSAGES: settings.passThrough.ORDERFLOW_ORDER_MESSAGES ?? 'outbox',
    ...secrets,
    ORDERFLOW_SMS_URL: url(vendorsPort + 1),
    ORDERFLOW_LOGISTICS_URL: url(vendorsPort + 2),
    ORDERFLOW_PAYMENT_URL: url(vendorsPort + 3),
    ORDERFLOW_VENDORS_URL: url(vendorsPort),
    HOST: settings.host,
  };
  let next = settings.basePort + 10;
  const processes: PlannedProcess[] = [];
  const add = (role: OrderflowRole, instance: number) => {
    const port = next++;
    const name = `${role}-${instance}`;
    const env: Record<string, string> = {
      ...shared,
      ORDERFLOW_SYSTEMS: SYSTEMS_OF[role],
      PORT: String(port),
      ORDERFLOW_DATA_DIR: path.join(settings.dir, 'data', name),
    };
    // The demo users, catalogue and sale, so that the README's curl sequence works against the cluster.
    if (role === 'order') env.ORDERFLOW_SEED = 'true';
    // The provider calls back through the load balancer: a payment outlives the instance that created it.
    if (role === 'order') env.ORDERFLOW_PAYMENT_CALLBACK_URL = `${publicUrl}/api/payments/callback`;
    // The warehouse reports shipments to the order system through the load balancer, like any client.
    if (role === 'warehouse') env.ORDERFLOW_ORDER_URL = publicUrl;
    processes.push({ name, role, args: ['start'], port, url: url(port), env });
  };
  for (let i = 1; i <= settings.orderInstances; i++) add('order', i);
  for (const role of ORDERFLOW_ROLES.filter((r) => r !== 'order')) for (let i = 1; i <= settings.instances; i++) add(role, i);
  if (settings.passThrough.ORDERFLOW_DB_POOL === undefined) {
    const pool = String(dbPoolFor(settings.dbConnections, processes));
    for (const p of processes) p.env.ORDERFLOW_DB_POOL = pool;
  }
  checkSettings(vendors, processes);
  const [first, ...rest] = processes;
  return {
    publicUrl,
    vendors,
    first,
    rest,
    orderBackends: processes.filter((p) => p.role === 'order'),
    analyticsBackends: processes.filter((p) => p.role === 'analytics'),
  };
}

/**
 * The pool size that keeps the processes within `budget` MySQL connections at worst: each process may open a pool
 * per system it runs in its main thread and another in its worker thread, plus the 2 connections of the process
 * registry. At 10 each (the default), the default cluster could hold ~280 connections, and MariaDB refuses connections
 * past its max_connections (151 by default): seen as "Too many connections", and a pay answered 500, while instances
 * restarted under load. At least 2 per pool, at most orderflow's default of 10.
 */
export function dbPoolFor(budget: number, processes: { env: Record<string, string> }[]): number {
  const registry = 2 * processes.length;
  const pools = processes.reduce((n, p) => n + 2 * (p.env.ORDERFLOW_SYSTEMS?.split(',').length ?? 0), 0);
  return Math.max(2, Math.min(DEFAULT_POOL_SIZE, Math.floor((budget - registry) / pools)));
}

/** Every process's settings through orderflow's own validation: a bad one stops the start before anything runs. */
function checkSettings(vendors: PlannedProcess, processes: PlannedProcess[]): void {
  for (const process of [vendors, ...processes]) {
    try {
      if (process.role === 'vendors') loadVendorsConfig(process.env);
      else loadConfig(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ClusterSettingError(process.name, `bad configuration: ${error.message}`);
    }
  }
}
