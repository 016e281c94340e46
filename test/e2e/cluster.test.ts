/**
 * The cluster command end to end on RocketMQ + MariaDB + Redis (skipped unless ROCKETMQ_ENDPOINTS, MYSQL_URL and
 * REDIS_URL are set): `cluster:start` brings up two order-system instances behind HAProxy and one instance of every
 * downstream system (two would only make it slower here), an order placed and paid through the load balancer ends
 * SHIPPED with its SMS, points and reward coupon, an order instance killed with -9 is taken out by the balancer
 * without a failed request, and `cluster:stop` leaves none of the processes it started. The cluster has its own
 * directory, ports, databases, Redis prefix and broker namespace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
import { freeRange, runCluster } from '../support/cluster-command.js';
import { waitUntil } from '../support/wait.js';

const { ROCKETMQ_ENDPOINTS, MYSQL_URL, REDIS_URL } = process.env;
const skip =
  ROCKETMQ_ENDPOINTS && MYSQL_URL && REDIS_URL
    ? false
    : 'ROCKETMQ_ENDPOINTS, MYSQL_URL and REDIS_URL must all be set (the cluster runs on RocketMQ, MariaDB and Redis)';

const id = randomBytes(3).toString('hex');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-cluster-'));
const base = MYSQL_URL ? `${new URL(MYSQL_URL).pathname.slice(1).slice(0, 24)}_cl${id}` : '';

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

test('cluster: start, an order SHIPPED through the load balancer, an order instance killed, stop leaves no process', {
  skip,
  timeout: 600_000,
}, async () => {
  env = {
    ORDERFLOW_CLUSTER_DIR: dir,
    ...(await freeRange(50).then((base) => ({ ORDERFLOW_CLUSTER_BASE_PORT: String(base), ORDERFLOW_CLUSTER_PORT: String(base + 40) }))),
    ORDERFLOW_CLUSTER_ORDER_INSTANCES: '2',
    ORDERFLOW_CLUSTER_INSTANCES: '1',
    // From the sources: the test does not depend on a fresh build of dist/.
    ORDERFLOW_CLUSTER_RUN: 'sources',
    ORDERFLOW_DB: `${MYSQL_URL?.replace(/\/[^/]*$/, '')}/${base}`,
    REDIS_URL: REDIS_URL ?? '',
    ORDERFLOW_REDIS_PREFIX: `ofcluster:${id}:`,
    ORDERFLOW_MQ_NAMESPACE: `ofcluster-${id}`,
    ROCKETMQ_ENDPOINTS: ROCKETMQ_ENDPOINTS ?? '',
    ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    LOG_LEVEL: 'warn',
    // The seeded users' password (outside the demo, never "demo"); the cluster would otherwise generate one.
    ORDERFLOW_SEED_PASSWORD: 'cluster-test-users-password',
  };
  const started = await runCluster(['start'], env);
  assert.equal(started.code, 0, `cluster:start failed:\n${started.stdout}\n${started.stderr}`);
  const url = `http://127.0.0.1:${env.ORDERFLOW_CLUSTER_PORT}`;
  assert.match(started.stdout, new RegExp(`orderflow cluster is up: ${url}/`));

  const status = JSON.parse((await runCluster(['status', '--json'], env)).stdout) as {
    processes: { name: string; role: string; pid: number | null; url: string | null; healthy: boolean; startedByCluster: boolean }[];
  };
  const ours = status.processes.filter((p) => p.startedByCluster);
  assert.deepEqual(ours.map((p) => p.role).sort(), [
    'analytics',
    'coupons',
    'lb',
    'order',
    'order',
    'points',
    'push',
    'vendors',
    'warehouse',
  ]);
  for (const p of status.processes) {
    assert.equal(p.healthy, true, `${p.name} healthy`);
    assert.deepEqual(Object.keys(p).slice(0, 5), ['name', 'role', 'pid', 'url', 'healthy']);
  }
  assert.ok(
    status.processes.some((p) => p.role === 'rocketmq'),
    'the RocketMQ it runs on is listed',
  );

  // The README's sequence, through the load balancer.
  const call = async (method: string, route: string, body?: unknown, token?: string) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  // Every orderflow process lists itself in the deployment database: any instance answers for all of them.
  const adminToken = (JSON.parse(fs.readFileSync(path.join(dir, 'secrets.json'), 'utf8')) as { ORDERFLOW_ADMIN_TOKEN: string })
    .ORDERFLOW_ADMIN_TOKEN;
  type Registered = {
    processes: { url: string; pid: number; state: string; groups: string[] }[];
    groups: { group: string; consumers: string[] }[];
  };
  const registered = async () => (await call('GET', '/api/admin/processes', undefined, adminToken)).body as Registered;
  const orderflowProcesses = ours.filter((p) => !['lb', 'vendors'].includes(p.role));
  const listed = await registered();
  for (const p of orderflowProcesses) {
    const row = listed.processes.find((r) => r.url === p.url);
    assert.deepEqual(row && [row.pid, row.state], [p.pid, 'up'], `${p.name} registered, up: ${JSON.stringify(listed.processes)}`);
  }
  for (const group of ['push', 'warehouse', 'points', 'coupons', 'analytics', 'refund-worker'])
    assert.ok(listed.groups.find((g) => g.group === group)?.consumers.length, `the ${group} group has a consumer up`);

  const login = await call('POST', '/api/auth/login', { userId: 'user1', password: env.ORDERFLOW_SEED_PASSWORD });
  assert.equal(login.status, 200);
  const token = login.body.token as string;
  const placed = await call(
    'POST',
    '/api/orders',
    { userId: 'user1', items: [{ skuId: 'SKU-1001', quantity: 2 }], couponId: 'WELCOME-user1' },
    token,
  );
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  // Round robin: the pay most likely lands on the other instance, which accepts the token the first one issued.
  assert.equal((await call('POST', `/api/orders/${placed.body.orderId}/pay`, {}, token)).status, 200);
  let order: any;
  assert.ok(
    await waitUntil(
      async () => {
        order = (await call('GET', `/api/orders/${placed.body.orderId}`, undefined, token)).body;
        return (
          order.status === 'SHIPPED' &&
          order.downstream?.push?.length > 0 &&
          order.downstream?.points?.points > 0 &&
          order.downstream?.coupons?.rewardCoupon
        );
      },
      60_000,
      250,
    ),
    `SHIPPED with its SMS, points and reward coupon: ${JSON.stringify(order)}`,
  );

  // kill -9 one order instance: its health check fails twice a second apart and the balancer stops sending to it. Until
  // then a request can meet it (a keep-alive connection of the balancer's to it closes under the request: the
  // client's connection is closed without an answer, which a browser retries and this client counts).
  const victim = ours.find((p) => p.name === 'order-2');
  process.kill(victim?.pid as number, 'SIGKILL');
  const killedAt = Date.now();
  let failed = 0;
  const down = await waitUntil(
    async () => {
      await call('GET', '/api/skus').catch(() => failed++);
      const csv = await (await fetch(`${url}/lb/stats;csv`)).text();
      return /^order,order-2,.*,DOWN,/m.test(csv);
    },
    15_000,
    100,
  );
  assert.ok(down, 'the balancer marks the killed instance DOWN');
  assert.ok(Date.now() - killedAt < 5_000, `marked DOWN within 5 s (${Date.now() - killedAt} ms)`);
  assert.ok(failed <= 2, `${failed} request(s) failed before it was marked DOWN`);
  const answers: number[] = [];
  for (let i = 0; i < 20; i++) answers.push((await call('GET', '/api/skus')).status);
  assert.deepEqual([...new Set(answers)], [200], 'every request answered by the surviving instance');
  // It stamps no more: the registry lists it late once its last stamp is older than the healthy window (10 s).
  let lateAfter = 0;
  assert.ok(
    await waitUntil(
      async () => {
        lateAfter = Date.now() - killedAt;
        return (await registered()).processes.find((r) => r.url === victim?.url)?.state === 'late';
      },
      30_000,
      500,
    ),
    'the killed instance is listed late',
  );
  assert.ok(lateAfter >= 5_000, `not judged late before the healthy window passed (${lateAfter} ms)`);
  const after = JSON.parse((await runCluster(['status', '--json'], env)).stdout) as typeof status;
  assert.equal(after.processes.find((p) => p.name === 'order-2')?.healthy, false, 'the status shows it down');

  const stopped = await runCluster(['stop'], env);
  assert.equal(stopped.code, 0, stopped.stderr);
  for (const p of ours) {
    if (p.pid === null) continue;
    assert.ok(!alive(p.pid), `${p.name} (pid ${p.pid}) is gone`);
  }
  assert.equal(fs.existsSync(path.join(dir, 'state.json')), false);
  assert.match((await runCluster(['status'], env)).stdout, /not running/);
});

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
