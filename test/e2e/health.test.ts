/**
 * GET /api/health (and /ready, /live) against the real app with its real dependencies, some taken down: the
 * embedded broker closed, MariaDB behind a relay that is cut (refused) or silenced (hangs), Redis likewise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { startTestApp, type TestApp } from '../support/app.js';
import { tcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { waitUntil } from '../support/wait.js';

type Health = { status: string; dependencies: Record<string, { status: string; latencyMs: number; error?: string }> };

async function health(t: TestApp, path = '/api/health'): Promise<{ status: number; body: Health; ms: number }> {
  const started = Date.now();
  const res = await t.call('GET', path);
  return { status: res.status, body: res.body as Health, ms: Date.now() - started };
}

const states = (body: Health) => Object.fromEntries(Object.entries(body.dependencies).map(([name, s]) => [name, s.status]));

describe('health on the embedded default (SQLite)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.stop());

  test("every dependency is listed and UP: the databases, the broker, the consumers' worker thread", async () => {
    for (const path of ['/api/health', '/api/health/ready']) {
      const { status, body } = await health(t, path);
      assert.equal(status, 200, path);
      assert.equal(body.status, 'UP');
      assert.deepEqual(states(body), { mq: 'UP', 'db.coupons': 'UP', 'db.order': 'UP', 'db.flash-sale': 'UP', worker: 'UP' });
    }
  });

  test('the broker closed: 503 DOWN naming it; liveness still 200', async () => {
    await t.app.mq.close();
    const { status, body } = await health(t);
    assert.equal(status, 503);
    assert.equal(body.status, 'DOWN');
    assert.deepEqual(body.dependencies.mq && [body.dependencies.mq.status, body.dependencies.mq.error], ['DOWN', 'MQ_CLOSED']);
    assert.equal((await health(t, '/api/health/ready')).status, 503);
    assert.equal((await health(t, '/api/health/live')).status, 200);
  });
});

const mysqlUrl = process.env.MYSQL_URL;
describe('health with MariaDB going away', { skip: mysqlUrl ? false : 'MYSQL_URL is not set' }, () => {
  let t: TestApp;
  let relay: TcpRelay;
  const base = `of_health_${randomBytes(4).toString('hex')}`;
  before(async () => {
    const target = new URL(mysqlUrl as string);
    relay = await tcpRelay(target.hostname, Number(target.port || 3306));
    const throughRelay = new URL(mysqlUrl as string);
    throughRelay.host = `127.0.0.1:${relay.port}`;
    throughRelay.pathname = `/${base}`;
    t = await startTestApp({ ORDERFLOW_DB: throughRelay.toString() });
  });
  after(async () => {
    relay.restore();
    await t.stop();
    await relay.close();
    const connection = await createConnection((mysqlUrl as string).replace(/\/[^/]*$/, '/'));
    const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
    for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
    await connection.end();
  });

  test('MariaDB refusing connections: 503 within a second, its databases and the worker DOWN; 200 again once it is back', async () => {
    assert.equal((await health(t)).status, 200);
    relay.cut();
    const down = await health(t);
    assert.equal(down.status, 503);
    assert.ok(down.ms < 1_500, `answered in ${down.ms} ms`);
    assert.equal(down.body.dependencies['db.order']?.status, 'DOWN');
    assert.equal(down.body.dependencies.worker?.status, 'DOWN');
    assert.equal(down.body.dependencies.mq?.status, 'UP');
    assert.equal((await health(t, '/api/health/live')).status, 200);
    relay.restore();
    assert.ok(await waitUntil(async () => (await health(t)).status === 200, 15_000, 200), 'UP again');
  });

  test('MariaDB accepting connections and never answering: 503 within the probe timeout, not a hung request', async () => {
    relay.silence();
    for (let i = 0; i < 3; i++) {
      const down = await health(t);
      assert.equal(down.status, 503);
      assert.ok(down.ms < 1_500, `answered in ${down.ms} ms`);
      assert.equal(down.body.dependencies['db.order']?.status, 'DOWN');
    }
    relay.restore();
  });
});

const redisUrl = process.env.REDIS_URL;
describe('health with Redis going away', { skip: redisUrl ? false : 'REDIS_URL is not set' }, () => {
  let t: TestApp;
  let relay: TcpRelay;
  before(async () => {
    const target = new URL(redisUrl as string);
    relay = await tcpRelay(target.hostname, Number(target.port || 6379));
    t = await startTestApp({
      REDIS_URL: `redis://127.0.0.1:${relay.port}`,
      ORDERFLOW_REDIS_PREFIX: `orderflow-health-${randomBytes(4).toString('hex')}:`,
    });
  });
  after(async () => {
    relay.restore();
    await t.stop();
    await relay.close();
  });

  test('Redis listed when configured; cut: 503 with redis DOWN within a second, the rest UP', async () => {
    const up = await health(t);
    assert.equal(up.status, 200);
    assert.equal(up.body.dependencies.redis?.status, 'UP');
    relay.cut();
    assert.ok(
      await waitUntil(
        async () => {
          const down = await health(t);
          return (
            down.status === 503 && down.body.dependencies.redis?.status === 'DOWN' && down.body.dependencies['db.order']?.status === 'UP'
          );
        },
        1_000,
        50,
      ),
      'redis DOWN',
    );
  });
});
