import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { isMqError, MqErrorCode } from '../errors.js';
import { pingProxy } from './proxy-ping.js';

const endpoints = process.env.ROCKETMQ_ENDPOINTS;

/** A port that refuses connections: one that was just listened on and closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a Proxy that refuses connections is UNAVAILABLE, at once', async () => {
  const started = Date.now();
  await assert.rejects(pingProxy(`127.0.0.1:${await closedPort()}`, 2_000), (error) => isMqError(error, MqErrorCode.UNAVAILABLE));
  assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
});

test('a Proxy that accepts the connection and never answers is UNAVAILABLE after the timeout', async () => {
  const sockets = new Set<net.Socket>();
  const mute = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    await assert.rejects(pingProxy(`127.0.0.1:${(mute.address() as net.AddressInfo).port}`, 500), (error) =>
      isMqError(error, MqErrorCode.UNAVAILABLE),
    );
    const took = Date.now() - started;
    assert.ok(took >= 450 && took < 2_000, `took ${took} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => mute.close(resolve));
  }
});

test('one endpoint of several answering is enough', { skip: endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set' }, async () => {
  await pingProxy(`127.0.0.1:${await closedPort()};${endpoints}`, 2_000);
});
