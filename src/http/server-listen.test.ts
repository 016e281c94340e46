import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { z } from 'zod';
import { route, routePlugin } from './route.js';
import { createHttpServer } from './server.js';

const orderRoutes = routePlugin([
  route({
    method: 'POST',
    url: '/orders',
    auth: 'none',
    status: 201,
    schema: { body: z.object({ userId: z.string(), items: z.array(z.object({ skuId: z.string(), quantity: z.number() })) }) },
    handler: ({ body }) => ({ orderId: `o-${body.items.length}`, status: 'WAIT_PAY' }),
  }),
]);

describe('http server over a real socket', () => {
  test('listens on port 0 and answers fetch, errors included', async () => {
    const lines: string[] = [];
    const app = await createHttpServer({
      logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      adminToken: 'admin',
      tokenSecret: 'secret',
      routes: [orderRoutes],
      health: async () => ({ ok: true, details: {} }),
    });
    try {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const ok = await fetch(`${address}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'u1', items: [{ skuId: 's1', quantity: 1 }] }),
      });
      assert.equal(ok.status, 201);
      assert.equal(((await ok.json()) as { orderId: string }).orderId, 'o-1');
      const bad = await fetch(`${address}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(((await bad.json()) as { error: object }).error).sort(), ['code', 'message']);
      assert.equal((await fetch(`${address}/api/health`)).status, 200);
      // Fastify's request logging at info, tagged with the request id.
      const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
      assert.ok(completed.length >= 3 && completed.every((l) => l.level === 30 && typeof l.requestId === 'string'));
    } finally {
      await app.close();
    }
  });
});
