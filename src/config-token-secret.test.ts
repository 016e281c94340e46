import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig as loadAnyConfig, MIN_TOKEN_SECRET_LENGTH } from './config.js';

/** These tests are about one setting each: they run in the demo, where the others may be left unset (config-safe-defaults.test.ts covers production). */
const loadConfig = (env: Record<string, string | undefined> = {}, flags: Record<string, string> = {}) =>
  loadAnyConfig({ ORDERFLOW_DEMO: 'true', ...env }, flags);

const SECRET = 'a-deployment-wide-secret';

test('config: the one-process default leaves the token secret to the data dir (undefined here)', () => {
  assert.equal(loadConfig({}).tokenSecret, undefined);
  assert.equal(loadConfig({ ORDERFLOW_SYSTEMS: 'all' }).tokenSecret, undefined);
  assert.equal(
    loadConfig({ ORDERFLOW_SYSTEMS: 'order,push,warehouse,points,coupons,analytics,flash-sale' }).tokenSecret,
    undefined,
    'every system named is still one process',
  );
  assert.equal(loadConfig({ ORDERFLOW_TOKEN_SECRET: SECRET }).tokenSecret, SECRET);
});

test('config: a process running some systems refuses to start without ORDERFLOW_TOKEN_SECRET, in one line saying what to do', () => {
  assert.throws(
    () => loadConfig({ ORDERFLOW_SYSTEMS: 'order,coupons' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === 'ORDERFLOW_TOKEN_SECRET' &&
      !error.message.includes('\n') &&
      /^ORDERFLOW_TOKEN_SECRET: is required when a process runs only some systems \(ORDERFLOW_SYSTEMS=order,coupons\): set the same secret/.test(
        error.message,
      ),
  );
  assert.equal(loadConfig({ ORDERFLOW_SYSTEMS: 'order,coupons', ORDERFLOW_TOKEN_SECRET: SECRET }).tokenSecret, SECRET);
});

test('config: a token secret shorter than 16 characters is refused without echoing it', () => {
  const short = 'x'.repeat(MIN_TOKEN_SECRET_LENGTH - 1);
  assert.throws(
    () => loadConfig({ ORDERFLOW_TOKEN_SECRET: short }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === 'ORDERFLOW_TOKEN_SECRET' &&
      /at least 16 characters/.test(error.message) &&
      !error.message.includes(short),
  );
  assert.equal(loadConfig({ ORDERFLOW_TOKEN_SECRET: 'x'.repeat(MIN_TOKEN_SECRET_LENGTH) }).tokenSecret?.length, MIN_TOKEN_SECRET_LENGTH);
});
