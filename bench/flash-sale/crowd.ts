/**
 * A crowd as an open loop: request i is due at start + i / rate, whatever the server's latency (a
 * buyer clicks when the sale opens, not when the previous buyer got an answer), spread over
 * `connections` keep-alive connections in turn (one request at a time on each, as HTTP/1.1 without
 * pipelining). Latency counts from the moment a request was due, so a server that falls behind is
 * charged for the wait (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a quota per second and lets it send the
 * quota back to back at each second's tick, so 200 connections arrive as one burst per second and the
 * latency measured is that burst's queue, not the server's.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface CrowdRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface CrowdOptions {
  url: string;
  connections: number;
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

/** Keep-alive connections, one agent (one socket) each, reused by every crowd of a server. */
export class Connections {
  readonly agents: http.Agent[];
  constructor(count: number) {
    this.agents = Array.from({ length: count }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  }
  close(): void {
    for (const agent of this.agents) agent.destroy();
  }
}

export function runCrowd(connections: Connections, options: CrowdOptions): Promise<CrowdResult> {
  // Start with this process's garbage collected (the bench runs with --expose-gc): a major GC of what an
  // earlier phase left behind would otherwise stall the sending and be charged to the server.
  (globalThis as { gc?: () => void }).gc?.();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const { hostname, port } = new URL(options.url);
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
      const { path, headers, body } = options.request(i);
      const req = http.request(
        { agent: connections.agents[i % connections.agents.length], host: hostname, port, method: 'POST', path, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            latencies[i] = performance.now() - due;
            options.onResponse?.(i, res.statusCode ?? 0, Buffer.concat(chunks).toString());
            finish();
          });
        },
      );
      req.on('error', () => {
        latencies[i] = performance.now() - due;
        errors++;
        finish();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      for (let due = start + next * interval; next < options.total && due <= now; due = start + next * interval) fire(next++, due);
      if (next < options.total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, 5);
  });
}
