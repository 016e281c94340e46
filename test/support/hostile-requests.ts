/**
 * fast-check generators of malformed and hostile HTTP requests for every route of the OpenAPI document: wrong types,
 * huge and deeply nested bodies, negative / fractional / huge quantities, unicode and NUL bytes, injection strings,
 * duplicate keys, broken JSON, wrong content types, malformed percent-escapes, abused headers and forged tokens.
 *
 * Every request that could change data is invalid by construction — an id that names nothing, or a body with at
 * least one field no validation accepts — so the only right answers are 4xx; read routes may also answer 200.
 */
import fc from 'fast-check';

export interface HostileRequest {
  method: string;
  /** Already escaped as it goes on the request line (it may hold malformed escapes on purpose). */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Sent as raw bytes on a socket of its own: what a well-behaved client library would refuse to send. */
  raw?: string;
}

export interface Route {
  method: string;
  /** OpenAPI form: `/api/orders/{id}/pay`. */
  path: string;
  auth: 'none' | 'user' | 'admin';
}

export interface Callers {
  user1: string;
  user2: string;
  admin: string;
  expired: string;
  tampered: string;
}

/** Strings an attacker tries: injections, traversal, control and unicode trickery. None is a valid id of anything. */
const NASTY = [
  "' OR '1'='1",
  '1; DROP TABLE orders;--',
  '" OR ""="',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  `${'../'.repeat(4)}etc/passwd`,
  '..\\..\\windows\\win.ini',
  'SKU-1001\u0000',
  '\u0000',
  'user1\u0000admin',
  '\r\nSet-Cookie: a=b',
  '\u202eevil',
  '\ud800',
  '😀'.repeat(30),
  'Ｕｓｅｒ１',
  'user1 ',
  ' ',
  '',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%00',
  '%ZZ',
  'a'.repeat(65),
  'a'.repeat(10_000),
  'SKU-1001',
  'user1',
  'user2',
  'orderflow-admin',
];

const nastyString = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 8 }));

/** Numbers no quantity, price or stock accepts, and values of the wrong type. */
const badNumber = fc.oneof(
  fc.constantFrom(-1, 0, 0.5, 1.5, -0.0001, 1e308, -1e308, 9_007_199_254_740_993, 1_000_001, 10_000_001, 2 ** 31, -(2 ** 31)),
  fc.constantFrom('1', '', 'NaN', null, true, [], {}, [1]),
  fc.double({ noDefaultInfinity: true, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.integer({ max: -1 }),
);

/** Any JSON value, hostile strings inside, sometimes deep. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    badNumber,
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(nastyString, fc.constantFrom('userId', 'items', 'skuId', 'quantity', 'password', 'trackingNo', 'stock', '__proto__')),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** A body that is not JSON at all, or JSON no parser should like. */
const brokenBody = fc.oneof(
  fc.constantFrom(
    '{',
    '{"userId":',
    '{"a":1,}',
    "{'userId':'user1'}",
    'NaN',
    '[1,2',
    '{"a":undefined}',
    '\u0000',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1_000, max: 50_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  // Over the 1 MiB body limit: 413.
  fc.constant(`{"userId":"${'x'.repeat(1_100_000)}"}`),
);

/** A valid template with duplicate keys: JSON.parse keeps the last, and so must every check. */
const duplicateKeys = (first: string, second: string) =>
  `{"userId":"${first}","userId":"${second}","items":[{"skuId":"SKU-1001","quantity":0}],"items":[{"skuId":"SKU-1001","quantity":-5}]}`;

/** Percent-encodes any string, a lone surrogate too (as U+FFFD, which is what its UTF-8 bytes would be). */
const escape = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** A value that is never a valid id, for path parameters: hostile strings, malformed escapes, long ones (414). */
const badId = fc.oneof(
  nastyString.filter((s) => s !== '' && s !== 'sms' && s !== 'logistics' && s !== 'payment').map(escape),
  fc.constantFrom(
    '%ZZ',
    '%',
    '%C0%AF',
    '%E0%80%80',
    '%FF',
    '..%2F..%2F',
    '%2e%2e',
    'a%00b',
    'O-NO-SUCH-ORDER',
    'FS-NOPE',
    'x'.repeat(101),
    'y'.repeat(3_000),
  ),
);

/** Per route: bodies with at least one field no validation accepts (never a request that could change data). */
function invalidBodyFor(route: Route): fc.Arbitrary<unknown> {
  const key = `${route.method} ${route.path}`;
  switch (key) {
    case 'POST /api/auth/login':
      return fc.record({
        userId: fc.oneof(nastyString, badNumber),
        password: fc.oneof(
          nastyString.filter((s) => s !== 'demo'),
          badNumber,
        ),
      });
    case 'POST /api/orders':
      return fc.record({
        userId: fc.oneof(nastyString, badNumber),
        items: fc.oneof(
          fc.array(fc.record({ skuId: fc.oneof(fc.constantFrom('SKU-1001', 'SKU-2001'), nastyString), quantity: badNumber }), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.constantFrom([], null, 'SKU-1001', {}),
          fc.array(fc.record({ skuId: fc.constant('SKU-1001'), quantity: fc.constant(1) }), { minLength: 51, maxLength: 60 }),
        ),
        couponId: fc.option(fc.oneof(nastyString, badNumber), { nil: undefined }),
      });
    case 'POST /api/admin/flash-sales':
      return fc.oneof(
        fc.record({
          skuId: fc.constant('SKU-1001'),
          priceCents: badNumber,
          stock: fc.constant(1),
          endsAt: fc.constant('2099-01-01T00:00:00Z'),
        }),
        fc.record({
          skuId: fc.constant('SKU-1001'),
          priceCents: fc.constant(100),
          stock: badNumber,
          endsAt: fc.constant('2099-01-01T00:00:00Z'),
        }),
        fc.record({
          skuId: nastyString.filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)),
          priceCents: fc.constant(100),
          stock: fc.constant(1),
          endsAt: fc.constant('2099-01-01T00:00:00Z'),
        }),
        fc.record({
          skuId: fc.constant('SKU-1001'),
          priceCents: fc.constant(100),
          stock: fc.constant(1),
          endsAt: fc.oneof(nastyString, badNumber, fc.constant('2000-01-01T00:00:00Z')),
        }),
        fc.record({
          skuId: fc.constantFrom('NOPE', 'SKU-9999'),
          priceCents: fc.constant(100),
          stock: fc.constant(1),
          endsAt: fc.constant('2099-01-01T00:00:00Z'),
        }),
      );
    case 'PUT /api/admin/third-parties/{name}':
      return fc
        .oneof(
          fc.record({ latencyMs: badNumber }),
          fc.record({ failureRate: fc.oneof(badNumber, fc.constantFrom(1.5, -0.1, 2)) }),
          fc.record({ down: fc.oneof(nastyString, badNumber) }),
          fc.record({ jitterMs: badNumber, latencyMs: fc.constant(0) }),
        )
        .filter((body) => !isValidKnobPatch(body));
    case 'POST /api/flash-sales/{id}/orders':
      return fc.record({ userId: fc.oneof(nastyString, badNumber) });
    case 'POST /api/admin/orders/{id}/shipped':
      return fc.record({ trackingNo: fc.oneof(nastyString, badNumber) });
    default:
      return anyJson;
  }
}

/**
 * What the knobs route documents as valid, written out here rather than taken from its schema so that the
 * test does not trust the code it tests: milliseconds are integers in 0..60000, a failure rate any number in
 * 0..1 (5e-324 too), down a boolean. A patch where every field is valid would rightly be accepted.
 */
function isValidKnobPatch(body: Record<string, unknown>): boolean {
  const millis = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 60_000;
  return Object.entries(body).every(([key, v]) =>
    key === 'failureRate' ? typeof v === 'number' && v >= 0 && v <= 1 : key === 'down' ? typeof v === 'boolean' : millis(v),
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'APPLICATION/JSON',
  'application/json, text/plain',
  '*/*',
];

function authorization(callers: Callers): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      `Bearer ${callers.user1}`,
      `Bearer ${callers.user2}`,
      `Bearer ${callers.admin}`,
      `bearer ${callers.admin}`,
      `Bearer ${callers.expired}`,
      `Bearer ${callers.tampered}`,
    ),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Basic dXNlcjE6ZGVtbw==',
      `Bearer ${callers.admin} extra`,
      `Bearer ${callers.user1}.x`,
      'Bearer a.b',
      'Bearer a.b.c',
      `Bearer ${'A'.repeat(8_000)}`,
      'Bearer \u00ff\u00fe',
    ),
    nastyString.map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, '')}`),
  );
}

/** Extra headers: long ones (under the 16 KB limit), an odd request id, headers about the body that lie. */
const extraHeaders = fc.record(
  {
    'x-request-id': fc.oneof(
      fc.constantFrom('a'.repeat(4_000), '../../x', '<script>', '\u00ff'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    ),
    'x-forwarded-for': fc.constantFrom('127.0.0.1', '1.2.3.4, 5.6.7.8', 'not-an-ip'),
    accept: fc.constantFrom('text/html', 'application/xml', '*/*', ''),
    'x-padding': fc.constant('p'.repeat(12_000)),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0, *;q=0'),
  },
  { requiredKeys: [] },
);

/** Bytes a client library would not send: handled by Node's parser, answered in the error shape. */
const rawRequests = fc.constantFrom(
  'GET /api/skus HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello',
  'POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n',
  'GET /api/skus HTTP/1.1\r\nHost: x\r\nX-Bad\u0001Header: 1\r\nConnection: close\r\n\r\n',
  `GET /api/skus HTTP/1.1\r\nHost: x\r\nX-Huge: ${'h'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
  'GET /api/skus HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
  'GARBAGE\r\n\r\n',
  'GET /api/orders/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  `POST /api/orders/${'z'.repeat(500)}/pay HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"userId":',
  'GET /api/skus HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n',
);

function pathOf(route: Route, params: Record<string, string>): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? 'x');
}

/** One hostile request against one of the routes (or beside them: unknown paths, methods, raw bytes). */
export function hostileRequest(routes: Route[], callers: Callers): fc.Arbitrary<HostileRequest> {
  const againstRoute = fc
    .record({
      route: fc.constantFrom(...routes),
      id: badId,
      query: fc.option(
        fc.dictionary(
          fc.constantFrom('limit', 'status', 'cursor', 'userId', 'group', '__proto__', 'x'),
          fc.oneof(nastyString, fc.constantFrom('-1', '0', '1e9', '1.5', 'PAID', 'user2')),
        ),
        { nil: undefined },
      ),
      body: fc.oneof(
        { weight: 4, arbitrary: fc.constant('template' as const) },
        { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
        { weight: 2, arbitrary: brokenBody },
        {
          weight: 1,
          arbitrary: fc.tuple(nastyString, nastyString).map(([a, b]) => duplicateKeys(a.replace(/["\\]/g, ''), b.replace(/["\\]/g, ''))),
        },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      authorization: authorization(callers),
      extra: extraHeaders,
    })
    .chain((r) => invalidBodyFor(r.route).map((template) => ({ ...r, template })))
    .map(({ route, id, query, body, template, contentType, authorization, extra }): HostileRequest => {
      const name = route.path.includes('{name}') ? (id.length % 2 === 0 ? 'sms' : id) : id;
      let path = pathOf(route, { id, ticketId: id, messageId: id, name });
      if (query)
        path += `?${Object.entries(query)
          .map(([k, v]) => `${escape(k)}=${escape(v)}`)
          .join('&')}`;
      // An empty knob patch is a valid no-op (200): with a vendor's real name, only a patch with a bad knob is sent.
      const knobsOfRealVendor = route.path.includes('{name}') && name === 'sms' && route.method === 'PUT';
      const text = body === 'template' || knobsOfRealVendor ? JSON.stringify(template) : body;
      const headers: Record<string, string> = { ...(extra as Record<string, string>) };
      if (contentType !== undefined && text !== undefined) headers['content-type'] = contentType;
      if (authorization !== undefined) headers.authorization = authorization;
      return { method: route.method, path, headers, body: route.method === 'GET' && body !== 'template' ? undefined : text };
    });

  const beside = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      path: fc.oneof(
        fc.constantFrom(
          '/api',
          '/api/',
          '/api/orders/',
          '/api//orders',
          '/api/orders/%2e%2e/%2e%2e/token-secret',
          '/%2e%2e/%2e%2e/etc/passwd',
          '/..%2f..%2fpackage.json',
          '/.hidden',
          '/api/admin',
          '/api/admin/',
          '/docs/../api/skus',
        ),
        badId.map((id) => `/api/${id}`),
        badId.map((id) => `/api/admin/${id}`),
      ),
      authorization: authorization(callers),
    })
    .map(
      ({ method, path, authorization }): HostileRequest => ({
        method,
        path,
        headers: authorization === undefined ? {} : { authorization },
      }),
    );

  return fc.oneof(
    { weight: 16, arbitrary: againstRoute },
    { weight: 2, arbitrary: beside },
    {
      weight: 1,
      arbitrary: rawRequests.map((raw): HostileRequest => ({ method: raw.split(' ')[0], path: raw.split(' ')[1] ?? '', headers: {}, raw })),
    },
  );
}
