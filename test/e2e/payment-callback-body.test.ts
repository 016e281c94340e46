import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp, unlessDeployment } from '../support/app.js';

/**
 * The callback route reads its body itself (the signature is over the raw bytes), so it must leave the connection as
 * Fastify would: a body it refuses — not JSON (415), too large (413) — must not wedge the client's kept-alive connection.
 * Before, a 1 MB body that was not JSON was answered 415 and the next request on that connection waited for the
 * server's keep-alive timeout (72 s).
 */
let t: TestApp;
before(async () => {
  t = await startTestApp({ LOG_LEVEL: 'silent' });
});
after(async () => t?.stop());

function send(agent: http.Agent, method: string, path: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(t.app.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const within = <T>(ms: number, promise: Promise<T>) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

const big = `{"id":"${'x'.repeat(1_100_000)}"}`;
for (const [name, contentType, body, status] of [
  ['a large body that is not JSON', 'application/xml', big, 415],
  ['a large text body', 'text/plain', big, 415],
  ['a JSON body over the callback limit', 'application/json', big, 413],
  ['a JSON body just over 16 KB', 'application/json', `{"id":"${'y'.repeat(17_000)}"}`, 413],
] as const) {
  test(`${name}: ${status} in the error shape, and the same kept-alive connection answers the next request at once`, {
    skip: unlessDeployment(),
  }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await within(5_000, send(agent, 'POST', '/api/payments/callback', { 'content-type': contentType }, body));
      assert.equal(refused.status, status, refused.body);
      assert.equal(typeof JSON.parse(refused.body).error.code, 'string');
      const next = await within(5_000, send(agent, 'GET', '/api/skus', {}));
      assert.equal(next.status, 200);
    } finally {
      agent.destroy();
    }
  });
}
