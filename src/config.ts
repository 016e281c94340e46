/**
 * Configuration: the environment (and matching CLI flags) → one validated, frozen object.
 * Nothing else reads process.env. Every bad value is refused with a message naming the
 * variable, its value and what is accepted (the table of README.md, "Configuration").
 */
import path from 'node:path';
import type { ExternalVendors } from './third-parties/open-third-parties.js';
import { THIRD_PARTY_NAMES, type ThirdPartyName } from './third-parties/types.js';
import { OrderflowError } from './mq/orderflow-error.js';
import { DEFAULT_POOL_SIZE } from './db/pool-size.js';

export const SYSTEMS = ['order', 'push', 'warehouse', 'points', 'coupons', 'analytics', 'flash-sale'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_PAY_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_ROCKETMQ_ENDPOINTS = '127.0.0.1:8081';
export const DEFAULT_ROCKETMQ_NAMESRV = '127.0.0.1:9876';
export const DEFAULT_ADMIN_TOKEN = 'orderflow-admin';
/** Flash-sale orders created per second at most: what the order database is given, whatever the crowd. */
export const DEFAULT_FLASH_SALE_RATE = 200;
/**
 * Flash-sale purchase requests per second one user may make (bursts of twice that); more are 429 with Retry-After.
 * A buyer clicking fast stays well under it; a script hammering the endpoint does not.
 */
export const DEFAULT_FLASH_SALE_USER_RATE = 5;
export const DEFAULT_REDIS_PREFIX = 'orderflow:';
export const DEFAULT_SEED_USERS = 100;
/** Shorter HMAC secrets are guessable offline from one token; 16 characters is the floor, 64 hex the advice. */
export const MIN_TOKEN_SECRET_LENGTH = 16;
/** `orderflow vendors`: its admin API on this port, the SMS vendor, logistics company and payment provider on the next three. */
export const DEFAULT_VENDORS_PORT = 3900;
/** The password of the seeded users user1 … userN in the demo: printed in the README, so refused outside it. */
export const DEMO_PASSWORD = 'demo';
/** Login attempts a minute for one user id (ORDERFLOW_LOGIN_USER_RATE): a person mistyping stays under it, a password guesser does not. */
export const DEFAULT_LOGIN_USER_RATE = 10;
/** Login attempts a minute from one client address (ORDERFLOW_LOGIN_ADDRESS_RATE), whatever the user ids tried. */
export const DEFAULT_LOGIN_ADDRESS_RATE = 60;

export interface Config {
  /**
   * The demo (ORDERFLOW_DEMO, `orderflow start --demo`, what `npm start` runs): the demo admin token, the demo users
   * and a token secret kept in the data dir are allowed. Off, orderflow refuses to start with any of them.
   */
  demo: boolean;
  port: number;
  host: string;
  dataDir: string;
  mq: 'embedded' | 'rocketmq';
  rocketmqEndpoints: string;
  /** The NameServer, for the RocketMQ engine's admin side (topics, groups, backlog). */
  rocketmqNamesrv: string;
  /** 'sqlite' or a mysql:// URL. */
  db: string;
  redisUrl?: string;
  /** Where the order system's HTTP API is, when this process runs the warehouse without it (distributed mode). */
  orderUrl?: string;
  /** Prefix of every Redis key orderflow writes (ORDERFLOW_REDIS_PREFIX): one Redis can serve several deployments or test runs. */
  redisPrefix: string;
  /**
   * Namespace of every topic and group name on the broker (ORDERFLOW_MQ_NAMESPACE, '' for none): several deployments
   * or test runs can share one RocketMQ without consuming one another's messages.
   */
  mqNamespace: string;
  /** Connections per MySQL pool (ORDERFLOW_DB_POOL): each process keeps one pool per database it opens. */
  dbPool: number;
  /** Flash-sale orders created per second at most, per creator process (ORDERFLOW_FLASH_SALE_RATE). */
  flashSaleRate: number;
  /** Flash-sale purchase requests per second per user, bursts of twice that (ORDERFLOW_FLASH_SALE_USER_RATE); 0: no limit. */
  flashSaleUserRate: number;
  flow: 'async' | 'sync';
  /**
   * How the order system sends `order_paid`, `order_refund` and `order_timeout` (ORDERFLOW_ORDER_MESSAGES):
   * 'transactional' — a RocketMQ transactional message per order (half message, local transaction, commit);
   * 'outbox' — rows written in the local transaction and relayed with plain sends. Same guarantee.
   */
  orderMessages: 'transactional' | 'outbox';
  close: 'delay' | 'scan';
  payTimeoutMs: number;
  /**
   * Payments reconciliation (ORDERFLOW_RECONCILE_EVERY, ORDERFLOW_RECONCILE_LAG): the provider's ledger is compared
   * with the orders in windows of `everyMs`, each `lagMs` after it ends (time for the provider's callback retries).
   * `everyMs` 0: off.
   */
  reconcile: { everyMs: number; lagMs: number };
  adminToken: string;
  /** True when ORDERFLOW_ADMIN_TOKEN was not set: the demo token is used and a warning printed. */
  adminTokenIsDefault: boolean;
  /**
   * HMAC secret of user tokens (ORDERFLOW_TOKEN_SECRET). Unset only in the one-process default, which keeps
   * a generated one in `<dataDir>/token-secret` (src/http/token-secret.ts) so sessions survive a restart.
   */
  tokenSecret?: string;
  /**
   * The secret the payment provider signs its callbacks with (ORDERFLOW_PAYMENT_CALLBACK_SECRET). Unset: a random
   * one per start, shared with the simulated provider of this process (an external provider's callbacks are then refused).
   */
  paymentCallbackSecret?: string;
  /** Where the payment provider calls back (ORDERFLOW_PAYMENT_CALLBACK_URL); unset: this process's own `/api/payments/callback`. */
  paymentCallbackUrl?: string;
  /** Vendors outside this process (ORDERFLOW_SMS_URL, …); undefined: this process starts the simulators itself. */
  vendors?: ExternalVendors;
  systems: SystemName[];
  /** Seed demo users, SKUs, coupons and a flash sale (default: on with SQLite). */
  seedDemo: boolean;
  /** Units of stock each demo SKU starts with (default: the catalogue's own figures); benchmarks raise it. */
  seedStock?: number;
  /** Demo users user1 … userN seeded (default 100); flash-sale benchmarks need more buyers than units. */
  seedUsers: number;
  /** Their password (ORDERFLOW_SEED_PASSWORD): `demo` in the demo, required and anything else outside it. */
  seedPassword: string;
  /** Login attempts a minute per user id and per client address (ORDERFLOW_LOGIN_USER_RATE / _ADDRESS_RATE); 0: no limit. */
  loginUserRate: number;
  loginAddressRate: number;
  logLevel: string;
  /** Embedded broker only: multiplies the retry back-off (tests and demos use 0.01). */
  retryBackoffScale: number;
}

/** A bad setting: the message names the variable and says what it must be. */
export class ConfigError extends OrderflowError<'CONFIG_INVALID'> {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('CONFIG_INVALID', `${variable}: ${message}`, { details: { variable } });
  }
}

type Source = Record<string, string | undefined>;

/** CLI flags that mirror variables: `--port 8080` is PORT=8080. */
export const FLAG_TO_VARIABLE: Record<string, string> = {
  demo: 'ORDERFLOW_DEMO',
  port: 'PORT',
  host: 'HOST',
  'data-dir': 'ORDERFLOW_DATA_DIR',
  mq: 'ORDERFLOW_MQ',
  'rocketmq-endpoints': 'ROCKETMQ_ENDPOINTS',
  'rocketmq-namesrv': 'ROCKETMQ_NAMESRV',
  db: 'ORDERFLOW_DB',
  'redis-url': 'REDIS_URL',
  'order-url': 'ORDERFLOW_ORDER_URL',
  'sms-url': 'ORDERFLOW_SMS_URL',
  'logistics-url': 'ORDERFLOW_LOGISTICS_URL',
  'payment-url': 'ORDERFLOW_PAYMENT_URL',
  'vendors-url': 'ORDERFLOW_VENDORS_URL',
  'redis-prefix': 'ORDERFLOW_REDIS_PREFIX',
  'mq-namespace': 'ORDERFLOW_MQ_NAMESPACE',
  'db-pool': 'ORDERFLOW_DB_POOL',
  'flash-sale-rate': 'ORDERFLOW_FLASH_SALE_RATE',
  'flash-sale-user-rate': 'ORDERFLOW_FLASH_SALE_USER_RATE',
  'seed-users': 'ORDERFLOW_SEED_USERS',
  'login-user-rate': 'ORDERFLOW_LOGIN_USER_RATE',
  'login-address-rate': 'ORDERFLOW_LOGIN_ADDRESS_RATE',
  flow: 'ORDERFLOW_FLOW',
  'order-messages': 'ORDERFLOW_ORDER_MESSAGES',
  close: 'ORDERFLOW_CLOSE',
  'pay-timeout': 'ORDERFLOW_PAY_TIMEOUT',
  'reconcile-every': 'ORDERFLOW_RECONCILE_EVERY',
  'reconcile-lag': 'ORDERFLOW_RECONCILE_LAG',
  'admin-token': 'ORDERFLOW_ADMIN_TOKEN',
  systems: 'ORDERFLOW_SYSTEMS',
  seed: 'ORDERFLOW_SEED',
  'seed-stock': 'ORDERFLOW_SEED_STOCK',
  'log-level': 'LOG_LEVEL',
  'retry-scale': 'ORDERFLOW_RETRY_SCALE',
};

/** Flags over the environment, through `table`; returns a reader that treats blank as unset. */
function settings(env: Source, flags: Source, table: Record<string, string>): (name: string) => string | undefined {
  const source: Source = { ...env };
  for (const [flag, value] of Object.entries(flags)) {
    const variable = table[flag];
    if (!variable)
      throw new ConfigError(
        `--${flag}`,
        `unknown option; known: ${Object.keys(table)
          .map((f) => `--${f}`)
          .join(', ')}`,
      );
    source[variable] = value;
  }
  return (name: string) => {
    const value = source[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
}

export function loadConfig(env: Source = process.env, flags: Source = {}): Readonly<Config> {
  const get = settings(env, flags, FLAG_TO_VARIABLE);
  const db = get('ORDERFLOW_DB') ?? 'sqlite';
  if (db !== 'sqlite' && !/^mysql:\/\/[^/\s]+\/[A-Za-z0-9_]+$/.test(db)) {
    throw new ConfigError('ORDERFLOW_DB', `'${db}' is not 'sqlite' or a URL like mysql://root@127.0.0.1:3306/orderflow`);
  }
  const adminToken = adminTokenOf(get);
  const systemNames = systems(get('ORDERFLOW_SYSTEMS'));
  const demo = bool('ORDERFLOW_DEMO', get('ORDERFLOW_DEMO'), false);
  const config: Config = {
    demo,
    port: port(get('PORT')),
    host: get('HOST') ?? '127.0.0.1',
    dataDir: path.resolve(get('ORDERFLOW_DATA_DIR') ?? DEFAULT_DATA_DIR),
    mq: oneOf('ORDERFLOW_MQ', get('ORDERFLOW_MQ') ?? 'embedded', ['embedded', 'rocketmq'] as const),
    rocketmqEndpoints: endpoints('ROCKETMQ_ENDPOINTS', get('ROCKETMQ_ENDPOINTS') ?? DEFAULT_ROCKETMQ_ENDPOINTS),
    rocketmqNamesrv: endpoints('ROCKETMQ_NAMESRV', get('ROCKETMQ_NAMESRV') ?? DEFAULT_ROCKETMQ_NAMESRV),
    db,
    redisUrl: redisUrl(get('REDIS_URL')),
    orderUrl: httpUrl('ORDERFLOW_ORDER_URL', get('ORDERFLOW_ORDER_URL')),
    redisPrefix: redisPrefix(get('ORDERFLOW_REDIS_PREFIX') ?? DEFAULT_REDIS_PREFIX),
    mqNamespace: mqNamespace(get('ORDERFLOW_MQ_NAMESPACE') ?? ''),
    dbPool: boundedInteger('ORDERFLOW_DB_POOL', get('ORDERFLOW_DB_POOL') ?? String(DEFAULT_POOL_SIZE), 1, 100),
    flashSaleRate: boundedInteger(
      'ORDERFLOW_FLASH_SALE_RATE',
      get('ORDERFLOW_FLASH_SALE_RATE') ?? String(DEFAULT_FLASH_SALE_RATE),
      1,
      100_000,
    ),
    flashSaleUserRate: boundedInteger(
      'ORDERFLOW_FLASH_SALE_USER_RATE',
      get('ORDERFLOW_FLASH_SALE_USER_RATE') ?? String(DEFAULT_FLASH_SALE_USER_RATE),
      0,
      10_000,
    ),
    flow: oneOf('ORDERFLOW_FLOW', get('ORDERFLOW_FLOW') ?? 'async', ['async', 'sync'] as const),
    orderMessages: oneOf('ORDERFLOW_ORDER_MESSAGES', get('ORDERFLOW_ORDER_MESSAGES') ?? 'transactional', [
      'transactional',
      'outbox',
    ] as const),
    close: oneOf('ORDERFLOW_CLOSE', get('ORDERFLOW_CLOSE') ?? 'delay', ['delay', 'scan'] as const),
    payTimeoutMs:
      get('ORDERFLOW_PAY_TIMEOUT') === undefined
        ? DEFAULT_PAY_TIMEOUT_MS
        : duration('ORDERFLOW_PAY_TIMEOUT', get('ORDERFLOW_PAY_TIMEOUT') as string),
    reconcile: reconcileOf(get),
    adminToken: adminToken ?? DEFAULT_ADMIN_TOKEN,
    adminTokenIsDefault: adminToken === undefined,
    tokenSecret: tokenSecret(get('ORDERFLOW_TOKEN_SECRET'), systemNames),
    ...paymentCallbackOf(get),
    vendors: externalVendors(get),
    systems: systemNames,
    seedDemo: bool('ORDERFLOW_SEED', get('ORDERFLOW_SEED'), demo && db === 'sqlite'),
    seedStock:
      get('ORDERFLOW_SEED_STOCK') === undefined
        ? undefined
        : positiveInteger('ORDERFLOW_SEED_STOCK', get('ORDERFLOW_SEED_STOCK') as string),
    seedUsers: boundedInteger('ORDERFLOW_SEED_USERS', get('ORDERFLOW_SEED_USERS') ?? String(DEFAULT_SEED_USERS), 1, 1_000_000),
    seedPassword: seedPasswordOf(get) ?? DEMO_PASSWORD,
    loginUserRate: boundedInteger(
      'ORDERFLOW_LOGIN_USER_RATE',
      get('ORDERFLOW_LOGIN_USER_RATE') ?? String(DEFAULT_LOGIN_USER_RATE),
      0,
      1_000_000,
    ),
    loginAddressRate: boundedInteger(
      'ORDERFLOW_LOGIN_ADDRESS_RATE',
      get('ORDERFLOW_LOGIN_ADDRESS_RATE') ?? String(DEFAULT_LOGIN_ADDRESS_RATE),
      0,
      1_000_000,
    ),
    retryBackoffScale: positiveNumber('ORDERFLOW_RETRY_SCALE', get('ORDERFLOW_RETRY_SCALE') ?? '1'),
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  };
  if (config.systems.includes('warehouse') && !config.systems.includes('order') && config.orderUrl === undefined) {
    throw new ConfigError(
      'ORDERFLOW_ORDER_URL',
      'is needed when this process runs the warehouse without the order system (the warehouse reports shipments to it), e.g. http://127.0.0.1:3000',
    );
  }
  if (!demo) {
    refuseDemoAdminToken(adminToken);
    if (config.tokenSecret === undefined) {
      throw new ConfigError(
        'ORDERFLOW_TOKEN_SECRET',
        `is required outside the demo: set a secret of at least ${MIN_TOKEN_SECRET_LENGTH} characters (e.g. from \`openssl rand -hex 32\`), the same on every process of the deployment, or start the demo with \`orderflow start --demo\``,
      );
    }
    if (config.seedDemo && seedPasswordOf(get) === undefined) {
      throw new ConfigError(
        'ORDERFLOW_SEED',
        `would create the demo users user1 … user${config.seedUsers} with the password '${DEMO_PASSWORD}': outside the demo set ORDERFLOW_SEED_PASSWORD to give them one of your own, or leave ORDERFLOW_SEED off`,
      );
    }
  }
  return Object.freeze(config);
}

/**
 * Outside the demo (ORDERFLOW_DEMO off), the admin token everyone can read in the README is refused, set or not.
 * The token itself is never echoed.
 */
function refuseDemoAdminToken(adminToken: string | undefined): void {
  if (adminToken !== undefined && adminToken !== DEFAULT_ADMIN_TOKEN) return;
  throw new ConfigError(
    'ORDERFLOW_ADMIN_TOKEN',
    `${adminToken === undefined ? 'is not set, so the admin API would take' : 'is'} the demo token '${DEFAULT_ADMIN_TOKEN}': outside the demo set a token of your own (e.g. from \`openssl rand -hex 16\`), or start the demo with \`orderflow start --demo\``,
  );
}

/** ORDERFLOW_SEED_PASSWORD: at least 8 characters, never the demo's; never echoed. */
function seedPasswordOf(get: (name: string) => string | undefined): string | undefined {
  const password = get('ORDERFLOW_SEED_PASSWORD');
  if (password === undefined) return undefined;
  if (password === DEMO_PASSWORD)
    throw new ConfigError('ORDERFLOW_SEED_PASSWORD', `is the demo password: choose another, or unset it for the demo's`);
  if (password.length < 8) throw new ConfigError('ORDERFLOW_SEED_PASSWORD', `must be at least 8 characters (it has ${password.length})`);
  return password;
}

/** '15m', '2s', '500ms', '1h' or plain milliseconds → milliseconds. */
/** Windows of 5 minutes, each reconciled 2 minutes after it ends: the provider retries a callback for about 80 s. */
export const DEFAULT_RECONCILE_EVERY_MS = 5 * 60_000;
export const DEFAULT_RECONCILE_LAG_MS = 2 * 60_000;

function reconcileOf(get: (name: string) => string | undefined): Config['reconcile'] {
  const every = get('ORDERFLOW_RECONCILE_EVERY');
  const lag = get('ORDERFLOW_RECONCILE_LAG');
  return {
    everyMs: every === undefined ? DEFAULT_RECONCILE_EVERY_MS : every === 'off' ? 0 : duration('ORDERFLOW_RECONCILE_EVERY', every),
    lagMs: lag === undefined ? DEFAULT_RECONCILE_LAG_MS : duration('ORDERFLOW_RECONCILE_LAG', lag),
  };
}

export function duration(variable: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new ConfigError(variable, `'${text}' is not a duration like 15m, 2s, 500ms or 1h`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(Number(match[1]) * factor);
  if (ms < 100 || ms > 7 * 24 * 3_600_000) throw new ConfigError(variable, `'${text}' must be between 100ms and 7 days`);
  return ms;
}

function positiveNumber(variable: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(variable, `'${text}' is not a positive number`);
  return n;
}

function positiveInteger(variable: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(variable, `'${text}' is not a positive integer`);
  return n;
}

function boundedInteger(variable: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ConfigError(variable, `'${text}' is not a whole number from ${min} to ${max.toLocaleString('en')}`);
  return n;
}

function mqNamespace(text: string): string {
  if (text !== '' && !/^[A-Za-z0-9-]{1,32}$/.test(text)) {
    throw new ConfigError('ORDERFLOW_MQ_NAMESPACE', `'${text}' must be 1–32 letters, digits or '-' (or empty for none)`);
  }
  return text;
}

function redisPrefix(text: string): string {
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(text))
    throw new ConfigError('ORDERFLOW_REDIS_PREFIX', `'${text}' must be 1–64 letters, digits or ':_.-'`);
  return text;
}

function port(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new ConfigError('PORT', `'${text}' is not a port number (0–65535)`);
  return n;
}

function oneOf<T extends string>(variable: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(variable, `'${value}' is not one of ${allowed.join(', ')}`);
  return value as T;
}

function endpoints(variable: string, text: string): string {
  for (const part of text.split(';')) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(part)) throw new ConfigError(variable, `'${text}' is not host:port (e.g. 127.0.0.1:8081)`);
  }
  return text;
}

function httpUrl(variable: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(text) || !URL.canParse(text))
    throw new ConfigError(variable, `'${text}' is not a URL like http://127.0.0.1:3000`);
  return text.replace(/\/+$/, '');
}

function redisUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^rediss?:\/\/.+/.test(text)) throw new ConfigError('REDIS_URL', `'${text}' is not a URL like redis://127.0.0.1:6379`);
  return text;
}

function bool(variable: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(text.toLowerCase())) return false;
  throw new ConfigError(variable, `'${text}' is not true or false`);
}

function systems(text: string | undefined): SystemName[] {
  if (text === undefined || text === 'all') return [...SYSTEMS];
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SYSTEMS as readonly string[]).includes(name)) {
      throw new ConfigError('ORDERFLOW_SYSTEMS', `'${name}' is not a system; known: ${SYSTEMS.join(', ')}`);
    }
  }
  if (names.length === 0) throw new ConfigError('ORDERFLOW_SYSTEMS', 'names no system');
  return names as SystemName[];
}

function adminTokenOf(get: (name: string) => string | undefined): string | undefined {
  const adminToken = get('ORDERFLOW_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 8) {
    throw new ConfigError('ORDERFLOW_ADMIN_TOKEN', 'must be at least 8 characters');
  }
  return adminToken;
}

/**
 * A process running only some systems is one of several, and they must all accept each other's user
 * tokens: a secret of its own (random, or kept in its own data dir) would not do, so it is required.
 * The value is never echoed: it is a secret.
 */
function tokenSecret(text: string | undefined, systemNames: readonly SystemName[]): string | undefined {
  if (text !== undefined) {
    if (text.length < MIN_TOKEN_SECRET_LENGTH) {
      throw new ConfigError(
        'ORDERFLOW_TOKEN_SECRET',
        `must be at least ${MIN_TOKEN_SECRET_LENGTH} characters (it has ${text.length}); e.g. the output of \`openssl rand -hex 32\``,
      );
    }
    return text;
  }
  if (systemNames.length < SYSTEMS.length) {
    throw new ConfigError(
      'ORDERFLOW_TOKEN_SECRET',
      `is required when a process runs only some systems (ORDERFLOW_SYSTEMS=${systemNames.join(',')}): set the same secret of at least ${MIN_TOKEN_SECRET_LENGTH} characters (e.g. from \`openssl rand -hex 32\`) on every process of the deployment, so each accepts the user tokens the others issue`,
    );
  }
  return undefined;
}

const vendorVariable = (name: ThirdPartyName, suffix: 'URL' | 'API_KEY') => `ORDERFLOW_${name.toUpperCase()}_${suffix}`;

/** ORDERFLOW_SMS_API_KEY, …: sent in an HTTP header, so printable ASCII without spaces; never echoed. */
function apiKeysOf(get: (name: string) => string | undefined): Partial<Record<ThirdPartyName, string>> {
  const keys: Partial<Record<ThirdPartyName, string>> = {};
  for (const name of THIRD_PARTY_NAMES) {
    const key = get(vendorVariable(name, 'API_KEY'));
    if (key === undefined) continue;
    if (!/^[\x21-\x7e]+$/.test(key))
      throw new ConfigError(vendorVariable(name, 'API_KEY'), 'must be printable ASCII without spaces (it is sent in an HTTP header)');
    keys[name] = key;
  }
  return keys;
}

/**
 * All three vendor URLs or none. None: this process starts the simulators itself (the one-process
 * default). All: they are used, and nothing is simulated here. Some: refused, because the missing ones
 * would be simulated in this process alone, and a refund paid back by a payment provider that no
 * other process sees is the very confusion the setting exists to end.
 */
function externalVendors(get: (name: string) => string | undefined): ExternalVendors | undefined {
  const urls: Partial<Record<ThirdPartyName, string>> = {};
  for (const name of THIRD_PARTY_NAMES) urls[name] = httpUrl(vendorVariable(name, 'URL'), get(vendorVariable(name, 'URL')));
  const adminUrl = httpUrl('ORDERFLOW_VENDORS_URL', get('ORDERFLOW_VENDORS_URL'));
  const apiKeys = apiKeysOf(get);
  const set = THIRD_PARTY_NAMES.filter((name) => urls[name] !== undefined);
  if (set.length === 0) {
    if (adminUrl !== undefined) {
      throw new ConfigError(
        'ORDERFLOW_VENDORS_URL',
        'is set but ORDERFLOW_SMS_URL, ORDERFLOW_LOGISTICS_URL and ORDERFLOW_PAYMENT_URL are not: set them too (`orderflow vendors` prints all four), or unset it to run the simulators in this process',
      );
    }
    const keyed = THIRD_PARTY_NAMES.find((name) => apiKeys[name] !== undefined);
    if (keyed)
      throw new ConfigError(
        vendorVariable(keyed, 'API_KEY'),
        `is set but ${vendorVariable(keyed, 'URL')} is not: a key is sent only to an external vendor`,
      );
    return undefined;
  }
  const missing = THIRD_PARTY_NAMES.find((name) => urls[name] === undefined);
  if (missing) {
    const given = set.map((name) => vendorVariable(name, 'URL'));
    throw new ConfigError(
      vendorVariable(missing, 'URL'),
      `is not set while ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'}: set all three vendor URLs (\`orderflow vendors\` prints them), or none to have this process start its own simulators`,
    );
  }
  return { urls: urls as Record<ThirdPartyName, string>, apiKeys, adminUrl };
}

/** The settings of `orderflow vendors` (the simulators as a process of their own). */
export interface VendorsConfig {
  /** Admin API on this port, SMS vendor on +1, logistics company on +2, payment provider on +3; 0: each on a free port. */
  port: number;
  host: string;
  /** Guards the knobs API; the orderflow processes that forward to it send their own ORDERFLOW_ADMIN_TOKEN. */
  adminToken: string;
  adminTokenIsDefault: boolean;
  /** Per vendor: when set, its endpoints require `Authorization: Bearer <key>` (the same variables orderflow sends). */
  apiKeys: Partial<Record<ThirdPartyName, string>>;
  /** The payment provider signs its callbacks with it (ORDERFLOW_PAYMENT_CALLBACK_SECRET, the order processes' too). */
  paymentCallbackSecret?: string;
  logLevel: string;
  /** The demo (ORDERFLOW_DEMO): only then is the demo admin token accepted. */
  demo: boolean;
}

export const VENDORS_FLAG_TO_VARIABLE: Record<string, string> = {
  port: 'ORDERFLOW_VENDORS_PORT',
  host: 'HOST',
  'admin-token': 'ORDERFLOW_ADMIN_TOKEN',
  'log-level': 'LOG_LEVEL',
  demo: 'ORDERFLOW_DEMO',
};

export function loadVendorsConfig(env: Source = process.env, flags: Source = {}): Readonly<VendorsConfig> {
  const get = settings(env, flags, VENDORS_FLAG_TO_VARIABLE);
  const adminToken = adminTokenOf(get);
  const demo = bool('ORDERFLOW_DEMO', get('ORDERFLOW_DEMO'), false);
  const config: VendorsConfig = {
    demo,
    port: vendorsPort(get('ORDERFLOW_VENDORS_PORT')),
    host: get('HOST') ?? '127.0.0.1',
    adminToken: adminToken ?? DEFAULT_ADMIN_TOKEN,
    adminTokenIsDefault: adminToken === undefined,
    apiKeys: apiKeysOf(get),
    ...pick(paymentCallbackOf(get), 'paymentCallbackSecret'),
    logLevel: oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  };
  if (!demo) refuseDemoAdminToken(adminToken);
  return Object.freeze(config);
}

function vendorsPort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_VENDORS_PORT;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_532) {
    throw new ConfigError(
      'ORDERFLOW_VENDORS_PORT',
      `'${text}' is not a port from 1 to 65532 (the vendors take it and the next three), or 0 for free ports`,
    );
  }
  return n;
}

/** ORDERFLOW_PAYMENT_CALLBACK_SECRET and ORDERFLOW_PAYMENT_CALLBACK_URL, each only when set (a config without them stays as it was). */
function paymentCallbackOf(get: (name: string) => string | undefined): { paymentCallbackSecret?: string; paymentCallbackUrl?: string } {
  const secret = get('ORDERFLOW_PAYMENT_CALLBACK_SECRET');
  const url = get('ORDERFLOW_PAYMENT_CALLBACK_URL');
  if (secret !== undefined && secret.length < MIN_TOKEN_SECRET_LENGTH)
    throw new ConfigError(
      'ORDERFLOW_PAYMENT_CALLBACK_SECRET',
      `must be at least ${MIN_TOKEN_SECRET_LENGTH} characters (it has ${secret.length})`,
    );
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url))
    throw new ConfigError('ORDERFLOW_PAYMENT_CALLBACK_URL', `must be an http(s) URL (got ${JSON.stringify(url)})`);
  return { ...(secret === undefined ? {} : { paymentCallbackSecret: secret }), ...(url === undefined ? {} : { paymentCallbackUrl: url }) };
}

function pick<T extends object, K extends keyof T>(from: T, key: K): Partial<Pick<T, K>> {
  return from[key] === undefined ? {} : ({ [key]: from[key] } as Partial<Pick<T, K>>);
}
