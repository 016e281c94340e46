/**
 * The cluster's plan and settings, without starting anything: which processes run with which settings, and how a
 * bad setting is refused (one line naming the process or the variable, before anything starts).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GROUPS_OF, ORDERFLOW_ROLES, type PlannedProcess, planCluster } from '../../scripts/cluster/plan.js';
import { haproxyConfig } from '../../scripts/cluster/haproxy-config.js';
import { ClusterSettingError, loadClusterSettings } from '../../scripts/cluster/settings.js';
import { loadConfig, loadVendorsConfig, SYSTEMS } from '../../src/config.js';
import { Groups } from '../../src/systems/shared/topics.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const secrets = {
  ORDERFLOW_TOKEN_SECRET: 's'.repeat(64),
  ORDERFLOW_ADMIN_TOKEN: 'a'.repeat(32),
  ORDERFLOW_SEED_PASSWORD: 'p'.repeat(12),
  ORDERFLOW_PAYMENT_CALLBACK_SECRET: 'c'.repeat(64),
};

test('the default plan: two order-system instances and two of each downstream system, each in its own process on its own port, sharing one deployment', () => {
  const settings = loadClusterSettings({});
  assert.equal(settings.port, 8080);
  const plan = planCluster(settings, secrets);
  const processes = [plan.first, ...plan.rest];
  assert.equal(plan.publicUrl, 'http://127.0.0.1:8080');
  assert.deepEqual(
    plan.orderBackends.map((p) => p.name),
    ['order-1', 'order-2'],
  );
  assert.deepEqual(
    plan.analyticsBackends.map((p) => p.name),
    ['analytics-1', 'analytics-2'],
  );
  assert.equal(processes.length, 2 + 5 * 2);
  assert.equal(plan.first.name, 'order-1', 'the first order instance starts alone');
  const ports = [plan.vendors.port, plan.vendors.port + 1, plan.vendors.port + 2, plan.vendors.port + 3, ...processes.map((p) => p.port)];
  assert.equal(new Set(ports).size, ports.length, 'no two processes on one port');
  assert.equal(
    loadVendorsConfig(plan.vendors.env).paymentCallbackSecret,
    secrets.ORDERFLOW_PAYMENT_CALLBACK_SECRET,
    'the vendors sign with the secret the order instances check',
  );
  const running = new Map<string, number>();
  for (const p of processes) {
    const config = loadConfig(p.env);
    for (const system of config.systems) running.set(system, (running.get(system) ?? 0) + 1);
    assert.equal(config.mq, 'rocketmq');
    assert.equal(config.tokenSecret, secrets.ORDERFLOW_TOKEN_SECRET, `${p.name} shares the token secret`);
    assert.equal(config.adminToken, secrets.ORDERFLOW_ADMIN_TOKEN);
    assert.equal(config.paymentCallbackSecret, secrets.ORDERFLOW_PAYMENT_CALLBACK_SECRET, `${p.name} checks the provider's signature`);
    if (p.role === 'order')
      assert.equal(config.paymentCallbackUrl, `${plan.publicUrl}/api/payments/callback`, 'called back through the balancer');
    assert.equal(config.orderMessages, 'outbox');
    assert.ok(config.vendors, `${p.name} calls the one vendors process`);
    assert.equal(config.vendors?.adminUrl, plan.vendors.url);
    assert.ok(config.dataDir.endsWith(path.join('data', p.name)), 'a data directory of its own');
  }
  for (const system of SYSTEMS) assert.equal(running.get(system), 2, `system ${system}`);
  const warehouse = processes.find((p) => p.role === 'warehouse');
  assert.equal(warehouse?.env.ORDERFLOW_ORDER_URL, plan.publicUrl, 'the warehouse reports shipments through the load balancer');
  assert.deepEqual(Object.values(Groups).sort(), Object.values(GROUPS_OF).flat().sort(), 'every consumer group belongs to one role');
  assert.deepEqual([...ORDERFLOW_ROLES], ['order', 'push', 'warehouse', 'points', 'coupons', 'analytics']);
});

test("instance counts, ports and the orderflow settings are settings; the caller's ORDERFLOW_* pass through", () => {
  const settings = loadClusterSettings({
    ORDERFLOW_CLUSTER_PORT: '18080',
    ORDERFLOW_CLUSTER_ORDER_INSTANCES: '3',
    ORDERFLOW_CLUSTER_INSTANCES: '1',
    ORDERFLOW_CLUSTER_BASE_PORT: '20000',
    ORDERFLOW_DB: 'mysql://root@127.0.0.1:3306/orderflow_x',
    ORDERFLOW_PAY_TIMEOUT: '2s',
    ORDERFLOW_SYSTEMS: 'push',
  });
  const plan = planCluster(settings, secrets);
  assert.equal(plan.publicUrl, 'http://127.0.0.1:18080');
  assert.equal(plan.orderBackends.length, 3);
  assert.equal(plan.rest.length, 2 + 5);
  assert.equal(plan.vendors.port, 20000);
  assert.equal(plan.first.port, 20010);
  assert.equal(loadConfig(plan.first.env).payTimeoutMs, 2_000, 'passed through');
  assert.deepEqual(loadConfig(plan.first.env).systems, ['order', 'flash-sale'], "ORDERFLOW_SYSTEMS is the plan's, not the caller's");
  assert.equal(loadConfig(plan.first.env).db, 'mysql://root@127.0.0.1:3306/orderflow_x');
});

test('bad cluster settings are refused with the variable named', () => {
  const refused = (env: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => planCluster(loadClusterSettings(env), { ...secrets, ...pick(env, 'ORDERFLOW_TOKEN_SECRET') }),
      (error: unknown) => {
        assert.ok(error instanceof ClusterSettingError);
        assert.match(error.message, message);
        return true;
      },
    );
  refused({ ORDERFLOW_CLUSTER_ORDER_INSTANCES: '0' }, /^ORDERFLOW_CLUSTER_ORDER_INSTANCES: '0' is not a whole number from 1 to 16$/);
  refused({ ORDERFLOW_CLUSTER_PORT: 'http' }, /^ORDERFLOW_CLUSTER_PORT: /);
  refused({ ORDERFLOW_CLUSTER_PORT: '3110' }, /^ORDERFLOW_CLUSTER_PORT: 3110 is among the processes' ports/);
  refused({ ORDERFLOW_DB: 'sqlite' }, /^ORDERFLOW_DB: 'sqlite' is not a mysql:\/\/ URL/);
  refused({ ORDERFLOW_MQ: 'embedded' }, /^ORDERFLOW_MQ: 'embedded' cannot be shared/);
  refused({ ORDERFLOW_CLUSTER_RUN: 'docker' }, /^ORDERFLOW_CLUSTER_RUN: /);
  // A setting every process gets, refused by orderflow's own check: named with the first process it would stop.
  refused({ ORDERFLOW_TOKEN_SECRET: 'short' }, /^order-1: bad configuration: ORDERFLOW_TOKEN_SECRET: must be at least 16 characters/);
  refused({ ORDERFLOW_FLASH_SALE_RATE: 'fast' }, /^order-1: bad configuration: ORDERFLOW_FLASH_SALE_RATE: 'fast' is not a whole number/);
});

test('npm run cluster:start with a bad setting: exit code 2, one line naming the process and the setting, nothing started', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-cluster-bad-'));
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/cluster/cluster.ts'), 'start'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ORDERFLOW_CLUSTER_DIR: dir, ORDERFLOW_TOKEN_SECRET: 'too-short' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /^cluster: bad setting: order-1: bad configuration: ORDERFLOW_TOKEN_SECRET: must be at least 16 characters \(it has 9\)[^\n]*\n$/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'state.json')), false, 'nothing started');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the load balancer's configuration: order instances round robin, analytics by path, health-checked; HAProxy accepts it", () => {
  const config = haproxyConfig({
    host: '127.0.0.1',
    port: 18080,
    order: [
      { name: 'order-1', host: '127.0.0.1', port: 3110 },
      { name: 'order-2', host: '127.0.0.1', port: 3111 },
    ],
    analytics: [{ name: 'analytics-1', host: '127.0.0.1', port: 3120 }],
  });
  assert.match(config, /bind 127\.0\.0\.1:18080/);
  assert.match(
    config,
    /backend order\n  balance roundrobin\n  server order-1 127\.0\.0\.1:3110 check\n  server order-2 127\.0\.0\.1:3111 check/,
  );
  assert.match(config, /use_backend analytics if analytics/);
  assert.match(config, /option httpchk GET \/api\/health/);
  const haproxy = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((file) => fs.existsSync(file));
  if (!haproxy) return; // installed by cluster:start on first use; the check runs where it is
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-haproxy-')), 'haproxy.cfg');
  fs.writeFileSync(file, config);
  const check = spawnSync(haproxy, ['-c', '-f', file], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr || check.stdout);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

function pick(env: Record<string, string>, name: string): Record<string, string> {
  return env[name] === undefined ? {} : { [name]: env[name] };
}

test('the load balancer tells clients its own idle timeout, not the Keep-Alive of the instance behind it', async (t) => {
  const haproxy = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((file) => fs.existsSync(file));
  if (!haproxy) return t.skip('HAProxy is not installed (cluster:start installs it on first use)');
  // An instance as Node serves one: "Keep-Alive: timeout=72" (Fastify's keepAliveTimeout), longer than the balancer's 10 s.
  const instance = http.createServer((_req, res) => res.end('ok'));
  instance.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => instance.listen(0, '127.0.0.1', resolve));
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-haproxy-'));
  const backend = { name: 'order-1', host: '127.0.0.1', port: (instance.address() as AddressInfo).port };
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), haproxyConfig({ host: '127.0.0.1', port, order: [backend], analytics: [backend] }));
  const lb = spawn(haproxy, ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  try {
    let answer: Response | undefined;
    for (let i = 0; i < 50 && !answer; i++) {
      answer = await fetch(`http://127.0.0.1:${port}/api/anything`).catch(() => undefined);
      if (!answer) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(answer?.status, 200);
    const config = fs.readFileSync(path.join(dir, 'haproxy.cfg'), 'utf8');
    const idle = /timeout http-keep-alive (\d+)s/.exec(config)?.[1];
    assert.ok(idle, 'the balancer has an idle timeout for client connections');
    assert.equal(answer?.headers.get('keep-alive'), `timeout=${idle}`, 'a client may keep a connection idle as long as the balancer does');
  } finally {
    lb.kill('SIGKILL');
    instance.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test("the processes' MySQL pools are sized to the cluster's connection budget, unless ORDERFLOW_DB_POOL says otherwise", () => {
  // Worst case of a process: a pool per system in its main thread and one in its worker, plus the registry's 2.
  const worstCase = (processes: PlannedProcess[]) =>
    processes.reduce((n, p) => {
      const config = loadConfig(p.env);
      return n + 2 * config.systems.length * config.dbPool + 2;
    }, 0);
  const planned = (env: Record<string, string>) => {
    const plan = planCluster(loadClusterSettings(env), secrets);
    return [plan.first, ...plan.rest];
  };
  const defaults = planned({});
  assert.equal(loadConfig(defaults[0].env).dbPool, 3, 'two of everything: 3 per pool');
  assert.ok(worstCase(defaults) <= 120, `within MariaDB's default 151 connections: ${worstCase(defaults)}`);
  const oneEach = planned({ ORDERFLOW_CLUSTER_INSTANCES: '1', ORDERFLOW_CLUSTER_ORDER_INSTANCES: '1' });
  assert.ok(loadConfig(oneEach[0].env).dbPool > 3, 'fewer processes, bigger pools');
  assert.ok(worstCase(oneEach) <= 120);
  assert.equal(loadConfig(planned({ ORDERFLOW_CLUSTER_DB_CONNECTIONS: '1000' })[0].env).dbPool, 10, "at most orderflow's default");
  assert.equal(loadConfig(planned({ ORDERFLOW_DB_POOL: '7' })[5].env).dbPool, 7, "the caller's setting wins");
  assert.throws(() => loadClusterSettings({ ORDERFLOW_CLUSTER_DB_CONNECTIONS: '5' }), ClusterSettingError);
});
