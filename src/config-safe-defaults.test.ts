import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  DEFAULT_ADMIN_TOKEN,
  DEFAULT_LOGIN_ADDRESS_RATE,
  DEFAULT_LOGIN_USER_RATE,
  DEMO_PASSWORD,
  loadConfig,
  loadVendorsConfig,
} from './config.js';

const PRODUCTION = { ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token', ORDERFLOW_TOKEN_SECRET: 'a-real-token-secret-0123456789' };
const refused = (variable: string, message: RegExp) => (error: unknown) =>
  error instanceof ConfigError && error.variable === variable && message.test(error.message);

test('config: outside the demo, no demo admin token (unset or set to it), no token secret left to the data dir', () => {
  assert.throws(() => loadConfig({}), refused('ORDERFLOW_ADMIN_TOKEN', /is not set, so the admin API would take the demo token .*--demo/));
  assert.throws(
    () => loadConfig({ ...PRODUCTION, ORDERFLOW_ADMIN_TOKEN: DEFAULT_ADMIN_TOKEN }),
    refused('ORDERFLOW_ADMIN_TOKEN', /is the demo token/),
  );
  assert.throws(
    () => loadConfig({ ORDERFLOW_ADMIN_TOKEN: PRODUCTION.ORDERFLOW_ADMIN_TOKEN }),
    refused('ORDERFLOW_TOKEN_SECRET', /is required outside the demo/),
  );
  const config = loadConfig(PRODUCTION);
  assert.equal(config.demo, false);
  assert.equal(config.seedDemo, false, 'nothing seeded by default outside the demo, even on SQLite');
  assert.equal(config.tokenSecret, PRODUCTION.ORDERFLOW_TOKEN_SECRET);
});

test('config: outside the demo, seeding needs a seed password of its own; the demo password is refused', () => {
  assert.throws(
    () => loadConfig({ ...PRODUCTION, ORDERFLOW_SEED: 'true' }),
    refused('ORDERFLOW_SEED', /would create the demo users user1 … user100 with the password 'demo'.*ORDERFLOW_SEED_PASSWORD/),
  );
  assert.throws(
    () => loadConfig({ ...PRODUCTION, ORDERFLOW_SEED: 'true', ORDERFLOW_SEED_PASSWORD: DEMO_PASSWORD }),
    refused('ORDERFLOW_SEED_PASSWORD', /is the demo password/),
  );
  assert.throws(
    () => loadConfig({ ...PRODUCTION, ORDERFLOW_SEED: 'true', ORDERFLOW_SEED_PASSWORD: 'short' }),
    refused('ORDERFLOW_SEED_PASSWORD', /at least 8 characters/),
  );
  const seeded = loadConfig({ ...PRODUCTION, ORDERFLOW_SEED: 'true', ORDERFLOW_SEED_PASSWORD: 'a-password-of-mine' });
  assert.equal(seeded.seedDemo, true);
  assert.equal(seeded.seedPassword, 'a-password-of-mine');
});

test('config: the refusals never echo the secret they refuse', () => {
  for (const env of [
    { ...PRODUCTION, ORDERFLOW_SEED: 'true', ORDERFLOW_SEED_PASSWORD: 'short77' },
    { ...PRODUCTION, ORDERFLOW_TOKEN_SECRET: 'short-secret' },
  ]) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('short77') && !error.message.includes('short-secret'),
    );
  }
});

test("config: the demo (ORDERFLOW_DEMO or --demo) allows the demo token, the demo users and the data dir's secret", () => {
  for (const config of [loadConfig({ ORDERFLOW_DEMO: 'true' }), loadConfig({}, { demo: 'true' })]) {
    assert.equal(config.demo, true);
    assert.equal(config.adminToken, DEFAULT_ADMIN_TOKEN);
    assert.equal(config.tokenSecret, undefined);
    assert.equal(config.seedDemo, true, 'seeded by default on SQLite');
    assert.equal(config.seedPassword, DEMO_PASSWORD);
  }
  assert.throws(() => loadConfig({ ORDERFLOW_DEMO: 'maybe' }), refused('ORDERFLOW_DEMO', /is not true or false/));
});

test('config: login attempts a minute per user and per address, 0 turns a limit off, a bad value names the variable', () => {
  const demo = { ORDERFLOW_DEMO: 'true' };
  assert.deepEqual(
    [loadConfig(demo).loginUserRate, loadConfig(demo).loginAddressRate],
    [DEFAULT_LOGIN_USER_RATE, DEFAULT_LOGIN_ADDRESS_RATE],
  );
  const off = loadConfig({ ...demo, ORDERFLOW_LOGIN_USER_RATE: '0' }, { 'login-address-rate': '0' });
  assert.deepEqual([off.loginUserRate, off.loginAddressRate], [0, 0]);
  for (const bad of ['-1', '1.5', 'many']) {
    assert.throws(
      () => loadConfig({ ...demo, ORDERFLOW_LOGIN_ADDRESS_RATE: bad }),
      refused('ORDERFLOW_LOGIN_ADDRESS_RATE', new RegExp(`'${bad.replace('.', '\\.')}'`)),
    );
  }
});

test('vendors config: outside the demo, the demo admin token is refused; in it, allowed', () => {
  assert.throws(() => loadVendorsConfig({}), refused('ORDERFLOW_ADMIN_TOKEN', /demo token/));
  assert.throws(() => loadVendorsConfig({ ORDERFLOW_ADMIN_TOKEN: DEFAULT_ADMIN_TOKEN }), refused('ORDERFLOW_ADMIN_TOKEN', /demo token/));
  assert.equal(loadVendorsConfig({ ORDERFLOW_ADMIN_TOKEN: 'a-real-admin-token' }).adminToken, 'a-real-admin-token');
  assert.equal(loadVendorsConfig({}, { demo: 'true' }).adminToken, DEFAULT_ADMIN_TOKEN);
});
