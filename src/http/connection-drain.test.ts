import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { route, routePlugin } from './route.js';
import { createHttpServer } from './server.js';

const SLOW_MS = 400;
/** Far below Fastify's keep-alive timeout (72 s), which would end the connections by itself. */
const CLOSE_LIMIT_MS = 3_000;
const slowRoute = routePlugin([
  route({
    method: 'GET',
    url: '/slow',
    auth: 'none',
    handler: async () => (await new Promise((r) => setTimeout(r, SLOW_MS)), { done: true }),
  }),
  route({ method: 'GET', url: '/fast', auth: 'none', handler: () => ({ done: true }) }),
]);

const get = (agent: http.Agent, port: number, path: string) =>
  new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      })
      .on('error', reject);
  });

test('close: a request in flight is answered, and keep-alive, idle and never-used connections do not hold the server open', async () => {
  const app = await createHttpServer({
    logger: pino({ level: 'silent' }),
    adminToken: 'admin',
    tokenSecret: 'secret',
    routes: [slowRoute],
    health: async () => ({ ok: true, details: {} }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const idleAgent = new http.Agent({ keepAlive: true });
  let spare: net.Socket | undefined;
  try {
    // A keep-alive connection that served a request and waits for the next (idle).
    assert.equal((await get(idleAgent, port, '/api/fast')).status, 200);
    // A connection that never sends a request, as a browser's spare (preconnected) one.
    const neverUsed = net.connect(port, '127.0.0.1');
    spare = neverUsed;
    neverUsed.on('error', () => {});
    await new Promise((resolve) => neverUsed.once('connect', resolve));
    // A request in flight when closing begins, on a keep-alive connection.
    const inFlight = get(agent, port, '/api/slow');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(app.openConnections(), { connections: 3, requests: 1 });

    const started = Date.now();
    const closed = await Promise.race([
      app.close().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), CLOSE_LIMIT_MS)),
    ]);
    const took = Date.now() - started;
    assert.ok(closed, `close() was still waiting after ${CLOSE_LIMIT_MS} ms: a connection held the server open`);

    const answered = await inFlight;
    assert.equal(answered.status, 200, 'the request in flight was answered');
    assert.equal(answered.body, JSON.stringify({ done: true }));
    assert.ok(took >= SLOW_MS - 100, `close took ${took} ms: it did not wait for the request in flight`);
    assert.ok(neverUsed.destroyed || neverUsed.readableEnded, 'the never-used connection was ended');
  } finally {
    agent.destroy();
    idleAgent.destroy();
    spare?.destroy(); // lets a server that failed the test close
  }
});
