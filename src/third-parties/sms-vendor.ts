import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdempotencyStore } from './idempotency-store.js';
import { defineRoute } from './routes.js';
import type { VendorSpec } from './simulator.js';
import { businessIdSchema, idempotencyKeySchema, idempotentReply } from './vendor-common.js';
import { ledgerOrderId, VendorLedger } from './vendor-ledger.js';

const sendSmsBody = z.object({
  to: z.string().trim().min(1).max(64),
  text: z.string().min(1).max(1600),
  idempotencyKey: idempotencyKeySchema,
  /** The caller's reference (the order the SMS is about): kept in the vendor's ledger, not sent to the phone. */
  orderId: businessIdSchema.optional(),
});

/** The SMS vendor the push system notifies buyers through: `POST /sms {to, text, idempotencyKey, orderId?}` → `{smsId}`. */
export function smsVendor(ledger = new VendorLedger()): VendorSpec {
  // Bounded: a long benchmark sends many messages, and an SMS vendor only dedupes recent retries.
  const sent = new IdempotencyStore<{ smsId: string }>(100_000);
  return {
    name: 'sms',
    executed: () => sent.executed,
    routes: [
      defineRoute({
        method: 'POST',
        path: '/sms',
        body: sendSmsBody,
        handle: ({ body }) =>
          idempotentReply(sent, body, () => {
            ledger.record({ effect: 'sms', orderId: ledgerOrderId(body.orderId), idempotencyKey: body.idempotencyKey, amount: null });
            return { smsId: `sms_${randomUUID()}` };
          }),
      }),
    ],
  };
}
