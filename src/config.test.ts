import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DEFAULT_FLASH_SALE_USER_RATE, loadConfig as loadAnyConfig } from './config.js';

/** These tests are about one setting each: they run in the demo, where the others may be left unset (config-safe-defaults.test.ts covers production). */
const loadConfig = (env: Record<string, string | undefined> = {}, flags: Record<string, string> = {}) =>
  loadAnyConfig({ ORDERFLOW_DEMO: 'true', ...env }, flags);

test('config: ORDERFLOW_FLASH_SALE_USER_RATE defaults, accepts 0 (off) to 10,000, and a bad value names the variable', () => {
  assert.equal(loadConfig({}).flashSaleUserRate, DEFAULT_FLASH_SALE_USER_RATE);
  assert.equal(loadConfig({ ORDERFLOW_FLASH_SALE_USER_RATE: '0' }).flashSaleUserRate, 0);
  assert.equal(loadConfig({}, { 'flash-sale-user-rate': '20' }).flashSaleUserRate, 20, 'the --flash-sale-user-rate flag');
  for (const bad of ['-1', '2.5', 'fast', '10001']) {
    assert.throws(
      () => loadConfig({ ORDERFLOW_FLASH_SALE_USER_RATE: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'ORDERFLOW_FLASH_SALE_USER_RATE' &&
        error.message.startsWith(`ORDERFLOW_FLASH_SALE_USER_RATE: '${bad}'`),
      bad,
    );
  }
});
