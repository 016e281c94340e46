import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHttpServer } from './server.js';

let healthy = true;
let app: FastifyInstance;
before(async () => {
  app = await createHttpServer({
    logger: pino({ level: 'silent' }),
    adminToken: 'admin-token',
    tokenSecret: 'a-token-secret-of-enough-length',
    routes: [],
    health: async () => ({
      ok: healthy,
      details: { mq: 'embedded', dependencies: { mq: { status: healthy ? 'UP' : 'DOWN', latencyMs: 0.1 } } },
    }),
  });
});
after(() => app.close());

const get = async (url: string) => {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, cache: res.headers['cache-control'] };
};

test('ready and /api/health: 200 UP with each dependency while all answer, 503 DOWN when one does not', async () => {
  healthy = true;
  for (const url of ['/api/health', '/api/health/ready']) {
    const up = await get(url);
    assert.equal(up.status, 200, url);
    assert.deepEqual(up.body, { status: 'UP', mq: 'embedded', dependencies: { mq: { status: 'UP', latencyMs: 0.1 } } });
    assert.equal(up.cache, 'no-store');
  }
  healthy = false;
  for (const url of ['/api/health', '/api/health/ready']) {
    const down = await get(url);
    assert.equal(down.status, 503, url);
    assert.equal(down.body.status, 'DOWN');
    assert.deepEqual(down.body.dependencies, { mq: { status: 'DOWN', latencyMs: 0.1 } });
  }
});

test('live: 200 whatever the dependencies say (a database outage must not get the process restarted)', async () => {
  healthy = false;
  const live = await get('/api/health/live');
  assert.equal(live.status, 200);
  assert.deepEqual(live.body, { status: 'UP' });
  assert.equal(live.cache, 'no-store');
});

test('the OpenAPI document describes the three routes and their answers', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, { get?: { responses?: Record<string, unknown> } }>;
  };
  for (const path of ['/api/health', '/api/health/ready'])
    assert.deepEqual(Object.keys(doc.paths[path]?.get?.responses ?? {}).sort(), ['200', '503'], path);
  assert.deepEqual(Object.keys(doc.paths['/api/health/live']?.get?.responses ?? {}), ['200']);
});
