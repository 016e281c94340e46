import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DEFAULT_VENDORS_PORT, loadConfig as loadAnyConfig, loadVendorsConfig as loadAnyVendorsConfig } from './config.js';

/** These tests are about one setting each: they run in the demo, where the others may be left unset (config-safe-defaults.test.ts covers production). */
const loadConfig = (env: Record<string, string | undefined> = {}, flags: Record<string, string> = {}) =>
  loadAnyConfig({ ORDERFLOW_DEMO: 'true', ...env }, flags);
const loadVendorsConfig = (env: Record<string, string | undefined> = {}, flags: Record<string, string> = {}) =>
  loadAnyVendorsConfig({ ORDERFLOW_DEMO: 'true', ...env }, flags);

const URLS = {
  ORDERFLOW_SMS_URL: 'http://127.0.0.1:3901',
  ORDERFLOW_LOGISTICS_URL: 'http://127.0.0.1:3902',
  ORDERFLOW_PAYMENT_URL: 'http://127.0.0.1:3903/',
};

/** A ConfigError naming `variable`, whose one-line message starts with it and contains `words`. */
function refused(variable: string, words: RegExp) {
  return (error: unknown) =>
    error instanceof ConfigError &&
    error.variable === variable &&
    error.message.startsWith(`${variable}: `) &&
    !error.message.includes('\n') &&
    words.test(error.message);
}

test('config: no vendor URL means simulators in this process (config.vendors undefined)', () => {
  assert.equal(loadConfig({}).vendors, undefined);
});

test('config: all three vendor URLs (env or flags) are used, trailing slash dropped; ORDERFLOW_VENDORS_URL and API keys come along', () => {
  const config = loadConfig({ ...URLS, ORDERFLOW_VENDORS_URL: 'http://127.0.0.1:3900', ORDERFLOW_SMS_API_KEY: 'sk_live_123' });
  assert.deepEqual(config.vendors, {
    urls: { sms: 'http://127.0.0.1:3901', logistics: 'http://127.0.0.1:3902', payment: 'http://127.0.0.1:3903' },
    apiKeys: { sms: 'sk_live_123' },
    adminUrl: 'http://127.0.0.1:3900',
  });
  const flagged = loadConfig(
    {},
    { 'sms-url': 'http://a:1', 'logistics-url': 'http://b:2', 'payment-url': 'https://c', 'vendors-url': 'http://d:3' },
  );
  assert.deepEqual(flagged.vendors?.urls, { sms: 'http://a:1', logistics: 'http://b:2', payment: 'https://c' });
  assert.equal(flagged.vendors?.adminUrl, 'http://d:3');
  assert.equal(loadConfig(URLS).vendors?.adminUrl, undefined, 'real vendors: no knobs endpoint');
});

test('config: a malformed vendor URL is refused naming its variable', () => {
  for (const bad of ['127.0.0.1:3901', 'ftp://x', 'http://', 'http://host:99999', 'http://a b']) {
    assert.throws(() => loadConfig({ ...URLS, ORDERFLOW_LOGISTICS_URL: bad }), refused('ORDERFLOW_LOGISTICS_URL', /is not a URL/), bad);
  }
  assert.throws(() => loadConfig({ ...URLS, ORDERFLOW_VENDORS_URL: 'localhost:3900' }), refused('ORDERFLOW_VENDORS_URL', /is not a URL/));
});

test('config: some vendor URLs but not all is refused, naming the first missing one and the ones given', () => {
  assert.throws(
    () => loadConfig({ ORDERFLOW_SMS_URL: URLS.ORDERFLOW_SMS_URL }),
    refused('ORDERFLOW_LOGISTICS_URL', /is not set while ORDERFLOW_SMS_URL is: set all three vendor URLs/),
  );
  assert.throws(
    () => loadConfig({ ORDERFLOW_SMS_URL: URLS.ORDERFLOW_SMS_URL, ORDERFLOW_LOGISTICS_URL: URLS.ORDERFLOW_LOGISTICS_URL }),
    refused('ORDERFLOW_PAYMENT_URL', /while ORDERFLOW_SMS_URL and ORDERFLOW_LOGISTICS_URL are/),
  );
});

test('config: ORDERFLOW_VENDORS_URL or an API key without the vendor URLs is refused, not ignored', () => {
  assert.throws(
    () => loadConfig({ ORDERFLOW_VENDORS_URL: 'http://127.0.0.1:3900' }),
    refused('ORDERFLOW_VENDORS_URL', /ORDERFLOW_SMS_URL.*are not/),
  );
  assert.throws(
    () => loadConfig({ ORDERFLOW_PAYMENT_API_KEY: 'pk_123' }),
    refused('ORDERFLOW_PAYMENT_API_KEY', /ORDERFLOW_PAYMENT_URL is not/),
  );
});

test('config: an API key that cannot go in a header is refused without echoing it', () => {
  assert.throws(
    () => loadConfig({ ...URLS, ORDERFLOW_SMS_API_KEY: 'two words' }),
    (error: unknown) => refused('ORDERFLOW_SMS_API_KEY', /printable ASCII/)(error) && !(error as Error).message.includes('two words'),
  );
});

test('vendors config: port 3900 by default, --port / ORDERFLOW_VENDORS_PORT (0 = free ports), and a bad one names the variable', () => {
  const config = loadVendorsConfig({});
  assert.equal(config.port, DEFAULT_VENDORS_PORT);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.adminTokenIsDefault, true);
  assert.equal(loadVendorsConfig({ ORDERFLOW_VENDORS_PORT: '4000' }).port, 4000);
  assert.equal(loadVendorsConfig({ ORDERFLOW_VENDORS_PORT: '4000' }, { port: '0' }).port, 0, 'the flag wins');
  assert.equal(loadVendorsConfig({ PORT: '1234' }).port, DEFAULT_VENDORS_PORT, "orderflow's own PORT is not the vendors'");
  for (const bad of ['65533', '-1', 'x', '1.5']) {
    assert.throws(() => loadVendorsConfig({ ORDERFLOW_VENDORS_PORT: bad }), refused('ORDERFLOW_VENDORS_PORT', /the next three/), bad);
  }
  assert.throws(() => loadVendorsConfig({}, { 'sms-url': 'http://x' }), refused('--sms-url', /unknown option/));
  assert.deepEqual(loadVendorsConfig({ ORDERFLOW_SMS_API_KEY: 'k1', ORDERFLOW_PAYMENT_API_KEY: 'k3' }).apiKeys, {
    sms: 'k1',
    payment: 'k3',
  });
});
