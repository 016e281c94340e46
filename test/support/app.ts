import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Message, Messaging, Producer } from '../../src/mq/index.js';

/**
 * A running deployment to test instead of an app started here (e.g. `npm run cluster:start`'s public URL): the
 * end-to-end suites then talk to it over HTTP only, with its admin token and its seeded users' password.
 */
export const DEPLOYMENT_URL = process.env.ORDERFLOW_TEST_URL?.trim().replace(/\/+$/, '') || undefined;
export const ADMIN_TOKEN = DEPLOYMENT_URL ? requiredSetting('ORDERFLOW_TEST_ADMIN_TOKEN') : 'test-admin-token';
/** The seeded users' password: the demo's here, the deployment's ORDERFLOW_SEED_PASSWORD there. */
export const USER_PASSWORD = DEPLOYMENT_URL ? requiredSetting('ORDERFLOW_TEST_PASSWORD') : 'demo';

/** `describe`/`test` skip option of a suite that starts its own app: off when a deployment is under test. */
export function unlessDeployment(skip: string | false = false): string | false {
  return DEPLOYMENT_URL ? 'ORDERFLOW_TEST_URL is set: this run tests that deployment (its own describe)' : skip;
}
/** Skip option of the suite run against ORDERFLOW_TEST_URL. */
export const deploymentOnly: string | false = DEPLOYMENT_URL
  ? false
  : 'ORDERFLOW_TEST_URL is not set (a running deployment, e.g. npm run cluster:start; see docs/deployment.md)';
/** Skip option of a case that needs the app's objects in this process (its broker client, its databases). */
export function inProcessOnly(why: string): string | false {
  return DEPLOYMENT_URL ? `needs the app in this process: ${why}` : false;
}

function requiredSetting(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`ORDERFLOW_TEST_URL is set, so ${name} must be too`);
  return value;
}

/**
 * The broker namespace of this test file's apps (ignored by the embedded broker): the apps a file starts share it, as
 * the processes of one deployment do, and nothing another file left on a shared RocketMQ reaches their groups.
 */
const FILE_NAMESPACE = `test-${randomBytes(4).toString('hex')}`;

/**
 * Starts the whole app in this process on a random port, with its own data dir (and MySQL databases).
 * An ORDERFLOW_DATA_DIR given in `env` is used instead and left in place at stop (a restart test reuses it).
 */
export async function startTestApp(env: Record<string, string> = {}, db: 'sqlite' | 'mysql' = 'sqlite'): Promise<TestApp> {
  if (DEPLOYMENT_URL) return new TestApp(deploymentApp(DEPLOYMENT_URL), async () => {});
  const ownDataDir = env.ORDERFLOW_DATA_DIR === undefined;
  const dataDir = env.ORDERFLOW_DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-e2e-'));
  const base = `of_e2e_${randomBytes(4).toString('hex')}`;
  const mysqlUrl = db === 'mysql' ? `${(process.env.MYSQL_URL as string).replace(/\/[^/]*$/, '')}/${base}` : undefined;
  const config = loadConfig({
    // The demo: seeded users with the demo password, as the tests log in; a test of production mode says ORDERFLOW_DEMO=false.
    ORDERFLOW_DEMO: 'true',
    // Every test logs in from 127.0.0.1, some a hundred users at once; the limit per user stays on.
    ORDERFLOW_LOGIN_ADDRESS_RATE: '0',
    PORT: '0',
    ORDERFLOW_DATA_DIR: dataDir,
    ORDERFLOW_DB: mysqlUrl ?? 'sqlite',
    ORDERFLOW_SEED: 'true',
    ORDERFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
    ORDERFLOW_RETRY_SCALE: '0.01',
    ORDERFLOW_MQ_NAMESPACE: FILE_NAMESPACE,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await startApp(config);
  return new TestApp(app, async () => {
    await app.close();
    if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (mysqlUrl) await dropDatabases(mysqlUrl, base);
  });
}

/**
 * The deployment under test as the app's stand-in: its URL, and a clear failure for anything else a case would
 * reach in this process (such a case is skipped there with inProcessOnly).
 */
function deploymentApp(url: string): App {
  return new Proxy({ url } as App, {
    get(target, property) {
      if (property === 'url' || typeof property === 'symbol' || property === 'then') return Reflect.get(target, property);
      throw new Error(`app.${String(property)} is in the process under test, not reachable at ${url}`);
    },
  });
}

async function dropDatabases(url: string, base: string): Promise<void> {
  const connection = await createConnection(url.replace(/\/[^/]*$/, '/'));
  const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
  for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  await connection.end();
}

export class TestApp {
  readonly #tokens = new Map<string, string>();
  constructor(
    readonly app: App,
    readonly stop: () => Promise<void>,
  ) {}

  async token(userId: string): Promise<string> {
    let token = this.#tokens.get(userId);
    if (!token) {
      const res = await this.call('POST', '/api/auth/login', { body: { userId, password: USER_PASSWORD } });
      if (res.status !== 200) throw new Error(`login ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
      token = (res.body as { token: string }).token;
      this.#tokens.set(userId, token);
    }
    return token;
  }

  /** Places an order of one SKU as `user` and pays it, over HTTP; fails unless both answer 201 / 200. Returns the order id. */
  async placePaidOrder(user: string, skuId: string, quantity: number): Promise<string> {
    const placed = await this.call('POST', '/api/orders', { as: user, body: { userId: user, items: [{ skuId, quantity }] } });
    if (placed.status !== 201) throw new Error(`placing an order: ${placed.status} ${JSON.stringify(placed.body)}`);
    const paid = await this.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: user, body: {} });
    if (paid.status !== 200) throw new Error(`paying ${placed.body.orderId}: ${paid.status} ${JSON.stringify(paid.body)}`);
    return placed.body.orderId;
  }

  /** Real HTTP to the app. `as`: a user id (their token) or 'admin'. */
  async call(method: string, url: string, options: { body?: unknown; as?: string } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.as === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    else if (options.as) headers.authorization = `Bearer ${await this.token(options.as)}`;
    const res = await fetch(`${this.app.url}${url}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
}

/**
 * Sends a copy of a message as the order system would have: committed transactional message on a
 * TRANSACTION topic, plain message otherwise (ORDERFLOW_ORDER_MESSAGES=outbox makes order_paid and
 * order_refund NORMAL topics). Tests use it to redeliver an event by hand.
 */
export async function sendLikeTheOrderSystem(mq: Messaging, producer: Producer, message: Message): Promise<void> {
  const type = (await mq.admin.listTopics()).find((t) => t.name === message.topic)?.type;
  if (type === 'TRANSACTION') await producer.sendInTransaction(message, () => 'COMMIT');
  else await producer.send(message);
}
