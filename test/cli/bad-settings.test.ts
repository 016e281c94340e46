import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI } from '../support/vendors-process.js';

/** Runs the real `orderflow` command with `env` (over a clean slate of orderflow variables) and collects what it says. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERFLOW_') && name !== 'PORT'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

// Run side by side: each is a Node start-up, and none gets as far as opening a port or a file.
test('cli: bad deployment settings stop orderflow with exit code 2 and one line naming the setting', async () => {
  const cases: { args: string[]; env: Record<string, string>; line: RegExp }[] = [
    {
      args: ['start'],
      env: { ORDERFLOW_SYSTEMS: 'order,coupons' },
      line: /^orderflow: bad configuration: ORDERFLOW_TOKEN_SECRET: is required when a process runs only some systems \(ORDERFLOW_SYSTEMS=order,coupons\): set the same secret .*\n$/,
    },
    {
      // A system name mistyped in one process's settings: that process stops, naming the name and the known ones.
      args: ['start'],
      env: {
        ORDERFLOW_SYSTEMS: 'order,shiping',
        ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token',
        ORDERFLOW_TOKEN_SECRET: 'a-real-token-secret-0123',
      },
      line: /^orderflow: bad configuration: ORDERFLOW_SYSTEMS: 'shiping' is not a system; known: order, push, warehouse, points, coupons, analytics, flash-sale\n$/,
    },
    {
      args: ['start', '--payment-url', 'http//127.0.0.1:3903'],
      env: { ORDERFLOW_SMS_URL: 'http://127.0.0.1:3901', ORDERFLOW_LOGISTICS_URL: 'http://127.0.0.1:3902' },
      line: /^orderflow: bad configuration: ORDERFLOW_PAYMENT_URL: 'http\/\/127\.0\.0\.1:3903' is not a URL like http:\/\/127\.0\.0\.1:3000\n$/,
    },
    {
      // '_' would let one namespace's names collide with another's (a_b + c and a + b_c).
      args: ['start', '--mq-namespace', 'shop_a'],
      env: {},
      line: /^orderflow: bad configuration: ORDERFLOW_MQ_NAMESPACE: 'shop_a' must be 1–32 letters, digits or '-' \(or empty for none\)\n$/,
    },
    {
      args: ['vendors', '--port', '70000'],
      env: {},
      line: /^orderflow: bad configuration: ORDERFLOW_VENDORS_PORT: '70000' is not a port from 1 to 65532 .*\n$/,
    },
    // Outside the demo (no --demo, no ORDERFLOW_DEMO): the demo admin token, a secret left to the data dir and the demo users are refused.
    {
      args: ['start'],
      env: {},
      line: /^orderflow: bad configuration: ORDERFLOW_ADMIN_TOKEN: is not set, so the admin API would take the demo token 'orderflow-admin': .*--demo`\n$/,
    },
    {
      args: ['start', '--admin-token', 'orderflow-admin'],
      env: {},
      line: /^orderflow: bad configuration: ORDERFLOW_ADMIN_TOKEN: is the demo token 'orderflow-admin': .*\n$/,
    },
    {
      args: ['start'],
      env: { ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token' },
      line: /^orderflow: bad configuration: ORDERFLOW_TOKEN_SECRET: is required outside the demo: .*\n$/,
    },
    {
      args: ['start', '--seed', 'true'],
      env: { ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token', ORDERFLOW_TOKEN_SECRET: 'a-real-token-secret-0123' },
      line: /^orderflow: bad configuration: ORDERFLOW_SEED: would create the demo users user1 … user100 with the password 'demo': .*ORDERFLOW_SEED_PASSWORD.*\n$/,
    },
    {
      args: ['vendors'],
      env: {},
      line: /^orderflow: bad configuration: ORDERFLOW_ADMIN_TOKEN: is not set, so the admin API would take the demo token 'orderflow-admin': .*\n$/,
    },
  ];
  const results = await Promise.all(cases.map(({ args, env }) => run(args, env)));
  for (const [i, { code, stdout, stderr }] of results.entries()) {
    assert.match(stderr, cases[i].line, `case ${i}: ${stderr}`);
    assert.equal(code, 2, `case ${i}`);
    assert.equal(stdout, '', `case ${i}: nothing started`);
  }
});

test('cli: servers that do not answer at start-up stop orderflow with exit code 1 and one line naming the setting, no stack trace', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-unreachable-'));
  try {
    // Port 1: nothing listens there, so each is refused at once.
    const cases: { env: Record<string, string>; line: RegExp }[] = [
      {
        env: { ORDERFLOW_MQ: 'rocketmq', ROCKETMQ_NAMESRV: '127.0.0.1:1' },
        line: /^orderflow: could not start: RocketMQ at ROCKETMQ_ENDPOINTS=\S+ \/ ROCKETMQ_NAMESRV=127\.0\.0\.1:1: .*\n$/,
      },
      {
        env: { ORDERFLOW_DB: 'mysql://root@127.0.0.1:1/orderflow' },
        line: /^orderflow: could not start: cannot reach MySQL\/MariaDB at 127\.0\.0\.1:1 .*ORDERFLOW_DB.*\n$/,
      },
    ];
    // Production settings, so that the servers are what stops it.
    const settings = { ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token', ORDERFLOW_TOKEN_SECRET: 'a-real-token-secret-0123' };
    const results = await Promise.all(
      cases.map(({ env }, i) =>
        run(['start'], { ...settings, ...env, ORDERFLOW_DATA_DIR: path.join(dataDir, String(i)), LOG_LEVEL: 'silent', PORT: '0' }),
      ),
    );
    for (const [i, { code, stderr }] of results.entries()) {
      assert.match(stderr, cases[i].line, `case ${i}: ${stderr}`);
      assert.doesNotMatch(stderr, /\n\s+at /, `case ${i}: no stack trace`);
      assert.equal(code, 1, `case ${i}`);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
