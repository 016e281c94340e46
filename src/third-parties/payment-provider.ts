import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errorReply } from './http-json.js';
import { IdempotencyStore } from './idempotency-store.js';
import { defineRoute } from './routes.js';
import type { VendorSpec } from './simulator.js';
import { idempotencyKeySchema, idempotentReply } from './vendor-common.js';

export interface Refund {
  refundId: string;
  paymentId: string;
  amount: number;
  status: 'SUCCEEDED';
  createdAt: string;
}

const refundBody = z.object({
  paymentId: z.string().min(1).max(200),
  amount: z.number().positive().finite(),
  idempotencyKey: idempotencyKeySchema,
});

/**
 * The payment provider the refund worker calls. Refunds are idempotent on
 * idempotencyKey — same key → same refundId, the money moved once — and can be looked up by key,
 * so a worker whose call timed out can learn whether the refund happened before retrying.
 *
 * `POST /refunds {paymentId, amount, idempotencyKey}` → `Refund`; `GET /refunds/:idempotencyKey` → `Refund` or 404.
 */
export function paymentProvider(): VendorSpec {
  // Unbounded: this is the provider's ledger, and GET must find every refund ever made.
  const refunds = new IdempotencyStore<Refund>();
  return {
    name: 'payment',
    executed: () => refunds.executed,
    routes: [
      defineRoute({
        method: 'POST',
        path: '/refunds',
        body: refundBody,
        handle: ({ body }) =>
          idempotentReply(refunds, body, () => ({
            refundId: `re_${randomUUID()}`,
            paymentId: body.paymentId,
            amount: body.amount,
            status: 'SUCCEEDED' as const,
            createdAt: new Date().toISOString(),
          })),
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
