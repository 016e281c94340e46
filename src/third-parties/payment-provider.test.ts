import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVendorClient, isVendorError, startThirdParties, VendorErrorCode } from './index.js';
import type { Refund, ThirdPartiesOptions } from './index.js';

async function paymentProvider(
  t: { after(fn: () => Promise<void>): void },
  payment: NonNullable<ThirdPartiesOptions['knobs']>['payment'] = {},
) {
  const thirdParties = await startThirdParties({ knobs: { payment: { latencyMs: 0, ...payment } } });
  t.after(() => thirdParties.close());
  // These tests are about the provider: a generous timeout and a high threshold keep the client out of the way.
  const client = createVendorClient({
    name: 'payment',
    baseUrl: thirdParties.urls.payment,
    timeoutMs: 10_000,
    breaker: { failureThreshold: 1_000 },
  });
  return { thirdParties, client };
}

const refund = (client: ReturnType<typeof createVendorClient>, key: string, amount = 10) =>
  client.post<Refund>('/refunds', { paymentId: `pay-${key}`, amount }, { idempotencyKey: key });

test('payment: 50 concurrent refunds with the same idempotencyKey execute the refund exactly once', async (t) => {
  const { thirdParties, client } = await paymentProvider(t, { latencyMs: 30, jitterMs: 20 });
  const answers = await Promise.all(Array.from({ length: 50 }, () => refund(client, 'refund-42')));
  assert.equal(new Set(answers.map((a) => a.refundId)).size, 1, 'same key → same refundId');
  assert.ok(answers.every((a) => a.status === 'SUCCEEDED'));
  assert.deepEqual(thirdParties.stats('payment'), {
    requests: 50,
    successes: 50,
    rejected: 0,
    failures: 0,
    inFlight: 0,
    executed: 1,
    callbacks: { events: 0, dropped: 0, duplicated: 0, delivered: 0, failedAttempts: 0, abandoned: 0 },
  });
});

test('payment: under concurrent retries through random failures, each key is refunded exactly once', async (t) => {
  const { thirdParties, client } = await paymentProvider(t, { failureRate: 0.4, jitterMs: 5 });
  const keys = Array.from({ length: 10 }, (_, i) => `refund-${i}`);
  // 5 workers per key, each retrying until it gets an answer: 50 concurrent callers racing the dice.
  const settle = async (key: string): Promise<Refund> => {
    for (;;) {
      try {
        return await refund(client, key);
      } catch (error) {
        if (!isVendorError(error, VendorErrorCode.FAILURE)) throw error;
      }
    }
  };
  const answers = await Promise.all(
    keys.flatMap((key) => Array.from({ length: 5 }, () => settle(key).then((r) => [key, r.refundId] as const))),
  );
  for (const key of keys) {
    assert.equal(new Set(answers.filter(([k]) => k === key).map(([, id]) => id)).size, 1, `one refundId for ${key}`);
  }
  const stats = thirdParties.stats('payment');
  assert.equal(stats.executed, 10);
  assert.ok(stats.failures > 0, 'the dice did fail some requests');
  assert.equal(stats.successes, 50);
});

test('payment: a refund failed by failureRate is not executed and cannot be found', async (t) => {
  const { thirdParties, client } = await paymentProvider(t, { failureRate: 1 });
  await assert.rejects(
    refund(client, 'refund-x'),
    (error: unknown) => isVendorError(error, VendorErrorCode.FAILURE) && error.retriable && error.status === 503,
  );
  thirdParties.setKnobs('payment', { failureRate: 0 });
  await assert.rejects(
    client.get('/refunds/refund-x'),
    (error: unknown) =>
      isVendorError(error, VendorErrorCode.REJECTED) && error.status === 404 && error.vendorCode === 'REFUND_NOT_FOUND' && !error.retriable,
  );
  assert.equal(thirdParties.stats('payment').executed, 0);
});

test('payment: GET /refunds/:idempotencyKey returns the refund made with that key', async (t) => {
  const { client } = await paymentProvider(t);
  const made = await refund(client, 'refund/with spaces', 12.34);
  const found = await client.get<Refund>(`/refunds/${encodeURIComponent('refund/with spaces')}`);
  assert.deepEqual(found, made);
  assert.equal(found.amount, 12.34);
});

test('payment: a refund whose call timed out still happens, and the retry with the same key finds it', async (t) => {
  const { thirdParties, client: patient } = await paymentProvider(t, { latencyMs: 600 });
  const impatient = createVendorClient({ name: 'payment', baseUrl: thirdParties.urls.payment, timeoutMs: 150 });
  await assert.rejects(refund(impatient, 'refund-slow'), (error: unknown) => isVendorError(error, VendorErrorCode.TIMEOUT));
  thirdParties.setKnobs('payment', { latencyMs: 0 });
  // The provider got the request and finishes the work we gave up on.
  const deadline = Date.now() + 3_000;
  while (thirdParties.stats('payment').executed === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const found = await patient.get<Refund>('/refunds/refund-slow');
  const retried = await refund(patient, 'refund-slow');
  assert.equal(retried.refundId, found.refundId);
  assert.equal(thirdParties.stats('payment').executed, 1, 'the money moved once despite the timeout and the retry');
});

test('payment: the same idempotencyKey with another amount is refused 409, not silently answered', async (t) => {
  const { thirdParties, client } = await paymentProvider(t);
  await refund(client, 'refund-7', 10);
  await assert.rejects(
    refund(client, 'refund-7', 11),
    (error: unknown) =>
      isVendorError(error, VendorErrorCode.REJECTED) && error.status === 409 && error.vendorCode === 'IDEMPOTENCY_KEY_REUSED',
  );
  assert.equal(thirdParties.stats('payment').executed, 1);
});
