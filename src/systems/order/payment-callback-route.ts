import { Readable } from 'node:stream';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode, validationFailed } from '../../errors.js';
import { route } from '../../http/index.js';
import { PAYMENT_SIGNATURE_HEADER, type PaymentEvent, verifyPaymentCallback } from '../../third-parties/index.js';
import { signatureInvalid } from './payment-errors.js';
import type { OrderSystem } from './order-system.js';

const PaymentEventBody = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(['payment.succeeded', 'payment.failed']),
  created: z.number().int().min(0),
  data: z.object({
    paymentId: z.string().min(1).max(128),
    orderId: z.string().min(1).max(64),
    amount: z.number().min(0).max(1e12),
    status: z.enum(['REQUIRES_CONFIRMATION', 'SUCCEEDED', 'FAILED']),
    reference: z.string().min(1).max(200).optional(),
  }),
});

/** Callbacks are small JSON documents; anything longer is not one. */
const MAX_CALLBACK_BYTES = 16 * 1024;
const callbackTooLarge = () =>
  new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `a payment callback is at most ${MAX_CALLBACK_BYTES} bytes`, {
    details: { limit: MAX_CALLBACK_BYTES },
  });

/**
 * `POST /api/payments/callback`: the payment provider's signed events (docs/architecture.md, "Payments"). No user
 * token: the signature is the authentication — `orderflow-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw
 * body>">` with ORDERFLOW_PAYMENT_CALLBACK_SECRET, checked over the bytes received (kept aside before JSON parsing,
 * which would lose them), and `t` within 5 minutes of our clock (an old event replayed is refused). Unsigned, forged,
 * stale (401 SIGNATURE_INVALID), malformed (400) and unknown (404 PAYMENT_NOT_FOUND) events change nothing.
 */
export function paymentCallbackRoute(orders: OrderSystem, secret: string): RouteOptions {
  const raw = new WeakMap<FastifyRequest, string>();
  const options = route({
    method: 'POST',
    url: '/payments/callback',
    auth: 'none',
    tags: ['payments'],
    summary: "The payment provider's signed callback (header orderflow-signature); settles the payment exactly once",
    description:
      'Answers 200 {received, duplicate, settlement?} once handled: a repeated event id is answered at once and does nothing; a payment.succeeded pays its order if it still waits for payment, else the payment is refunded. 401 SIGNATURE_INVALID for a missing, malformed, forged or stale signature; 400 for a malformed event; 404 PAYMENT_NOT_FOUND for a payment this shop never created; 409 PAYMENT_MISMATCH when its order or amount differs.',
    schema: {
      body: PaymentEventBody,
      response: { 200: z.object({ received: z.literal(true), duplicate: z.boolean(), settlement: z.string().optional() }) },
    },
    handler: ({ request }) => orders.receivePaymentEvent(parseEvent(raw.get(request) ?? '')),
  });
  // Before the body is validated: an unsigned or forged request learns nothing, not even what a valid event looks like.
  options.preHandler = async (request) => {
    const header = request.headers[PAYMENT_SIGNATURE_HEADER];
    const verdict = verifyPaymentCallback(
      secret,
      raw.get(request) ?? '',
      typeof header === 'string' ? header : undefined,
      Date.now() / 1000,
    );
    if (!verdict.ok) throw signatureInvalid(verdict.reason);
  };
  // The signature is over the raw bytes: keep them before Fastify's JSON parser sees them.
  // A body that is not JSON is left to Fastify, which answers 415 as on every route and does not reuse a connection whose
  // body it did not read (read here, then refused, it wedged the client's kept-alive connection until the server's timeout).
  options.preParsing = async (request, _reply, payload) => {
    if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) return payload;
    if (Number(request.headers['content-length']) > MAX_CALLBACK_BYTES) throw callbackTooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > MAX_CALLBACK_BYTES) throw callbackTooLarge();
      chunks.push(bytes);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    raw.set(request, text);
    return Readable.from([text]);
  };
  return options;
}

/** The body as signed, validated after the signature (a forger learns nothing from validation messages). */
function parseEvent(body: string): PaymentEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw validationFailed([{ path: 'body', message: 'not JSON' }], 'payment event is not JSON');
  }
  const parsed = PaymentEventBody.safeParse(json);
  if (!parsed.success)
    throw validationFailed(
      parsed.error.issues.slice(0, 5).map((issue) => ({ path: issue.path.map(String).join('.') || 'body', message: issue.message })),
      'payment event is not valid',
    );
  return parsed.data;
}
