import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Connections, parseResponse, runCrowd } from '../../bench/flash-sale/crowd.js';

describe('the crowd load generator (raw keep-alive sockets)', () => {
  let server: http.Server;
  let url = '';
  const sockets = new Set<unknown>();

  before(async () => {
    // Answers as Fastify does (content-length), and also chunked and with `connection: close`, so every path is read back.
    server = http.createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const n = Number(req.url?.split('/').pop());
        const echo = JSON.stringify({ n, body, auth: req.headers.authorization });
        if (n % 3 === 1) {
          res.writeHead(201, { 'content-type': 'application/json' }); // no length: chunked
          res.write(echo.slice(0, 5));
          res.end(echo.slice(5));
        } else if (n % 7 === 0) {
          res.writeHead(409, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo), connection: 'close' });
          res.end(echo);
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo) });
          res.end(echo);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('sends every request once, spaced at the rate, and reads each status and body back', async () => {
    const connections = new Connections(10);
    const seen = new Map<number, { status: number; body: string }>();
    const total = 300;
    const result = await runCrowd(connections, {
      url,
      total,
      rate: 1_000,
      request: (i) => ({
        path: `/pay/${i}`,
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: `{"i":${i},"name":"é"}`,
      }),
      onResponse: (i, status, body) => seen.set(i, { status, body }),
    });
    connections.close();
    assert.equal(result.errors, 0);
    assert.equal(seen.size, total);
    for (let i = 0; i < total; i++) {
      const { status, body } = seen.get(i)!;
      assert.equal(status, i % 3 === 1 ? 201 : i % 7 === 0 ? 409 : 200, `status of request ${i}`);
      assert.deepEqual(JSON.parse(body), { n: i, body: `{"i":${i},"name":"é"}`, auth: 'Bearer t' });
      assert.ok(result.latenciesMs[i] > 0);
    }
    // 300 requests due over 0.3 s: the crowd cannot have finished much sooner.
    assert.ok(result.seconds >= 0.29, `took ${result.seconds} s`);
    // `connection: close` made the generator reconnect: more sockets than connections.
    assert.ok(sockets.size > 10, `${sockets.size} sockets`);
  });

  it('counts a request whose connection fails as an error, with its latency', async () => {
    const refused = http.createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const port = (refused.address() as AddressInfo).port;
    await new Promise<void>((r) => refused.close(() => r()));
    const connections = new Connections(2);
    const result = await runCrowd(connections, {
      url: `http://127.0.0.1:${port}`,
      total: 4,
      rate: 1_000,
      request: () => ({ path: '/', headers: {}, body: '' }),
    });
    connections.close();
    assert.equal(result.errors, 4);
  });

  it('parses a response only once it is complete', () => {
    const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404');
    assert.deepEqual(parseResponse(whole), { status: 200, body: 'hello', length: 43, close: false });
    assert.equal(parseResponse(whole.subarray(0, 40)), undefined);
    assert.equal(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Len')), undefined);
    const chunked = Buffer.from('HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    assert.deepEqual(parseResponse(chunked), { status: 201, body: 'abcde', length: chunked.length, close: false });
    assert.equal(parseResponse(chunked.subarray(0, chunked.length - 2)), undefined);
  });
});
