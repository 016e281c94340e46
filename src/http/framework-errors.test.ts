import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { route, routePlugin } from './route.js';
import { createHttpServer } from './server.js';

/** Sends raw bytes (what fetch would refuse to send) and returns the whole answer, status line to body. */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

function parse(answer: string): { status: number; headers: string; body: any } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: JSON.parse(rest.join('\r\n\r\n')) };
}

describe('requests refused before any route answer in the API error shape, echoing nothing', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    app = await createHttpServer({
      logger: pino({ level: 'silent' }),
      adminToken: 'admin-token',
      tokenSecret: 'a-secret-of-sixteen-characters',
      health: async () => ({ ok: true, details: {} }),
      routes: [
        routePlugin([
          route({
            method: 'POST',
            url: '/orders/:id/pay',
            auth: 'none',
            schema: { params: z.object({ id: z.string() }) },
            handler: ({ params }) => ({ id: params.id }),
          }),
          route({
            method: 'GET',
            url: '/orders/:id',
            auth: 'none',
            schema: { params: z.object({ id: z.string() }) },
            handler: ({ params }) => ({ id: params.id }),
          }),
        ]),
      ],
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => app.close());

  const get = (path: string, extraHeaders = '') =>
    rawRequest(url, `GET ${path} HTTP/1.1\r\nHost: x\r\n${extraHeaders}Connection: close\r\n\r\n`);

  test('a malformed percent-escape in the path: 400 BAD_REQUEST', async () => {
    const res = parse(await get('/api/orders/%ZZ'));
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
    assert.doesNotMatch(res.body.error.message, /%ZZ/);
  });

  test('a path parameter over 100 characters: 414 URI_TOO_LONG, without the URL', async () => {
    const long = 'x'.repeat(5_000);
    const answer = await rawRequest(
      url,
      `POST /api/orders/${long}/pay HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    const res = parse(answer);
    assert.equal(res.status, 414);
    assert.equal(res.body.error.code, 'URI_TOO_LONG');
    assert.equal(typeof res.body.error.message, 'string');
    assert.ok(!answer.includes('xxxxxxxxxx'), 'the URL is not echoed');
    // 100 characters is still an id.
    assert.equal(
      parse(
        await rawRequest(
          url,
          `POST /api/orders/${'x'.repeat(100)}/pay HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        ),
      ).status,
      200,
    );
  });

  test('an unknown long path is a 404 whose message is cut short', async () => {
    const answer = await get(`/api/nothing/${'y'.repeat(3_000)}`);
    const res = parse(answer);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    assert.ok(res.body.error.message.length < 200, res.body.error.message);
  });

  test('headers over 16 KB: 431 HEADERS_TOO_LARGE, in the error shape', async () => {
    const answer = await get('/api/orders/o-1', `X-Big: ${'a'.repeat(20_000)}\r\n`);
    const res = parse(answer);
    assert.equal(res.status, 431);
    assert.match(res.headers, /content-type: application\/json/i);
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.equal(res.body.error.code, 'HEADERS_TOO_LARGE');
    assert.ok(!answer.includes('aaaaaaaaaa'), 'the headers are not echoed');
  });

  test('bytes that are not HTTP: 400 BAD_REQUEST, in the error shape', async () => {
    const res = parse(await rawRequest(url, 'NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
  });

  test('the server keeps serving afterwards', async () => {
    const res = await fetch(`${url}/api/orders/o-1`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 'o-1' });
  });
});
