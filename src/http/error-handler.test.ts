import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { AppError, ErrorCode, invalidState, isAppError, notFound, rateLimited, statusOf } from '../errors.js';
import { DbError, DbErrorCode } from '../db/errors.js';
import { MqError, MqErrorCode } from '../mq/errors.js';
import { parse } from './validation.js';
import { createHttpServer } from './server.js';

const Body = z.object({
  userId: z.string().min(1),
  items: z.array(z.object({ skuId: z.string(), quantity: z.number().int().positive() })),
});

/**
 * Asserts the exact error shape, and that nothing resembling a stack trace leaked.
 * `details`: undefined = must be absent, `HAS_DETAILS` = present (checked by the caller), else deep-equal.
 */
const HAS_DETAILS = Symbol('has details');
function assertError(res: { statusCode: number; body: string }, status: number, code: string, details?: unknown) {
  assert.equal(res.statusCode, status, res.body);
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), details === undefined ? ['code', 'message'] : ['code', 'details', 'message']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  if (details !== undefined && details !== HAS_DETAILS) assert.deepEqual(body.error.details, details);
  assert.doesNotMatch(res.body, /\bat .+:\d+:\d+|stack/i);
  return body.error as { code: string; message: string; details?: unknown };
}

describe('http error mapping', () => {
  let app: FastifyInstance;
  const logLines: string[] = [];

  before(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    app = await createHttpServer({
      logger,
      adminToken: 'admin-secret',
      tokenSecret: 'token-secret',
      health: async () => ({ ok: true, details: {} }),
      routes: [
        async (api) => {
          api.get('/app-error', async () => {
            throw invalidState('o-1', 'PAID', 'cancel');
          });
          api.post('/orders', async (request) => parse(Body, request.body));
          api.get('/raw-zod', async () => z.number().parse('x'));
          api.post('/echo', async (request) => ({ got: request.body ?? null }));
          api.get('/mq/:code', async (request) => {
            const code = (request.params as { code: MqErrorCode }).code;
            throw new MqError(code, `mq says ${code}`, { details: { topic: 't1' } });
          });
          // Duck-typed like the third-parties module's errors: only `code` (and `details`) matter here.
          api.get('/third-party/:code', async (request) => {
            const code = (request.params as { code: string }).code;
            throw Object.assign(new Error(`third party says ${code}`), { code, details: { field: 'failureRate' } });
          });
          api.get('/db/:retriable', async (request) => {
            const retriable = (request.params as { retriable: string }).retriable === 'yes';
            throw new DbError(DbErrorCode.UNREACHABLE, 'cannot reach mysql://root@db-7:3306', { retriable });
          });
          api.get('/boom', async () => {
            throw new Error('secret database password in /srv/db.ts');
          });
          api.get('/rate', async () => {
            throw rateLimited(1500);
          });
        },
      ],
    });
  });
  after(() => app.close());

  test('an AppError gets its own status, code, message and details', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/app-error' });
    const error = assertError(res, 409, 'INVALID_STATE', { orderId: 'o-1', status: 'PAID', action: 'cancel' });
    assert.equal(error.message, "cannot cancel order 'o-1' in status PAID");
  });

  test('a zod failure from parse() is 400 VALIDATION_FAILED listing every bad field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/orders',
      payload: { userId: '', items: [{ skuId: 's', quantity: 0 }, { skuId: 1 }] },
    });
    const error = assertError(res, 400, 'VALIDATION_FAILED', HAS_DETAILS);
    const issues = (error.details as { issues: { path: string; message: string }[] }).issues;
    assert.deepEqual(
      issues.map((i) => i.path),
      ['userId', 'items.0.quantity', 'items.1.skuId', 'items.1.quantity'],
    );
    for (const issue of issues) assert.ok(issue.message.length > 0);
  });

  test('a ZodError thrown directly is mapped the same way', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/raw-zod' });
    const error = assertError(res, 400, 'VALIDATION_FAILED', HAS_DETAILS);
    assert.deepEqual(
      (error.details as { issues: { path: string }[] }).issues.map((i) => i.path),
      [''],
    );
  });

  test('a body that is not JSON is 400 BAD_JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    assertError(res, 400, 'BAD_JSON');
  });

  test('an empty JSON body is no body, not an error', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { got: null });
  });

  test('a body over 1 MiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const payload = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    const res = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': 'application/json' }, payload });
    assertError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('a body that is not JSON by content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await app.inject({ method: 'POST', url: '/api/echo', headers: { 'content-type': type }, payload: 'a=1' });
      assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('an unknown route is 404 NOT_FOUND in the same shape', async () => {
    assertError(await app.inject({ method: 'GET', url: '/api/nope?x=1' }), 404, 'NOT_FOUND');
    assertError(await app.inject({ method: 'DELETE', url: '/whatever' }), 404, 'NOT_FOUND');
  });

  test('messaging errors map by kind: not found 404, invalid 400, unavailable/timeout 503', async () => {
    const cases: [MqErrorCode, number][] = [
      [MqErrorCode.TOPIC_NOT_FOUND, 404],
      [MqErrorCode.MESSAGE_NOT_FOUND, 404],
      [MqErrorCode.INVALID_ARGUMENT, 400],
      [MqErrorCode.UNAVAILABLE, 503],
      [MqErrorCode.TIMEOUT, 503],
    ];
    for (const [code, status] of cases) {
      const res = await app.inject({ method: 'GET', url: `/api/mq/${code}` });
      const error = status < 500 ? assertError(res, status, code, { topic: 't1' }) : assertError(res, status, code);
      // Broker internals stay in the log on a 5xx.
      if (status >= 500) assert.doesNotMatch(error.message, /mq says/);
      else assert.equal(error.message, `mq says ${code}`);
    }
  });

  test('third-party errors: caller mistakes are 4xx with their message, vendor trouble 503/502 without it', async () => {
    const knob = await app.inject({ method: 'GET', url: '/api/third-party/THIRD_PARTY_INVALID_KNOB' });
    assert.equal(
      assertError(knob, 400, 'THIRD_PARTY_INVALID_KNOB', { field: 'failureRate' }).message,
      'third party says THIRD_PARTY_INVALID_KNOB',
    );
    assertError(await app.inject({ method: 'GET', url: '/api/third-party/THIRD_PARTY_NOT_FOUND' }), 404, 'THIRD_PARTY_NOT_FOUND', {
      field: 'failureRate',
    });
    for (const [code, status] of [
      ['VENDOR_DOWN', 503],
      ['CIRCUIT_OPEN', 503],
      ['VENDOR_BAD_RESPONSE', 502],
    ] as const) {
      const error = assertError(await app.inject({ method: 'GET', url: `/api/third-party/${code}` }), status, code);
      assert.doesNotMatch(error.message, /third party says/);
    }
  });

  test('an unknown error code from elsewhere is still a plain 500', async () => {
    assertError(await app.inject({ method: 'GET', url: '/api/third-party/ECONNREFUSED' }), 500, 'INTERNAL');
  });

  test('any other error of ours is 503 when retriable, else 500, and never shows its message', async () => {
    const retry = assertError(await app.inject({ method: 'GET', url: '/api/db/yes' }), 503, 'SERVICE_UNAVAILABLE');
    assert.doesNotMatch(retry.message, /db-7/);
    const fatal = assertError(await app.inject({ method: 'GET', url: '/api/db/no' }), 500, 'INTERNAL');
    assert.doesNotMatch(fatal.message, /db-7/);
  });

  test('anything else is 500 INTERNAL with a generic message, and the error is logged', async () => {
    logLines.length = 0;
    const res = await app.inject({ method: 'GET', url: '/api/boom' });
    const error = assertError(res, 500, 'INTERNAL');
    assert.doesNotMatch(error.message, /secret|srv/);
    const logged = logLines.map((l) => JSON.parse(l)).find((l) => l.level === 50);
    assert.ok(logged, 'an error-level log line');
    assert.match(logged.err.message, /secret database password/);
    assert.ok(logged.requestId, 'the log line carries the request id');
  });

  test('RATE_LIMITED is 429 with Retry-After', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/rate' });
    assertError(res, 429, 'RATE_LIMITED', { retryAfterMs: 1500 });
    assert.equal(res.headers['retry-after'], '2');
  });
});

describe('errors module', () => {
  test('each code has one status, and the constant is the code itself', () => {
    assert.equal(ErrorCode.ORDER_NOT_FOUND, 'ORDER_NOT_FOUND');
    const expected: Record<string, number> = {
      VALIDATION_FAILED: 400,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      ORDER_NOT_FOUND: 404,
      SKU_NOT_FOUND: 404,
      STOCK_INSUFFICIENT: 409,
      INVALID_STATE: 409,
      SOLD_OUT: 409,
      ALREADY_HAS_TICKET: 409,
      COUPON_INVALID: 409,
      RATE_LIMITED: 429,
      CONFLICT: 409,
      SERVICE_UNAVAILABLE: 503,
      INTERNAL: 500,
    };
    for (const [code, status] of Object.entries(expected)) {
      assert.equal(statusOf(code), status, code);
      assert.equal(new AppError(code as ErrorCode, 'x').status, status, code);
    }
    assert.equal(statusOf('NO_SUCH_CODE'), undefined);
  });

  test('notFound picks the specific code when there is one', () => {
    const order = notFound('order', 'o-9');
    assert.ok(isAppError(order, ErrorCode.ORDER_NOT_FOUND));
    assert.deepEqual(order.details, { orderId: 'o-9' });
    assert.equal(notFound('flash sale', 'fs-1').code, 'FLASH_SALE_NOT_FOUND');
    assert.equal(notFound('dlq message', 'm-1').code, 'NOT_FOUND');
    assert.ok(!isAppError(new Error('x')));
  });

  test('cause and retriable are kept', () => {
    const cause = new Error('root');
    const error = new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'down', { cause, retriable: true });
    assert.equal(error.cause, cause);
    assert.equal(error.retriable, true);
    assert.ok(error instanceof Error);
  });
});
