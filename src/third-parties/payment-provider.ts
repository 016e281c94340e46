import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errorReply } from './http-json.js';
import { IdempotencyStore } from './idempotency-store.js';
import { signPaymentCallback, PAYMENT_SIGNATURE_HEADER } from './payment-signature.js';
import { defineRoute } from './routes.js';
import type { VendorSpec } from './simulator.js';
import type { CallbackKnobs, CallbackStats } from './types.js';
import { businessIdSchema, idempotencyKeySchema, idempotentReply } from './vendor-common.js';
import { ledgerOrderId, VendorLedger } from './vendor-ledger.js';

export interface Refund {
  refundId: string;
  paymentId: string;
  amount: number;
  status: 'SUCCEEDED';
  createdAt: string;
}

/** A payment intent: created by the shop, completed by the shopper's bank (or at once for a frictionless card). */
export interface PaymentIntent {
  paymentId: string;
  orderId: string;
  amount: number;
  status: 'REQUIRES_CONFIRMATION' | 'SUCCEEDED' | 'FAILED';
  /** The shop's idempotency key of the payment, echoed back (as providers echo a payment's metadata). */
  reference: string;
  createdAt: string;
  updatedAt: string;
}

/** What the provider posts to the shop's callback URL, signed (payment-signature.ts). `id` is unique per event. */
export interface PaymentEvent {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  /** Unix seconds. */
  created: number;
  data: {
    paymentId: string;
    orderId: string;
    amount: number;
    status: PaymentIntent['status'];
    /** The shop's idempotency key of the payment: lets the shop adopt a payment it created but could not record. */
    reference?: string;
  };
}

export interface PaymentProviderOptions {
  /** The shared secret callbacks are signed with (ORDERFLOW_PAYMENT_CALLBACK_SECRET). */
  callbackSecret: string;
  /** Attempts per callback before giving up (the shop's reconciliation catches what is lost). */
  callbackAttempts?: number;
  /** Where each refund paid is recorded by order (default: a ledger of its own). */
  ledger?: VendorLedger;
}

const refundBody = z.object({
  paymentId: z.string().min(1).max(200),
  amount: z.number().positive().finite(),
  idempotencyKey: idempotencyKeySchema,
  /** The caller's reference (the order refunded): kept in the provider's ledger. */
  orderId: businessIdSchema.optional(),
});

const paymentBody = z.object({
  orderId: z.string().min(1).max(200),
  amount: z.number().min(0).finite(),
  callbackUrl: z.url({ protocol: /^https?$/ }).max(2_000),
  /** true: a frictionless card, completed in this answer; false: the shopper's bank step (`POST /payments/:id/confirm`) completes it. */
  confirm: z.boolean().default(true),
  idempotencyKey: idempotencyKeySchema,
});

const confirmBody = z.object({ outcome: z.enum(['succeeded', 'failed']) });

/** First retry after this, doubling: 100 ms, 200 ms, 400 ms, … up to CALLBACK_RETRY_MAX_MS between attempts. */
const CALLBACK_RETRY_BASE_MS = 100;
const CALLBACK_RETRY_MAX_MS = 5_000;
/**
 * Attempts per event by default: about 80 s of retries, longer than a shop's process takes to restart after a crash
 * or a database to come back, so a payment captured while the shop could not record it still reaches it (real
 * providers retry for days; reconciliation against the provider's ledger is the last resort).
 */
const DEFAULT_CALLBACK_ATTEMPTS = 20;

/**
 * The payment provider: payment intents whose completion is called back to the shop, signed, at least
 * once; and the refunds the refund worker asks for. Both are idempotent on idempotencyKey — same key →
 * same intent or refund, the money moved once — and can be looked up, so a caller whose call timed out
 * learns what happened before retrying.
 *
 * `POST /payments {orderId, amount, callbackUrl, confirm?, idempotencyKey}` → `PaymentIntent`;
 * `POST /payments/:paymentId/confirm {outcome}` (the shopper's bank step) → `PaymentIntent`;
 * `GET /payments/:paymentId`; `GET /payments?from=&to=` (the ledger: intents created in [from, to), epoch ms);
 * `POST /refunds {paymentId, amount, idempotencyKey, orderId?}` → `Refund`; `GET /refunds/:idempotencyKey` → `Refund` or 404.
 */
export function paymentProvider(options: PaymentProviderOptions = { callbackSecret: randomUUID() }): VendorSpec {
  // Unbounded: this is the provider's ledger, and GET must find every refund and payment ever made.
  const refunds = new IdempotencyStore<Refund>();
  const intents = new IdempotencyStore<PaymentIntent>();
  const byId = new Map<string, { intent: PaymentIntent; callbackUrl: string; created: number }>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const attempts = options.callbackAttempts ?? DEFAULT_CALLBACK_ATTEMPTS;
  const ledger = options.ledger ?? new VendorLedger();
  // The simulator hands over its live knobs and dice (CallbackKnobs); alone (a unit test), callbacks go out plainly.
  let knobs: () => Partial<CallbackKnobs> = () => ({});
  let random: () => number = Math.random;
  const counted: CallbackStats = { events: 0, dropped: 0, duplicated: 0, delivered: 0, failedAttempts: 0, abandoned: 0 };

  const later = (ms: number, run: () => void) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  /** Delivers one event at least once: retried with back-off on anything but a 2xx, up to `attempts` times. */
  function deliver(callbackUrl: string, event: PaymentEvent, attempt = 1): void {
    const body = JSON.stringify(event);
    const signature = signPaymentCallback(options.callbackSecret, body, Date.now() / 1000);
    void fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PAYMENT_SIGNATURE_HEADER]: signature },
      body,
      signal: AbortSignal.timeout(5_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        return res.ok;
      })
      .catch(() => false) // unreachable, refused, timed out: retried like a non-2xx answer
      .then((delivered) => {
        if (delivered) {
          counted.delivered += 1;
          return;
        }
        counted.failedAttempts += 1;
        if (attempt >= attempts) {
          counted.abandoned += 1;
          return;
        }
        const wait = Math.min(CALLBACK_RETRY_BASE_MS * 2 ** (attempt - 1), CALLBACK_RETRY_MAX_MS);
        later(wait, () => deliver(callbackUrl, event, attempt + 1));
      });
  }

  function complete(paymentId: string, outcome: 'succeeded' | 'failed'): void {
    const entry = byId.get(paymentId);
    if (!entry) return;
    entry.intent.status = outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED';
    entry.intent.updatedAt = new Date().toISOString();
    const { intent } = entry;
    const event: PaymentEvent = {
      id: `evt_${randomUUID()}`,
      type: outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed',
      created: Math.floor(Date.now() / 1000),
      data: {
        paymentId: intent.paymentId,
        orderId: intent.orderId,
        amount: intent.amount,
        status: intent.status,
        reference: intent.reference,
      },
    };
    send(entry.callbackUrl, event);
  }

  /** Raises an event as the knobs say: dropped, or sent once or twice, each copy after the delay and its own random share of the reordering window. */
  function send(callbackUrl: string, event: PaymentEvent): void {
    const now = knobs();
    counted.events += 1;
    if (random() < (now.callbackDropRate ?? 0)) {
      counted.dropped += 1;
      return;
    }
    const copies = random() < (now.callbackDuplicateRate ?? 0) ? 2 : 1;
    if (copies === 2) counted.duplicated += 1;
    for (let copy = 0; copy < copies; copy++) {
      const wait = (now.callbackDelayMs ?? 0) + Math.round(random() * (now.callbackReorderMs ?? 0));
      later(wait, () => deliver(callbackUrl, event));
    }
  }

  return {
    name: 'payment',
    executed: () => refunds.executed,
    callbacks: {
      use(live, dice) {
        knobs = live;
        random = dice;
      },
      stats: () => ({ ...counted }),
    },
    close: () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
    routes: [
      defineRoute({
        method: 'POST',
        path: '/payments',
        body: paymentBody,
        handle: ({ body }) => {
          let created: PaymentIntent | undefined;
          // Keyed on what the payment is (order and amount): asking again with another callback URL (another instance of
          // the shop) or confirm flag (the shopper coming back) retrieves the same payment in its current state.
          const identity = { orderId: body.orderId, amount: body.amount, idempotencyKey: body.idempotencyKey };
          const reply = idempotentReply(intents, identity, () => {
            const now = new Date();
            created = {
              paymentId: `pi_${randomUUID()}`,
              orderId: body.orderId,
              amount: body.amount,
              status: 'REQUIRES_CONFIRMATION',
              reference: body.idempotencyKey,
              createdAt: now.toISOString(),
              updatedAt: now.toISOString(),
            };
            byId.set(created.paymentId, { intent: created, callbackUrl: body.callbackUrl, created: now.getTime() });
            return created;
          });
          // A frictionless card: captured in this very answer, and the callback follows as for any completion.
          if (created && body.confirm) complete(created.paymentId, 'succeeded');
          return reply.status === 200 ? { status: 200, body: { ...(reply.body as PaymentIntent) } } : reply;
        },
      }),
      defineRoute({
        method: 'POST',
        path: '/payments/:paymentId/confirm',
        body: confirmBody,
        handle: ({ params, body }) => {
          const entry = byId.get(params.paymentId);
          if (!entry) return errorReply(404, 'PAYMENT_NOT_FOUND', `no payment '${params.paymentId}'`);
          const wanted = body.outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED';
          if (entry.intent.status === wanted) return { status: 200, body: { ...entry.intent } };
          if (entry.intent.status !== 'REQUIRES_CONFIRMATION')
            return errorReply(409, 'PAYMENT_COMPLETED', `payment '${params.paymentId}' is already ${entry.intent.status}`);
          complete(params.paymentId, body.outcome);
          return { status: 200, body: { ...entry.intent } };
        },
      }),
      defineRoute({
        method: 'GET',
        path: '/payments/:paymentId',
        handle: ({ params }) => {
          const entry = byId.get(params.paymentId);
          return entry
            ? { status: 200, body: { ...entry.intent } }
            : errorReply(404, 'PAYMENT_NOT_FOUND', `no payment '${params.paymentId}'`);
        },
      }),
      defineRoute({
        method: 'GET',
        path: '/payments',
        handle: ({ query }) => {
          const from = Number(query.from ?? 0);
          const to = Number(query.to ?? Number.MAX_SAFE_INTEGER);
          if (!Number.isFinite(from) || !Number.isFinite(to))
            return errorReply(400, 'INVALID_REQUEST', 'from and to are epoch milliseconds');
          const payments = [...byId.values()].filter((e) => e.created >= from && e.created < to).map((e) => ({ ...e.intent }));
          return { status: 200, body: { payments } };
        },
      }),
      defineRoute({
        method: 'POST',
        path: '/refunds',
        body: refundBody,
        handle: ({ body }) =>
          idempotentReply(refunds, body, () => {
            ledger.record({
              effect: 'refund',
              orderId: ledgerOrderId(body.orderId),
              idempotencyKey: body.idempotencyKey,
              amount: body.amount,
            });
            return {
              refundId: `re_${randomUUID()}`,
              paymentId: body.paymentId,
              amount: body.amount,
              status: 'SUCCEEDED' as const,
              createdAt: new Date().toISOString(),
            };
          }),
      }),
      defineRoute({
        method: 'GET',
        path: '/refunds/:idempotencyKey',
        handle: ({ params }) => {
          const refund = refunds.get(params.idempotencyKey);
          return refund
            ? { status: 200, body: refund }
            : errorReply(404, 'REFUND_NOT_FOUND', `no refund with idempotencyKey '${params.idempotencyKey}'`);
        },
      }),
    ],
  };
}
