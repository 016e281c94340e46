import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyTooLargeError, errorReply, readBody, sendJson, type Reply } from './http-json.js';
import { applyKnobsPatch, parseKnobsPatch } from './knobs.js';
import { matchRoute, type Route } from './routes.js';
import type { CallbackStats, Knobs, ThirdPartyLogger, ThirdPartyName, ThirdPartyStats } from './types.js';

/** What one vendor contributes: its endpoints and how many effects they carried out. */
export interface VendorSpec {
  name: ThirdPartyName;
  routes: readonly Route[];
  executed(): number;
  /** Stops what the vendor does on its own (timers of callbacks not sent yet). */
  close?(): void;
  /** A vendor that calls the shop back (the payment provider): it reads its CallbackKnobs live and counts its events. */
  callbacks?: {
    use(knobs: () => Knobs, random: () => number): void;
    stats(): CallbackStats;
  };
}

export interface SimulatorOptions {
  port: number;
  /** Interface to listen on (default 127.0.0.1, loopback only); `orderflow vendors` may open it to other machines. */
  host?: string;
  /** When set, every request must carry `Authorization: Bearer <apiKey>`, as a real vendor's API would require. */
  apiKey?: string;
  knobs: Knobs;
  /** Source of the jitter and of the failure dice; tests may pass a fixed one. */
  random: () => number;
  logger: ThirdPartyLogger;
}

export interface Simulator {
  readonly url: string;
  getKnobs(): Knobs;
  /** Validates (THIRD_PARTY_INVALID_KNOB naming the field) and applies a patch; returns the new knobs. */
  setKnobs(patch: unknown): Knobs;
  stats(): ThirdPartyStats;
  close(): Promise<void>;
}

/**
 * Starts one vendor, on 127.0.0.1 unless `host` says otherwise (loopback only by default: a simulator
 * inside an orderflow process must never be reachable from outside; `orderflow vendors` may open it).
 *
 * Every request, in order: outage? → 503 VENDOR_DOWN at once (we answer rather than destroy the
 * socket, so the caller sees a clear code and keep-alive connections stay usable); otherwise wait
 * latencyMs ± jitter; outage began meanwhile? → 503 VENDOR_DOWN; failure dice → 503 VENDOR_FAILURE
 * with no effect; then route, parse, validate (4xx) and let the vendor act.
 *
 * A client that gives up (timeout) does not cancel the work: like a real vendor, the effect still
 * happens once the latency has passed. That is exactly why callers retry with the same idempotencyKey.
 */
export async function startSimulator(spec: VendorSpec, options: SimulatorOptions): Promise<Simulator> {
  let knobs: Knobs = { ...options.knobs };
  spec.callbacks?.use(() => knobs, options.random);
  const counters = { requests: 0, successes: 0, rejected: 0, failures: 0, inFlight: 0 };
  const closing = new AbortController();
  const log = options.logger;

  const downReply = () => errorReply(503, 'VENDOR_DOWN', `${spec.name} simulator is down (knob 'down')`);
  const authorized = bearerCheck(options.apiKey);

  const delayMs = (): number => {
    const jitter = (options.random() * 2 - 1) * knobs.jitterMs;
    return Math.max(0, Math.round(knobs.latencyMs + jitter));
  };

  async function answer(req: IncomingMessage): Promise<Reply> {
    if (knobs.down) {
      req.resume(); // drain the unread body so the connection can be reused
      return downReply();
    }
    if (!authorized(req.headers.authorization)) {
      req.resume();
      return errorReply(401, 'UNAUTHORIZED', `${spec.name} simulator: missing or wrong API key (Authorization: Bearer <key>)`);
    }
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return errorReply(413, 'PAYLOAD_TOO_LARGE', error.message);
      throw error;
    }
    await sleep(delayMs(), undefined, { signal: closing.signal });
    if (knobs.down) return downReply();
    // Rolled after the wait, before any effect: a failed request never executes anything.
    if (options.random() < knobs.failureRate) {
      return errorReply(503, 'VENDOR_FAILURE', `${spec.name} simulator failed this request (knob 'failureRate' = ${knobs.failureRate})`);
    }
    const url = new URL(req.url ?? '/', 'http://simulator');
    const match = matchRoute(spec.routes, req.method ?? 'GET', url.pathname);
    if ('reply' in match) return match.reply;
    let body: unknown;
    if (match.route.method === 'POST') {
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        return errorReply(400, 'INVALID_JSON', 'request body is not valid JSON');
      }
    }
    const parsed = match.route.parseBody(body);
    if (!parsed.ok) return parsed.reply;
    return match.route.handle({ body: parsed.value, params: match.params, query: Object.fromEntries(url.searchParams) });
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests += 1;
    counters.inFlight += 1;
    let reply: Reply | undefined;
    try {
      reply = await answer(req);
    } catch (error) {
      // Shutting down, or the client vanished mid-body: nobody to answer, nothing to count.
      if (!closing.signal.aborted && !req.destroyed) {
        log.error({ err: error, thirdParty: spec.name }, 'third-party simulator: handler threw');
        reply = errorReply(500, 'INTERNAL', 'simulator bug: see the log');
      }
    } finally {
      counters.inFlight -= 1;
    }
    if (!reply) {
      res.destroy();
      return;
    }
    if (reply.status < 300) counters.successes += 1;
    else if (reply.status < 500) counters.rejected += 1;
    else counters.failures += 1;
    sendJson(res, reply);
  }

  const server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host ?? '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${urlHost(options.host)}:${(server.address() as AddressInfo).port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    getKnobs: () => ({ ...knobs }),
    setKnobs(patch) {
      knobs = applyKnobsPatch(knobs, parseKnobsPatch(patch, { callsBack: spec.callbacks !== undefined }));
      log.info({ thirdParty: spec.name, knobs }, 'third-party knobs changed');
      return { ...knobs };
    },
    stats: () => ({ ...counters, executed: spec.executed(), ...(spec.callbacks ? { callbacks: spec.callbacks.stats() } : {}) }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort(); // in-flight requests stop waiting out their latency
        spec.close?.();
        server.close(() => resolve());
        server.closeAllConnections(); // idle keep-alive sockets would otherwise hold close() open
      });
      return closed;
    },
  };
}

/** Accepts every request when no key is configured; otherwise only `Bearer <apiKey>`, compared in constant time. */
function bearerCheck(apiKey: string | undefined): (header: string | undefined) => boolean {
  if (apiKey === undefined) return () => true;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(`Bearer ${apiKey}`);
  return (header) => header !== undefined && timingSafeEqual(digest(header.trim()), expected);
}

/** The host to put in the simulator's URL: a wildcard listen address is reached through loopback on this machine. */
export function urlHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
