import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { route, routePlugin } from './route.js';
import { createHttpServer, type HttpServerOptions } from './server.js';

const PlaceOrderBody = z.object({
  userId: z.string().min(1),
  items: z.array(z.object({ skuId: z.string(), quantity: z.number().int().positive() })).min(1),
  couponId: z.string().optional(),
});
const OrderParams = z.object({ id: z.string() });
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

const orderRoutes = routePlugin([
  route({
    method: 'POST',
    url: '/orders',
    auth: 'none',
    status: 201,
    summary: 'Place an order',
    tags: ['orders'],
    schema: { body: PlaceOrderBody, response: { 201: z.object({ orderId: z.string(), status: z.literal('WAIT_PAY') }) } },
    handler: ({ body }) => ({ orderId: `o-${body.items.length}`, status: 'WAIT_PAY' as const, extra: 'not stripped' }),
  }),
  route({
    method: 'GET',
    url: '/orders/:id',
    auth: 'none',
    schema: { params: OrderParams, querystring: ListQuery },
    handler: ({ params, query }) => ({ id: params.id, limit: query.limit }),
  }),
  route({
    method: 'POST',
    url: '/orders/:id/pay',
    auth: 'user',
    schema: { params: OrderParams },
    handler: ({ params, userId }) => ({ orderId: params.id, status: 'PAID', by: userId }),
  }),
]);

function options(overrides: Partial<HttpServerOptions> = {}): HttpServerOptions {
  return {
    logger: pino({ level: 'silent' }),
    adminToken: 'admin',
    tokenSecret: 'secret',
    routes: [orderRoutes],
    health: async () => ({ ok: true, details: { order: 'up', mq: { engine: 'embedded' } } }),
    ...overrides,
  };
}

describe('http server', () => {
  let app: FastifyInstance;
  let healthy = true;
  const registry = new Registry();
  let dashboardDir: string;

  before(async () => {
    dashboardDir = await mkdtemp(join(tmpdir(), 'orderflow-dashboard-'));
    await writeFile(join(dashboardDir, 'index.html'), '<!doctype html><title>orderflow</title>');
    await writeFile(join(dashboardDir, 'app.js'), 'console.log(1)');
    app = await createHttpServer(
      options({
        metrics: registry,
        dashboardDir,
        health: async () => ({ ok: healthy, details: { order: healthy ? 'up' : 'down', status: 'ignored' } }),
      }),
    );
  });
  after(async () => {
    await app.close();
    await rm(dashboardDir, { recursive: true, force: true });
  });

  test('route(): validates with zod, answers with its status, and does not strip the response', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/orders', payload: { userId: 'u1', items: [{ skuId: 's1', quantity: 2 }] } });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { orderId: 'o-1', status: 'WAIT_PAY', extra: 'not stripped' });
    const bad = await app.inject({ method: 'POST', url: '/api/orders', payload: { userId: 'u1', items: [] } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(
      bad.json().error.details.issues.map((i: { path: string }) => i.path),
      ['body.items'],
    );
    const missing = await app.inject({ method: 'POST', url: '/api/orders' });
    assert.equal(missing.statusCode, 400);
  });

  test('route(): params and querystring are parsed (with coercion and defaults)', async () => {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/orders/o-7?limit=5' })).json(), { id: 'o-7', limit: 5 });
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/orders/o-7' })).json(), { id: 'o-7', limit: 20 });
    const bad = await app.inject({ method: 'GET', url: '/api/orders/o-7?limit=500' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details.issues[0].path, 'query.limit');
  });

  test('health: 200 UP with details when healthy, 503 DOWN when not', async () => {
    healthy = true;
    const up = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(up.statusCode, 200);
    assert.deepEqual(up.json(), { status: 'UP', order: 'up' });
    healthy = false;
    const down = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { status: 'DOWN', order: 'down' });
    healthy = true;
  });

  test('health: a check that throws is DOWN, without the reason', async () => {
    const broken = await createHttpServer(options({ health: async () => Promise.reject(new Error('db password wrong')) }));
    try {
      const res = await broken.inject({ method: 'GET', url: '/api/health' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'DOWN', error: 'health check failed' });
    } finally {
      await broken.close();
    }
  });

  test('metrics: Prometheus text with process metrics and the request histogram by route pattern', async () => {
    const countLine = /http_request_duration_seconds_count\{method="GET",route="\/api\/orders\/:id",status_code="200"\} (\d+)/;
    const count = async () => Number(countLine.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0);
    const before = await count();
    await app.inject({ method: 'GET', url: '/api/orders/o-1' });
    await app.inject({ method: 'GET', url: '/api/orders/o-2' });
    assert.equal(await count(), before + 2);
    for (const url of ['/metrics', '/api/metrics']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^text\/plain/);
      assert.match(res.body, /process_cpu_user_seconds_total/);
      assert.match(res.body, /http_request_duration_seconds_bucket\{.*route="\/api\/orders\/:id".*status_code="200".*\} /);
      assert.doesNotMatch(res.body, /o-1/);
    }
  });

  test('metrics: a registry shared by a second server is reused, not registered twice', async () => {
    const second = await createHttpServer(options({ metrics: registry }));
    await second.close();
  });

  test('docs: /docs/json is an OpenAPI 3 document listing route() routes with their schemas and auth', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.match(doc.openapi, /^3\./);
    const post = doc.paths['/api/orders'].post;
    assert.equal(post.summary, 'Place an order');
    const body = post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['userId', 'items']);
    assert.equal(body.properties.items.items.properties.quantity.type, 'integer');
    assert.ok(post.responses['201']);
    const get = doc.paths['/api/orders/{id}'].get;
    assert.deepEqual(get.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`).sort(), ['path:id', 'query:limit']);
    assert.ok(doc.components.securitySchemes.bearerAuth);
    assert.ok(doc.components.securitySchemes.adminToken);
    assert.deepEqual(doc.paths['/api/orders/{id}/pay'].post.security, [{ bearerAuth: [] }]);
    assert.equal(post.security, undefined);
    assert.equal(doc.paths['/metrics'], undefined, 'operational routes are hidden');
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    assert.ok(ui.statusCode === 200 || ui.statusCode === 302, String(ui.statusCode));
  });

  test('dashboard: / serves index.html, files beside it are served, nothing outside', async () => {
    const index = await app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.headers['content-type'] as string, /^text\/html/);
    assert.match(index.body, /<title>orderflow<\/title>/);
    assert.match((await app.inject({ method: 'GET', url: '/app.js' })).headers['content-type'] as string, /javascript/);
    for (const url of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/missing.css', '/api/nope']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'NOT_FOUND');
    }
  });

  test('every response carries the request id, and an incoming x-request-id is kept', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'req-abc' } });
    assert.equal(res.headers['x-request-id'], 'req-abc');
    assert.match((await app.inject({ method: 'GET', url: '/api/health' })).headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
  });
});
