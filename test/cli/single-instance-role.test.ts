/**
 * Two processes claiming the same single-instance role: the flash-sale system with its in-process stock gate
 * (REDIS_URL unset) on one MySQL database. The second `orderflow start` stops with exit code 1 and one line that
 * names the role, the process holding it and what to do; the first keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { dbTestTargets } from '../../src/db/testing.js';
import { SEED_PASSWORD, startOrderflowProcess } from '../support/orderflow-process.js';
import { CLI } from '../support/vendors-process.js';

const [, mysql] = dbTestTargets(process.env.MYSQL_URL);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-single-role-'));
after(async () => {
  await mysql.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cli: a second process claiming the in-process flash-sale gate on the same MySQL database stops with one line naming the holder', {
  skip: mysql.skip,
  timeout: 120_000,
}, async () => {
  const env = (name: string) => ({
    ORDERFLOW_SYSTEMS: 'flash-sale',
    ORDERFLOW_DB: mysql.url,
    ORDERFLOW_TOKEN_SECRET: 'single-instance-role-test-secret',
    ORDERFLOW_ADMIN_TOKEN: 'single-instance-role-admin-token',
    ORDERFLOW_SEED_PASSWORD: SEED_PASSWORD,
    ORDERFLOW_DATA_DIR: path.join(dir, name),
    ORDERFLOW_SEED: 'true',
  });
  await mysql.open('flash-sale'); // so that cleanup() drops the database the processes create
  const first = await startOrderflowProcess(env('first'));
  try {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERFLOW_') && name !== 'PORT' && name !== 'REDIS_URL'),
    );
    const second = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
      env: { ...inherited, PORT: '0', LOG_LEVEL: 'silent', ...env('second') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    second.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => second.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^orderflow: could not start: the flash-sale system's in-process stock gate \\(REDIS_URL unset\\) runs in one process only and \\S+ pid ${first.child.pid} \\(\\w+\\) holds it \\(lease 'flash-sale-gate' of system 'flash-sale'\\): set the same REDIS_URL on every flash-sale process .*\\n$`,
      ),
    );
    const res = await fetch(`${first.url}/api/flash-sales`);
    assert.equal(res.status, 200, 'the first process still serves');
  } finally {
    first.signalGroup('SIGTERM');
    if (!(await first.exit(20_000))) first.kill();
  }
});
