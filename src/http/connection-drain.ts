import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long closing the HTTP server lets the requests in flight finish before their connections are cut. */
export const HTTP_DRAIN_TIMEOUT_MS = 5_000;

export interface ConnectionDrain {
  /**
   * Ends every connection with no request in flight now — a keep-alive connection between requests, and
   * one that never sent a request (browsers open spare ones) — and every other one once its requests are
   * answered; past `timeoutMs`, the rest are cut.
   */
  start(timeoutMs?: number): void;
  /** Connections still open, and requests in flight on them. */
  open(): { connections: number; requests: number };
}

/**
 * Tracks the server's connections for a graceful close. `server.close()` alone waits for every
 * connection to end, and Node closes only the idle ones that already served a request: a connection
 * that never sent one stays open, and so does one whose response was in flight when closing began, for
 * the whole keep-alive timeout (72 s in Fastify) or as long as its client keeps sending on it.
 */
export function trackConnections(server: Server): ConnectionDrain {
  const requestsOn = new Map<Socket, number>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    requestsOn.set(socket, 0);
    socket.once('close', () => requestsOn.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    requestsOn.set(socket, (requestsOn.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const left = (requestsOn.get(socket) ?? 1) - 1;
      requestsOn.set(socket, left);
      // end(), not destroy(): the response just written is still being flushed.
      if (draining && left === 0) socket.end();
    });
  });
  return {
    start(timeoutMs = HTTP_DRAIN_TIMEOUT_MS) {
      if (draining) return;
      draining = true;
      for (const [socket, requests] of requestsOn) if (requests === 0) socket.destroy();
      setTimeout(() => {
        for (const socket of requestsOn.keys()) socket.destroy();
      }, timeoutMs).unref();
    },
    open() {
      let requests = 0;
      for (const count of requestsOn.values()) requests += count;
      return { connections: requestsOn.size, requests };
    },
  };
}
