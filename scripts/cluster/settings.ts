/**
 * The cluster's settings, from the environment: where its public URL listens, how many instances of each
 * role run, where its servers are and where it keeps its state. Every bad value is refused with one line
 * naming the variable. The orderflow processes' own settings (ORDERFLOW_DB, REDIS_URL, ROCKETMQ_*, …) keep
 * their names: the cluster gives each process the same value, checked by orderflow's own loadConfig.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  orderInstances: 2,
  instances: 2,
  basePort: 3100,
  db: 'mysql://root@127.0.0.1:3306/orderflow',
  redisUrl: 'redis://127.0.0.1:6379',
  rocketmqEndpoints: '127.0.0.1:8081',
  rocketmqNamesrv: '127.0.0.1:9876',
  /** MySQL connections the cluster's processes may hold at most: under MariaDB's default max_connections (151). */
  dbConnections: 120,
} as const;

export interface ClusterSettings {
  /** The load balancer's public port (ORDERFLOW_CLUSTER_PORT). */
  port: number;
  /** Where the load balancer and every process listen (ORDERFLOW_CLUSTER_HOST). */
  host: string;
  /** Order-system instances behind the load balancer (ORDERFLOW_CLUSTER_ORDER_INSTANCES). */
  orderInstances: number;
  /** MySQL connections all processes together may hold (ORDERFLOW_CLUSTER_DB_CONNECTIONS); sizes their pools. */
  dbConnections: number;
  /** Instances of each downstream system (ORDERFLOW_CLUSTER_INSTANCES). */
  instances: number;
  /** The vendors take basePort … basePort+3, the orderflow processes basePort+10 onwards (ORDERFLOW_CLUSTER_BASE_PORT). */
  basePort: number;
  /** State, logs and data of the cluster (ORDERFLOW_CLUSTER_DIR, default .cluster/ in the repository). */
  dir: string;
  /** `dist` runs the built orderflow (bin/orderflow.js), `sources` runs src/ through tsx (ORDERFLOW_CLUSTER_RUN). */
  run: 'dist' | 'sources';
  /** mysql://… of the deployment's databases (ORDERFLOW_DB). */
  db: string;
  redisUrl: string;
  rocketmqEndpoints: string;
  rocketmqNamesrv: string;
  /** Settings handed to every orderflow process as they are (ORDERFLOW_* that the cluster does not set itself, LOG_LEVEL). */
  passThrough: Record<string, string>;
}

export class ClusterSettingError extends Error {
  override readonly name = 'ClusterSettingError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** Variables the cluster sets per process; a value of the caller's own would be overridden, so it is not passed through. */
const SET_PER_PROCESS = new Set([
  'PORT',
  'HOST',
  'ORDERFLOW_SYSTEMS',
  'ORDERFLOW_DATA_DIR',
  'ORDERFLOW_MQ',
  'ORDERFLOW_ORDER_URL',
  'ORDERFLOW_SEED',
  'ORDERFLOW_VENDORS_PORT',
]);

export function loadClusterSettings(env: Record<string, string | undefined> = process.env): ClusterSettings {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const port = integer('ORDERFLOW_CLUSTER_PORT', get('ORDERFLOW_CLUSTER_PORT'), DEFAULTS.port, 1, 65_535);
  const basePort = integer('ORDERFLOW_CLUSTER_BASE_PORT', get('ORDERFLOW_CLUSTER_BASE_PORT'), DEFAULTS.basePort, 1_024, 65_000);
  const orderInstances = integer(
    'ORDERFLOW_CLUSTER_ORDER_INSTANCES',
    get('ORDERFLOW_CLUSTER_ORDER_INSTANCES'),
    DEFAULTS.orderInstances,
    1,
    16,
  );
  const instances = integer('ORDERFLOW_CLUSTER_INSTANCES', get('ORDERFLOW_CLUSTER_INSTANCES'), DEFAULTS.instances, 1, 16);
  const dbConnections = integer(
    'ORDERFLOW_CLUSTER_DB_CONNECTIONS',
    get('ORDERFLOW_CLUSTER_DB_CONNECTIONS'),
    DEFAULTS.dbConnections,
    20,
    100_000,
  );
  const run = get('ORDERFLOW_CLUSTER_RUN') ?? 'dist';
  if (run !== 'dist' && run !== 'sources') throw new ClusterSettingError('ORDERFLOW_CLUSTER_RUN', `'${run}' is not dist or sources`);
  const db = get('ORDERFLOW_DB') ?? DEFAULTS.db;
  if (!db.startsWith('mysql://'))
    throw new ClusterSettingError(
      'ORDERFLOW_DB',
      `'${db}' is not a mysql:// URL: the processes of a cluster share MySQL/MariaDB databases (SQLite is one process's own)`,
    );
  const mq = get('ORDERFLOW_MQ');
  if (mq !== undefined && mq !== 'rocketmq')
    throw new ClusterSettingError('ORDERFLOW_MQ', `'${mq}' cannot be shared by several processes: a cluster runs on RocketMQ`);
  const passThrough: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SET_PER_PROCESS.has(name) || name.startsWith('ORDERFLOW_CLUSTER_')) continue;
    if (name.startsWith('ORDERFLOW_') || name === 'LOG_LEVEL') passThrough[name] = value;
  }
  const processPorts = basePort + 10 + orderInstances + 5 * instances;
  if (port >= basePort && port < processPorts) {
    throw new ClusterSettingError(
      'ORDERFLOW_CLUSTER_PORT',
      `${port} is among the processes' ports (${basePort}–${processPorts - 1}, from ORDERFLOW_CLUSTER_BASE_PORT)`,
    );
  }
  return {
    port,
    host: get('ORDERFLOW_CLUSTER_HOST') ?? DEFAULTS.host,
    orderInstances,
    dbConnections,
    instances,
    basePort,
    dir: path.resolve(REPO_DIR, get('ORDERFLOW_CLUSTER_DIR') ?? '.cluster'),
    run,
    db,
    redisUrl: get('REDIS_URL') ?? DEFAULTS.redisUrl,
    rocketmqEndpoints: get('ROCKETMQ_ENDPOINTS') ?? DEFAULTS.rocketmqEndpoints,
    rocketmqNamesrv: get('ROCKETMQ_NAMESRV') ?? DEFAULTS.rocketmqNamesrv,
    passThrough,
  };
}

function integer(variable: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ClusterSettingError(variable, `'${text}' is not a whole number from ${min} to ${max}`);
  return n;
}
