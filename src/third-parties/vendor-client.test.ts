import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { createVendorClient, isThirdPartyError, isVendorError, startThirdParties, VendorErrorCode } from './index.js';
import type { ThirdPartiesOptions, VendorClient, VendorErrorCode as Code } from './index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function smsVendor(t: { after(fn: () => Promise<void>): void }, knobs: NonNullable<ThirdPartiesOptions['knobs']>['sms'] = {}) {
  const thirdParties = await startThirdParties({ knobs: { sms: { latencyMs: 0, ...knobs } } });
  t.after(() => thirdParties.close());
  return thirdParties;
}

let keys = 0;
const send = (client: VendorClient) =>
  client.post<{ smsId: string }>('/sms', { to: '+1', text: 'hi' }, { idempotencyKey: `sms-${(keys += 1)}` });

/** Resolves to the VendorError code the call failed with, and how long it took. */
async function failure(act: () => Promise<unknown>): Promise<{ code: Code; ms: number; retriable: boolean }> {
  const started = performance.now(); // before the call: fetch's first use loads undici synchronously
  try {
    await act();
  } catch (error) {
    assert.ok(isVendorError(error), `expected a VendorError, got ${String(error)}`);
    return { code: error.code, ms: performance.now() - started, retriable: error.retriable };
  }
  assert.fail('expected the call to fail');
}

test('client: a timeout fails VENDOR_TIMEOUT well before the vendor would have answered', async (t) => {
  const { urls } = await smsVendor(t, { latencyMs: 5_000 });
  const client = createVendorClient({ name: 'sms', baseUrl: urls.sms, timeoutMs: 100 });
  const { code, ms, retriable } = await failure(() => send(client));
  assert.equal(code, VendorErrorCode.TIMEOUT);
  assert.ok(retriable);
  assert.ok(ms >= 95 && ms < 2_500, `took ${ms.toFixed(0)} ms, the vendor's latency is 5000`);
});

test('client: a vendor that is down fails fast with VENDOR_DOWN, retriable', async (t) => {
  const thirdParties = await smsVendor(t, { latencyMs: 5_000, down: true });
  const client = createVendorClient({ name: 'sms', baseUrl: thirdParties.urls.sms, timeoutMs: 5_000 });
  const { code, ms, retriable } = await failure(() => send(client));
  assert.deepEqual({ code, retriable }, { code: VendorErrorCode.DOWN, retriable: true });
  assert.ok(ms < 2_500, `took ${ms.toFixed(0)} ms, the latency is 5000`);
});

test('client: a vendor nobody listens for fails VENDOR_DOWN (connection refused)', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve)); // the port is free again: nothing answers there
  const client = createVendorClient({ name: 'sms', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
  const { code, retriable } = await failure(() => send(client));
  assert.deepEqual({ code, retriable }, { code: VendorErrorCode.DOWN, retriable: true });
});

test('client: a 2xx that is not JSON fails VENDOR_BAD_RESPONSE', async (t) => {
  const server = createServer((_req, res) => res.end('<html>proxy says hi</html>')).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // the client's keep-alive socket would hold close() open
    return closed;
  });
  const client = createVendorClient({
    name: 'sms',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeoutMs: 5_000,
  });
  assert.equal((await failure(() => client.get('/anything'))).code, VendorErrorCode.BAD_RESPONSE);
});

test('client: a 4xx is VENDOR_REJECTED, not retriable, and does not count towards opening the circuit', async (t) => {
  const thirdParties = await smsVendor(t);
  const client = createVendorClient({ name: 'sms', baseUrl: thirdParties.urls.sms, timeoutMs: 5_000, breaker: { failureThreshold: 2 } });
  for (let i = 0; i < 5; i += 1) {
    const rejected = await failure(() => client.post('/sms', { to: '+1' }, { idempotencyKey: `bad-${i}` }));
    assert.deepEqual({ code: rejected.code, retriable: rejected.retriable }, { code: VendorErrorCode.REJECTED, retriable: false });
  }
  assert.equal(client.state(), 'CLOSED');
  assert.equal(thirdParties.stats('sms').rejected, 5);
});

test('client: the breaker opens after N consecutive failures and stops calling the vendor', async (t) => {
  const thirdParties = await smsVendor(t, { failureRate: 1 });
  const client = createVendorClient({
    name: 'sms',
    baseUrl: thirdParties.urls.sms,
    timeoutMs: 5_000,
    breaker: { failureThreshold: 3, openMs: 10_000 },
  });
  for (let i = 0; i < 3; i += 1) assert.equal((await failure(() => send(client))).code, VendorErrorCode.FAILURE);
  assert.equal(client.state(), 'OPEN');
  for (let i = 0; i < 20; i += 1) {
    const fast = await failure(() => send(client));
    assert.deepEqual({ code: fast.code, retriable: fast.retriable }, { code: VendorErrorCode.CIRCUIT_OPEN, retriable: true });
    assert.ok(fast.ms < 100, `an open circuit answered in ${fast.ms.toFixed(1)} ms`);
  }
  assert.equal(thirdParties.stats('sms').requests, 3, 'the vendor saw no call while the circuit was open');
});

test('client: a success resets the count, so only consecutive failures open the circuit', async (t) => {
  const thirdParties = await smsVendor(t);
  const client = createVendorClient({ name: 'sms', baseUrl: thirdParties.urls.sms, timeoutMs: 5_000, breaker: { failureThreshold: 3 } });
  for (let round = 0; round < 3; round += 1) {
    thirdParties.setKnobs('sms', { failureRate: 1 });
    await failure(() => send(client));
    await failure(() => send(client));
    thirdParties.setKnobs('sms', { failureRate: 0 });
    await send(client);
  }
  assert.equal(client.state(), 'CLOSED');
});

test('client: after openMs the breaker half-opens, lets ONE trial through, and closes when it succeeds', async (t) => {
  const thirdParties = await smsVendor(t, { failureRate: 1 });
  const client = createVendorClient({
    name: 'sms',
    baseUrl: thirdParties.urls.sms,
    timeoutMs: 5_000,
    breaker: { failureThreshold: 2, openMs: 200 },
  });
  await failure(() => send(client));
  await failure(() => send(client));
  assert.equal(client.state(), 'OPEN');
  thirdParties.setKnobs('sms', { failureRate: 0, latencyMs: 100 }); // the vendor recovers, still slowish
  await sleep(220);
  assert.equal(client.state(), 'HALF_OPEN');
  const calls = await Promise.allSettled(Array.from({ length: 5 }, () => send(client)));
  assert.equal(calls.filter((c) => c.status === 'fulfilled').length, 1, 'only the trial call went through');
  for (const c of calls) if (c.status === 'rejected') assert.ok(isVendorError(c.reason, VendorErrorCode.CIRCUIT_OPEN));
  assert.equal(thirdParties.stats('sms').requests, 3);
  assert.equal(client.state(), 'CLOSED');
  await send(client);
  assert.equal(thirdParties.stats('sms').successes, 2);
});

test('client: a failed trial call reopens the circuit for another openMs', async (t) => {
  const thirdParties = await smsVendor(t, { failureRate: 1 });
  const client = createVendorClient({
    name: 'sms',
    baseUrl: thirdParties.urls.sms,
    timeoutMs: 5_000,
    breaker: { failureThreshold: 1, openMs: 300 },
  });
  await failure(() => send(client));
  await sleep(320);
  assert.equal((await failure(() => send(client))).code, VendorErrorCode.FAILURE, 'the trial reached the vendor and failed');
  assert.equal(client.state(), 'OPEN');
  assert.equal((await failure(() => send(client))).code, VendorErrorCode.CIRCUIT_OPEN);
  assert.equal(thirdParties.stats('sms').requests, 2);
});

test('client: timeouts count as failures too, so a slow vendor trips the breaker', async (t) => {
  const thirdParties = await smsVendor(t, { latencyMs: 1_000 });
  const client = createVendorClient({ name: 'sms', baseUrl: thirdParties.urls.sms, timeoutMs: 50, breaker: { failureThreshold: 2 } });
  await Promise.all([failure(() => send(client)), failure(() => send(client))]);
  assert.equal(client.state(), 'OPEN');
});

test('client: bad options are refused naming the option', () => {
  const base = { name: 'sms', baseUrl: 'http://127.0.0.1:1', timeoutMs: 100 };
  const refused = (field: string) => (error: unknown) => isThirdPartyError(error) && error.field === field;
  assert.throws(() => createVendorClient({ ...base, timeoutMs: 0 }), refused('timeoutMs'));
  assert.throws(() => createVendorClient({ ...base, baseUrl: 'ftp://x' }), refused('baseUrl'));
  assert.throws(() => createVendorClient({ ...base, breaker: { failureThreshold: 0 } }), refused('breaker.failureThreshold'));
  const client = createVendorClient(base);
  assert.throws(() => client.post('/sms', {}, { idempotencyKey: '' }), refused('idempotencyKey'));
});
