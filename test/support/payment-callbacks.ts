import { randomUUID } from 'node:crypto';
import { PAYMENT_SIGNATURE_HEADER, signPaymentCallback } from '../../src/third-parties/index.js';

/** The callback secret the payment tests start their app with: they play the provider with it. */
export const CALLBACK_SECRET = 'test-payment-callback-secret';

export interface PaymentFacts {
  paymentId: string;
  orderId: string;
  /** In currency units, as the provider states it. */
  amount: number;
}

/** A provider event as the simulated provider writes it. */
export function paymentEvent(facts: PaymentFacts, type: 'payment.succeeded' | 'payment.failed', id = `evt_${randomUUID()}`) {
  return {
    id,
    type,
    created: Math.floor(Date.now() / 1000),
    data: { ...facts, status: type === 'payment.succeeded' ? 'SUCCEEDED' : 'FAILED' },
  };
}

/** POSTs a callback to the app, signed with `secret` at `at` (unix seconds), or with the header given. */
export async function postCallback(
  baseUrl: string,
  body: unknown,
  options: { secret?: string; at?: number; header?: string | null } = {},
): Promise<{ status: number; body: any }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const header =
    options.header === undefined
      ? signPaymentCallback(options.secret ?? CALLBACK_SECRET, raw, options.at ?? Date.now() / 1000)
      : options.header;
  if (header !== null) headers[PAYMENT_SIGNATURE_HEADER] = header;
  const res = await fetch(`${baseUrl}/api/payments/callback`, { method: 'POST', headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
