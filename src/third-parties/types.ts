/**
 * Shared types of the third-party simulators (docs/architecture.md, "Third-party vendors") and of the
 * admin route `GET/PUT /admin/third-parties/:name` that reads and turns their knobs.
 */

/** The systems we do not own: push → SMS vendor, warehouse → logistics company, refunds → payment provider. */
export const THIRD_PARTY_NAMES = ['sms', 'logistics', 'payment'] as const;
export type ThirdPartyName = (typeof THIRD_PARTY_NAMES)[number];

/** Lets an HTTP route narrow its `:name` parameter before calling getKnobs/setKnobs. */
export function isThirdPartyName(value: unknown): value is ThirdPartyName {
  return typeof value === 'string' && (THIRD_PARTY_NAMES as readonly string[]).includes(value);
}

/**
 * How the payment provider's callbacks reach the shop (that vendor only: the others call nobody back). They apply
 * to events from the next completion on, so a test or the dashboard can make callbacks late, doubled, out of order
 * or lost, live — and watch the shop settle each payment once and reconciliation find what was never delivered.
 */
export interface CallbackKnobs {
  /** Every event waits this many ms before its first delivery attempt (0..60000). */
  callbackDelayMs: number;
  /** Each delivery waits a further random 0..this many ms, so a later event (or a copy) can overtake an earlier one. */
  callbackReorderMs: number;
  /** Probability (0..1) that an event is delivered twice: two copies with the same event id. */
  callbackDuplicateRate: number;
  /** Probability (0..1) that an event is never sent: the payment stays captured at the provider, unknown to the shop. */
  callbackDropRate: number;
}

export const CALLBACK_KNOB_NAMES = ['callbackDelayMs', 'callbackReorderMs', 'callbackDuplicateRate', 'callbackDropRate'] as const;

/** Live knobs: they apply to the next request, so a benchmark can make a vendor slow or broken mid-run. */
export interface Knobs extends Partial<CallbackKnobs> {
  /** Base latency of every request, in ms (0..60000). */
  latencyMs: number;
  /** Each request waits latencyMs ± a uniform jitter of up to this many ms (never below 0). */
  jitterMs: number;
  /** Probability (0..1) that a request fails with 503 VENDOR_FAILURE after its latency, with no effect. */
  failureRate: number;
  /** An outage: every request is answered 503 VENDOR_DOWN at once. */
  down: boolean;
}

/** Counters since start. Every request lands in exactly one of successes / rejected / failures once answered. */
export interface ThirdPartyStats {
  requests: number;
  /** 2xx answers. */
  successes: number;
  /** 4xx answers (bad body, unknown route, refund not found, idempotency key reused with another body). */
  rejected: number;
  /** 5xx answers: injected VENDOR_FAILURE and VENDOR_DOWN. */
  failures: number;
  /** Requests received and not answered yet (waiting out their latency). */
  inFlight: number;
  /**
   * Distinct effects carried out: SMS sent, shipments created, refunds executed. Every simulator is
   * idempotent on idempotencyKey, so a replayed key is answered from memory and not counted again.
   */
  executed: number;
  /** The payment provider only: what became of its callback events (CallbackKnobs). */
  callbacks?: CallbackStats;
}

/** Counters of the payment provider's callbacks since start. */
export interface CallbackStats {
  /** Events raised (a payment completed), whether sent or dropped. */
  events: number;
  /** Events never sent (knob callbackDropRate). */
  dropped: number;
  /** Events sent twice (knob callbackDuplicateRate). */
  duplicated: number;
  /** Deliveries the shop answered 2xx (a duplicate counts twice). */
  delivered: number;
  /** Attempts the shop did not answer 2xx (each is retried with back-off, up to the provider's limit). */
  failedAttempts: number;
  /** Deliveries given up after the last attempt: left to the shop's reconciliation. */
  abandoned: number;
}

/** The logger shape orderflow passes around (a pino logger fits). */
export interface ThirdPartyLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLogger: ThirdPartyLogger = { debug() {}, info() {}, warn() {}, error() {} };
