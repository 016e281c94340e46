/**
 * A crowd as an open loop: request i is due at start + i / rate, whatever the server's latency (a
 * buyer clicks when the sale opens, not when the previous buyer got an answer), spread over the
 * `Connections`' keep-alive connections in turn (one request at a time on each, as HTTP/1.1 without
 * pipelining). Latency counts from the moment a request was due, so a server that falls behind is
 * charged for the wait (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a quota per second and lets it send the
 * quota back to back at each second's tick, so 200 connections arrive as one burst per second and the
 * latency measured is that burst's queue, not the server's.
 */
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface CrowdRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface CrowdOptions {
  url: string;
  total: number;
  /** Requests per second, evenly spaced. */
  rate: number;
  request(i: number): CrowdRequest;
  onResponse?(i: number, status: number, body: string): void;
}

export interface CrowdResult {
  /** Milliseconds from each request's due time to its complete response. */
  latenciesMs: Float64Array;
  /** From the first due time to the last response. */
  seconds: number;
  /** Epoch ms at which request 0 was due (request i is due `i / rate` s later). */
  startedAt: number;
  errors: number;
  /**
   * The load generator's own event-loop delay during the crowd (ms): a request is sent late by this much
   * when this process stalls (its GC, the machine's other threads), and that lateness counts as latency.
   */
  loadGeneratorDelay: { p99: number; max: number };
}

/**
 * Keep-alive connections, reused by every crowd of a server: raw sockets writing each request's bytes
 * and reading just the status line, the length and the body — as autocannon does. Node's http client
 * cost this process ~0.2 ms of CPU per request, a fifth of a core at 1,000/s on the 2-core machine
 * the server shares: this generator's CPU is taken from the server it measures.
 */
export class Connections {
  readonly #sockets: RawConnection[] = [];
  constructor(readonly count: number) {}

  connection(url: string, i: number): RawConnection {
    const at = i % this.count;
    this.#sockets[at] ??= new RawConnection(new URL(url));
    return this.#sockets[at];
  }

  close(): void {
    for (const socket of this.#sockets) socket?.close();
  }
}

interface Exchange {
  bytes: Buffer;
  done(status: number, body: string): void;
  failed(): void;
}

/** One HTTP/1.1 connection, one request at a time (no pipelining), reconnecting when the server closes it. */
class RawConnection {
  readonly #queue: Exchange[] = []; // the first is on the wire
  #socket: net.Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(readonly url: URL) {}

  send(exchange: Exchange): void {
    this.#queue.push(exchange);
    if (this.#queue.length === 1) this.#write();
  }

  close(): void {
    this.#socket?.destroy();
  }

  #write(): void {
    if (!this.#socket) {
      const socket = net.connect(Number(this.url.port), this.url.hostname);
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.#read(chunk));
      socket.on('error', () => undefined); // 'close' follows: the exchange on the wire fails there
      socket.on('close', () => this.#closed(socket));
      this.#socket = socket;
      this.#buffer = Buffer.alloc(0);
    }
    this.#socket.write(this.#queue[0].bytes);
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const response = parseResponse(this.#buffer);
    if (!response) return;
    this.#buffer = this.#buffer.subarray(response.length);
    const exchange = this.#queue.shift();
    if (response.close) {
      this.#socket?.destroy();
      this.#socket = undefined;
    }
    exchange?.done(response.status, response.body);
    if (this.#queue.length) this.#write();
  }

  #closed(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#queue.shift()?.failed();
    if (this.#queue.length) this.#write();
  }
}

/** A complete response at the start of `buffer` (content-length or chunked), or undefined while more is to come. */
export function parseResponse(buffer: Buffer): { status: number; body: string; length: number; close: boolean } | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buffer.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection:\s*close/i.test(head);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyStart = headEnd + 4;
  if (length) {
    const end = bodyStart + Number(length[1]);
    return buffer.length < end ? undefined : { status, body: buffer.toString('utf8', bodyStart, end), length: end, close };
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) return { status, body: '', length: bodyStart, close };
  const parts: Buffer[] = [];
  for (let at = bodyStart; ; ) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
    const end = lineEnd + 2 + size + 2;
    if (buffer.length < end) return undefined;
    if (size === 0) return { status, body: Buffer.concat(parts).toString('utf8'), length: end, close };
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = end;
  }
}

/** A request's bytes, built once per request object (the flash-sale crowd reuses a few thousand of them). */
const wire = new WeakMap<CrowdRequest, Buffer>();
function bytesOf(request: CrowdRequest, host: string): Buffer {
  let bytes = wire.get(request);
  if (!bytes) {
    const headers = Object.entries(request.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    bytes = Buffer.from(
      `POST ${request.path} HTTP/1.1\r\nhost: ${host}\r\n${headers}content-length: ${Buffer.byteLength(request.body)}\r\n\r\n${request.body}`,
    );
    wire.set(request, bytes);
  }
  return bytes;
}

export function runCrowd(connections: Connections, options: CrowdOptions): Promise<CrowdResult> {
  // Start with this process's garbage collected (the bench runs with --expose-gc): a major GC of what an
  // earlier phase left behind would otherwise stall the sending and be charged to the server.
  (globalThis as { gc?: () => void }).gc?.();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const host = new URL(options.url).host;
  const latencies = new Float64Array(options.total);
  const interval = 1_000 / options.rate;
  let errors = 0;
  let done = 0;
  let next = 0;
  const start = performance.now() + 5;
  const startedAt = Date.now() + 5;
  return new Promise((resolve) => {
    const finish = () => {
      if (++done < options.total) return;
      delay.disable();
      const loadGeneratorDelay = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
      resolve({ latenciesMs: latencies, seconds: (performance.now() - start) / 1_000, startedAt, errors, loadGeneratorDelay });
    };
    const fire = (i: number, due: number) => {
      connections.connection(options.url, i).send({
        bytes: bytesOf(options.request(i), host),
        done: (status, body) => {
          latencies[i] = performance.now() - due;
          options.onResponse?.(i, status, body);
          finish();
        },
        failed: () => {
          latencies[i] = performance.now() - due;
          errors++;
          finish();
        },
      });
    };
    const tick = () => {
      const now = performance.now();
      for (let due = start + next * interval; next < options.total && due <= now; due = start + next * interval) fire(next++, due);
      if (next < options.total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, 5);
  });
}
