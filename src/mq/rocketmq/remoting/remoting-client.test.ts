/** The client against a fake remoting server on a random port: correlation, timeouts, drops, refusals. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isMqError, MqErrorCode } from '../../errors.js';
import { decodeCommand, encodeCommand, FLAG_RESPONSE, FrameDecoder, type RemotingCommand } from './codec.js';
import { RemotingError } from './errors.js';
import { RemotingClient } from './remoting-client.js';

/** Behaviour per request code: answer (with optional delay), stay silent, or drop the connection. */
const SILENT = 1;
const DROP = 2;

let server: net.Server;
let address: string;
const sockets = new Set<net.Socket>();
let connections = 0;

function reply(socket: net.Socket, req: RemotingCommand, delayMs: number, pieces = 1): void {
  const frame = encodeCommand({
    code: 0,
    opaque: req.opaque,
    flag: FLAG_RESPONSE,
    extFields: { echo: req.extFields.n ?? '' },
    body: req.body,
  });
  setTimeout(() => {
    // write in several pieces to exercise reassembly on the client side
    const step = Math.ceil(frame.length / pieces);
    for (let i = 0; i < frame.length; i += step) socket.write(frame.subarray(i, i + step));
  }, delayMs);
}

before(async () => {
  server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const req = decodeCommand(frame);
        if (req.code === SILENT) continue;
        if (req.code === DROP) {
          socket.destroy();
          continue;
        }
        reply(socket, req, Number(req.extFields.delay ?? 0), Number(req.extFields.pieces ?? 1));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('RemotingClient', () => {
  test('correlates answers by opaque even when they come back out of order', async () => {
    const client = new RemotingClient(address, { timeoutMs: 2000 });
    try {
      const calls = [300, 0, 150, 50].map((delay, n) =>
        client.invoke({ code: 10, extFields: { n, delay, pieces: 3 }, body: Buffer.from(`b${n}`) }),
      );
      const answers = await Promise.all(calls);
      assert.deepEqual(
        answers.map((a) => [a.extFields.echo, a.body?.toString()]),
        [
          ['0', 'b0'],
          ['1', 'b1'],
          ['2', 'b2'],
          ['3', 'b3'],
        ],
      );
    } finally {
      await client.close();
    }
  });

  test('a call without answer fails with a typed timeout; a late answer to it is ignored', async () => {
    const client = new RemotingClient(address, { timeoutMs: 2000 });
    try {
      const started = Date.now();
      await assert.rejects(client.invoke({ code: SILENT }, 150), (e: unknown) => {
        assert.ok(e instanceof RemotingError);
        assert.equal(e.kind, 'timeout');
        assert.ok(isMqError(e, MqErrorCode.TIMEOUT) && e.retriable);
        assert.match(e.message, new RegExp(`${address} timed out after 150 ms`));
        return true;
      });
      assert.ok(Date.now() - started < 1000);
      await assert.rejects(client.invoke({ code: 10, extFields: { delay: 300 } }, 100), /timed out/);
      await new Promise((r) => setTimeout(r, 300)); // the late answer arrives: nothing must break
      assert.equal((await client.invoke({ code: 10, extFields: { n: 'after' } })).extFields.echo, 'after');
    } finally {
      await client.close();
    }
  });

  test('a dropped connection fails the calls in flight; the next call reconnects', async () => {
    const client = new RemotingClient(address, { timeoutMs: 2000 });
    try {
      await client.invoke({ code: 10 });
      const before = connections;
      const inFlight = client.invoke({ code: 10, extFields: { delay: 500 } });
      const dropped = client.invoke({ code: DROP });
      await Promise.all(
        [inFlight, dropped].map((call) =>
          assert.rejects(call, (e: unknown) => e instanceof RemotingError && e.kind === 'disconnected' && e.retriable),
        ),
      );
      assert.equal((await client.invoke({ code: 10, extFields: { n: 'again' } })).extFields.echo, 'again');
      assert.equal(connections, before + 1, 'exactly one new connection');
    } finally {
      await client.close();
    }
  });

  test('connection refused names the address and what to do', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve)); // now nothing listens on that port
    const client = new RemotingClient(`127.0.0.1:${port}`, { timeoutMs: 2000 });
    await assert.rejects(client.invoke({ code: 10 }), (e: unknown) => {
      assert.ok(e instanceof RemotingError && e.kind === 'connect');
      assert.ok(isMqError(e, MqErrorCode.UNAVAILABLE));
      assert.match(e.message, new RegExp(`connection refused by 127.0.0.1:${port}.*RocketMQ running`));
      return true;
    });
    await client.close();
  });

  test('close() fails calls in flight and refuses new ones', async () => {
    const client = new RemotingClient(address, { timeoutMs: 2000 });
    const pending = assert.rejects(client.invoke({ code: SILENT }), (e: unknown) => e instanceof RemotingError && e.kind === 'closed');
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    await pending;
    await assert.rejects(client.invoke({ code: 10 }), (e: unknown) => isMqError(e, MqErrorCode.CLOSED));
    assert.throws(() => new RemotingClient('no-port'), /host:port/);
  });
});
