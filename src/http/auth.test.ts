import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { isAppError } from '../errors.js';
import { signToken, verifyToken } from './auth.js';
import { route } from './route.js';
import { createHttpServer } from './server.js';

const SECRET = 'token-secret';
const ADMIN = 'admin-token-123';

describe('tokens', () => {
  test('a signed token round-trips to its user and expiry', () => {
    const now = 1_700_000_000_000;
    const verified = verifyToken(signToken('user7', SECRET, 60, now), SECRET, now + 1000);
    assert.deepEqual(verified, { userId: 'user7', expiresAt: now + 60_000 });
  });

  test('a tampered, foreign or malformed token is refused as UNAUTHORIZED', () => {
    const token = signToken('user7', SECRET);
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'user1', exp: Date.now() + 1e9 })).toString('base64url');
    const flipped = signature!.slice(0, -2) + (signature!.endsWith('AA') ? 'BB' : 'AA');
    for (const bad of [
      `${forged}.${signature}`,
      `${payload}.${flipped}`,
      signToken('user7', 'other-secret'),
      'garbage',
      '',
      `${token}.x`,
    ]) {
      assert.throws(
        () => verifyToken(bad, SECRET),
        (e) => isAppError(e, 'UNAUTHORIZED'),
        bad,
      );
    }
  });

  test('an expired token is refused', () => {
    const token = signToken('user7', SECRET, 60, Date.now() - 61_000);
    assert.throws(
      () => verifyToken(token, SECRET),
      (e) => isAppError(e, 'UNAUTHORIZED') && /expired/.test(e.message),
    );
  });
});

describe('route guards', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await createHttpServer({
      logger: pino({ level: 'silent' }),
      adminToken: ADMIN,
      tokenSecret: SECRET,
      health: async () => ({ ok: true, details: {} }),
      routes: [
        async (api) => {
          api.route(route({ method: 'GET', url: '/me', auth: 'user', handler: ({ userId }) => ({ userId }) }));
          api.route(route({ method: 'GET', url: '/admin/ping', auth: 'admin', handler: () => ({ pong: true }) }));
          api.route(route({ method: 'GET', url: '/open', auth: 'none', handler: ({ userId }) => ({ userId: userId ?? null }) }));
          // A hand-written route uses the decorated guard.
          api.get('/me-too', { preHandler: api.requireUser }, async (request) => ({ userId: request.userId }));
          api.post('/auth/login', async () => ({ token: api.issueToken('user3') }));
        },
      ],
    });
  });
  after(() => app.close());

  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  test('a user route sees the caller from a valid token', async () => {
    const res = await get('/api/me', signToken('user42', SECRET));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { userId: 'user42' });
    assert.deepEqual((await get('/api/me-too', signToken('user43', SECRET))).json(), { userId: 'user43' });
  });

  test('a token issued by the server (login) works on user routes', async () => {
    const { token } = (await app.inject({ method: 'POST', url: '/api/auth/login' })).json();
    assert.deepEqual((await get('/api/me', token)).json(), { userId: 'user3' });
  });

  test('a user route without, with a tampered or with an expired token is 401', async () => {
    const tampered = signToken('user42', SECRET).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const expired = signToken('user42', SECRET, 1, Date.now() - 5000);
    for (const token of [undefined, tampered, expired, ADMIN]) {
      const res = await get('/api/me', token);
      assert.equal(res.statusCode, 401, String(token));
      assert.equal(res.json().error.code, 'UNAUTHORIZED');
    }
    const basic = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: 'Basic dTpw' } });
    assert.equal(basic.statusCode, 401);
  });

  test('a token remembered after its first use still stops working when it expires', async () => {
    const shortLived = signToken('user44', SECRET, 1); // 1 s
    assert.equal((await get('/api/me', shortLived)).statusCode, 200);
    assert.equal((await get('/api/me', shortLived)).statusCode, 200, 'second use: from the cache');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const res = await get('/api/me', shortLived);
    assert.equal(res.statusCode, 401);
    assert.match(res.json().error.message, /expired/);
  });

  test('an admin route: no token 401, a user token 403, the admin token 200', async () => {
    const none = await get('/api/admin/ping');
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'UNAUTHORIZED');
    const user = await get('/api/admin/ping', signToken('user1', SECRET));
    assert.equal(user.statusCode, 403);
    assert.equal(user.json().error.code, 'FORBIDDEN');
    assert.equal((await get('/api/admin/ping', 'wrong-admin-token')).statusCode, 401);
    const admin = await get('/api/admin/ping', ADMIN);
    assert.equal(admin.statusCode, 200);
    assert.deepEqual(admin.json(), { pong: true });
  });

  test("an 'none' route needs no token", async () => {
    assert.deepEqual((await get('/api/open')).json(), { userId: null });
  });

  test('the server refuses to start without an admin token or secret', async () => {
    const base = { logger: pino({ level: 'silent' }), routes: [], health: async () => ({ ok: true, details: {} }) };
    await assert.rejects(createHttpServer({ ...base, adminToken: '', tokenSecret: SECRET }), /adminToken must be a non-empty string/);
    await assert.rejects(createHttpServer({ ...base, adminToken: ADMIN, tokenSecret: ' ' }), /tokenSecret must be a non-empty string/);
  });
});
