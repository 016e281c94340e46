import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Safe defaults outside the demo, on a real server: no start on a database holding the demo users, seeded users
 * with a password of the operator's; and login attempts limited per user and per address (429 with Retry-After).
 */
const PRODUCTION = { ORDERFLOW_DEMO: 'false', ORDERFLOW_TOKEN_SECRET: 'safe-defaults-test-token-secret' };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-safe-defaults-'));
  dirs.push(dir);
  return dir;
};

const login = (t: TestApp, userId: string, password: string) => t.call('POST', '/api/auth/login', { body: { userId, password } });

test('outside the demo: seeded users take ORDERFLOW_SEED_PASSWORD, never "demo"', async () => {
  const t = await startTestApp({ ...PRODUCTION, ORDERFLOW_DATA_DIR: dataDir(), ORDERFLOW_SEED_PASSWORD: 'operators-own-password' });
  try {
    assert.equal((await login(t, 'user1', 'demo')).status, 401);
    assert.equal((await login(t, 'user1', 'operators-own-password')).status, 200);
  } finally {
    await t.stop();
  }
});

test('outside the demo: a database that a demo start seeded (user1 with the password "demo") is refused at start-up, naming ORDERFLOW_DB', async () => {
  const dir = dataDir();
  const demo = await startTestApp({ ORDERFLOW_DATA_DIR: dir });
  assert.equal((await login(demo, 'user1', 'demo')).status, 200);
  await demo.stop();
  await assert.rejects(
    startTestApp({ ...PRODUCTION, ORDERFLOW_DATA_DIR: dir, ORDERFLOW_SEED: 'false' }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'ORDERFLOW_DB' && /holds the demo users/.test(error.message),
  );
  // The demo itself still starts on it.
  const again = await startTestApp({ ORDERFLOW_DATA_DIR: dir });
  await again.stop();
});

/** Real HTTP with the headers (TestApp.call drops them). */
async function loginWithHeaders(t: TestApp, userId: string, password: string) {
  const res = await fetch(`${t.app.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, password }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

test('login: past the attempts a minute for one user, 429 RATE_LIMITED with Retry-After — even with the right password; other users go on until the address limit', async () => {
  const t = await startTestApp({ ORDERFLOW_LOGIN_USER_RATE: '3', ORDERFLOW_LOGIN_ADDRESS_RATE: '6' });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await loginWithHeaders(t, 'user1', 'wrong')).status, 401, `attempt ${i + 1}`);
    const limited = await loginWithHeaders(t, 'user1', 'demo');
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.deepEqual(Object.keys(limited.body), ['error']);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    assert.equal(limited.body.error.details.per, 'user');
    assert.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 60, `Retry-After: ${limited.retryAfter}`);
    assert.doesNotMatch(JSON.stringify(limited.body), /token/);

    // Another user from the same address: the two attempts left of the address's 6.
    assert.equal((await loginWithHeaders(t, 'user2', 'demo')).status, 200);
    assert.equal((await loginWithHeaders(t, 'user3', 'demo')).status, 200);
    const byAddress = await loginWithHeaders(t, 'user4', 'demo');
    assert.equal(byAddress.status, 429);
    assert.equal(byAddress.body.error.details.per, 'address');
    assert.ok(byAddress.retryAfter);
    // A bad body is still a 400, not counted against anyone's password.
    assert.equal((await t.call('POST', '/api/auth/login', { body: { userId: 42 } })).status, 400);
  } finally {
    await t.stop();
  }
});

test('login: an unknown user costs as long as a wrong password (the time does not tell which user ids exist)', async () => {
  const t = await startTestApp({ ORDERFLOW_LOGIN_USER_RATE: '0' });
  try {
    const median = async (attempt: (i: number) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < 15; i++) {
        const started = performance.now();
        await attempt(i);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[7];
    };
    await login(t, 'user1', 'warm-up');
    const wrongPassword = await median(() => login(t, 'user1', 'not-the-password'));
    const unknownUser = await median((i) => login(t, `nobody${i}`, 'not-the-password'));
    // The password check is a scrypt of tens of milliseconds; a lookup alone is well under a millisecond.
    assert.ok(
      unknownUser > wrongPassword * 0.5,
      `unknown user ${unknownUser.toFixed(1)} ms, wrong password ${wrongPassword.toFixed(1)} ms`,
    );
  } finally {
    await t.stop();
  }
});
