import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callersOf, documentedRoutes } from '../support/api-callers.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { snapshotRows } from '../support/data-snapshot.js';
import type { Callers, Route } from '../support/hostile-requests.js';
import { sleep, waitUntil } from '../support/wait.js';

/**
 * Every route of the OpenAPI document, called with a valid request by every caller that may not make it: no token,
 * a garbage one, a tampered one (another user's payload, the signature kept), an expired one, the admin token on user
 * routes, a user's token on admin routes, and another user's token on user1's orders and ticket. None gets a 2xx,
 * none a 5xx, every refusal is in the error shape, and no row of any database changes. A route added to the API
 * without a request below fails the test, so the matrix stays complete.
 */
describe('authorization matrix over every documented route', () => {
  let t: TestApp;
  let routes: Route[];
  let callers: Callers;
  /** user1's unpaid order, user1's paid (then shipped) order, user1's flash-sale ticket, the demo sale. */
  const of1 = { unpaid: '', paid: '', ticket: '', sale: '' };

  before(async () => {
    t = await startTestApp({ LOG_LEVEL: 'silent' });
    routes = await documentedRoutes(t.app.url);
    callers = await callersOf(t);
    const placed = await t.call('POST', '/api/orders', {
      as: 'user1',
      body: { userId: 'user1', items: [{ skuId: 'SKU-1002', quantity: 1 }] },
    });
    assert.equal(placed.status, 201);
    of1.unpaid = placed.body.orderId;
    of1.paid = await t.placePaidOrder('user1', 'SKU-1003', 1);
    of1.sale = (await t.call('GET', '/api/flash-sales')).body[0].id;
    const ticket = await t.call('POST', `/api/flash-sales/${of1.sale}/orders`, { as: 'user1', body: { userId: 'user1' } });
    assert.equal(ticket.status, 202);
    of1.ticket = ticket.body.ticketId;
    // What these set off (shipment, SMS, points, the ticket's order, analytics) settles before the matrix runs.
    assert.ok(
      await waitUntil(async () => (await t.call('GET', `/api/orders/${of1.paid}`, { as: 'user1' })).body.status === 'SHIPPED', 15_000, 50),
    );
    assert.ok(
      await waitUntil(
        async () => (await t.call('GET', `/api/flash-sales/tickets/${of1.ticket}`, { as: 'user1' })).body.status === 'ORDERED',
        15_000,
        50,
      ),
    );
    let previous = JSON.stringify(snapshotRows(t.app.config.dataDir));
    assert.ok(
      await waitUntil(
        async () => {
          await sleep(500);
          const now = JSON.stringify(snapshotRows(t.app.config.dataDir));
          const stable = now === previous;
          previous = now;
          return stable;
        },
        20_000,
        0,
      ),
      'the databases settle',
    );
  });
  after(() => t?.stop());

  /** A valid request for each route that is not a public read: the only thing wrong in the matrix is the caller. */
  const requests = (): Record<string, { params?: Record<string, string>; query?: string; body?: unknown }> => ({
    'POST /api/auth/login': { body: { userId: 'user1', password: 'demo' } },
    'POST /api/admin/orders/{id}/shipped': { params: { id: of1.paid }, body: { trackingNo: 'T-MATRIX' } },
    'POST /api/orders': { body: { userId: 'user1', items: [{ skuId: 'SKU-1001', quantity: 1 }] } },
    'GET /api/orders': { query: '?userId=user1' },
    'POST /api/orders/{id}/pay': { params: { id: of1.unpaid }, body: {} },
    // No token: the provider's signature is the authentication, and this request has none (any caller: 401).
    'POST /api/payments/callback': {
      body: {
        id: 'evt_matrix',
        type: 'payment.succeeded',
        created: 1,
        data: { paymentId: 'pi_x', orderId: of1.unpaid, amount: 1, status: 'SUCCEEDED' },
      },
    },
    'POST /api/orders/{id}/cancel': { params: { id: of1.unpaid }, body: {} },
    'POST /api/orders/{id}/refund': { params: { id: of1.paid }, body: { reason: 'matrix' } },
    'GET /api/orders/{id}': { params: { id: of1.unpaid } },
    'GET /api/analytics/summary': {},
    'POST /api/flash-sales/{id}/orders': { params: { id: of1.sale }, body: { userId: 'user1' } },
    'POST /api/admin/flash-sales': {
      body: { skuId: 'SKU-1004', priceCents: 100, stock: 1, endsAt: new Date(Date.now() + 3_600_000).toISOString() },
    },
    'GET /api/flash-sales/tickets/{ticketId}': { params: { ticketId: of1.ticket } },
    'GET /api/admin/third-parties/{name}': { params: { name: 'sms' } },
    'PUT /api/admin/third-parties/{name}': { params: { name: 'sms' }, body: { latencyMs: 777 } },
    'GET /api/admin/payments/reconciliation': {},
    'POST /api/admin/payments/reconciliation': {
      body: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() },
    },
    'GET /api/admin/processes': {},
    'GET /api/admin/queues': {},
    'GET /api/admin/dlq': {},
    'POST /api/admin/dlq/{messageId}/replay': { params: { messageId: 'M-NO-SUCH-LETTER' }, body: {} },
  });

  async function call(route: Route, token: string | undefined) {
    const spec = requests()[`${route.method} ${route.path}`] ?? {};
    const url = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(spec.params?.[name] ?? 'x')) + (spec.query ?? '');
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${t.app.url}${url}`, {
      method: route.method,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
  }

  test('every route not public to read has a valid request in the matrix', () => {
    const missing = routes.filter((r) => !(r.auth === 'none' && r.method === 'GET') && !(`${r.method} ${r.path}` in requests()));
    assert.deepEqual(missing, [], 'a route without a request in this test');
    assert.ok(routes.filter((r) => r.auth !== 'none').length >= 14, `${routes.length} routes`);
  });

  test('no caller gets a 2xx it may not have, nor a 5xx; every refusal is in the error shape; no data changes', async (ctx) => {
    const before = snapshotRows(t.app.config.dataDir);
    const knobsBefore = (await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body;
    const anonymous: [string, string | undefined][] = [
      ['no token', undefined],
      ['a garbage token', 'garbage'],
      ['a tampered token', callers.tampered],
      ['an expired token', callers.expired],
    ];
    const matrix: { route: Route; caller: string; token: string | undefined; allowed: number[] }[] = [];
    for (const route of routes) {
      if (route.auth === 'none') {
        for (const [caller, token] of [...anonymous, ['user2', callers.user2], ['admin', callers.admin]] as [string, string | undefined][])
          matrix.push({ route, caller, token, allowed: [] });
        continue;
      }
      for (const [caller, token] of anonymous) matrix.push({ route, caller, token, allowed: [401] });
      if (route.auth === 'admin') {
        matrix.push({ route, caller: 'a user (user1)', token: callers.user1, allowed: [403] });
        matrix.push({ route, caller: 'another user (user2)', token: callers.user2, allowed: [403] });
      } else {
        matrix.push({ route, caller: 'the admin token', token: callers.admin, allowed: [401] });
        // user1's order, ticket or name in the request: another user is told it does not exist, or that they may not.
        matrix.push({ route, caller: 'another user (user2)', token: callers.user2, allowed: [403, 404] });
      }
    }
    for (const { route, caller, token, allowed } of matrix) {
      const res = await call(route, token);
      const what = `${route.method} ${route.path} by ${caller}: ${res.status} ${JSON.stringify(res.body)}`;
      assert.ok(res.status < 500, what);
      if (allowed.length > 0) {
        assert.ok(allowed.includes(res.status), `${what}; expected ${allowed.join(' or ')}`);
        assert.deepEqual(Object.keys(res.body), ['error'], what);
        assert.equal(typeof res.body.error.code, 'string', what);
        assert.equal(typeof res.body.error.message, 'string', what);
      }
    }
    ctx.diagnostic(`${matrix.length} calls over ${routes.length} routes`);
    assert.deepEqual((await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' })).body, knobsBefore);
    // Public reads and logins change nothing either.
    assert.deepEqual(snapshotRows(t.app.config.dataDir), before);
  });

  test('the rightful callers do get through (the matrix is not passing because a route is broken)', async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const token = route.auth === 'admin' ? callers.admin : route.auth === 'user' ? callers.user1 : undefined;
      const res = await call(route, token);
      assert.equal(res.status, 200, `${route.method} ${route.path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const cancel = routes.find((r) => r.method === 'POST' && r.path === '/api/orders/{id}/cancel');
    assert.ok(cancel);
    assert.equal((await call(cancel, callers.user1)).status, 200, 'user1 cancels their own order');
  });
});
