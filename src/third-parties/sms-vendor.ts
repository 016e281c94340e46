import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdempotencyStore } from './idempotency-store.js';
import { defineRoute } from './routes.js';
import type { VendorSpec } from './simulator.js';
import { idempotencyKeySchema, idempotentReply } from './vendor-common.js';

const sendSmsBody = z.object({
  to: z.string().trim().min(1).max(64),
  text: z.string().min(1).max(1600),
  idempotencyKey: idempotencyKeySchema,
});

/** The SMS vendor the push system notifies buyers through: `POST /sms {to, text, idempotencyKey}` → `{smsId}`. */
export function smsVendor(): VendorSpec {
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
        handle: ({ body }) => idempotentReply(sent, body, () => ({ smsId: `sms_${randomUUID()}` })),
      }),
    ],
  };
}
