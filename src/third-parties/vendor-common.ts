import { z } from 'zod';
import { errorReply, type Reply } from './http-json.js';
import type { IdempotencyStore } from './idempotency-store.js';

/** Callers derive the key from a business key (e.g. `refund:<refundId>`), so it is a short opaque string. */
export const idempotencyKeySchema = z.string().min(1).max(200);

/** Order and SKU ids: strings or integers, whichever the calling system uses. */
export const businessIdSchema = z.union([z.string().min(1).max(200), z.number().int()]);

/**
 * Runs a vendor effect at most once per idempotencyKey and answers it. The same key with another
 * body is refused 409, as Stripe-like providers do: silently returning the first answer would hide
 * a caller bug (two different refunds sharing a key).
 */
export function idempotentReply<T>(store: IdempotencyStore<T>, body: { idempotencyKey: string }, execute: () => T): Reply {
  const { idempotencyKey, ...request } = body;
  const outcome = store.run(idempotencyKey, JSON.stringify(request), execute);
  if (outcome.kind === 'conflict') {
    return errorReply(409, 'IDEMPOTENCY_KEY_REUSED', `idempotencyKey '${idempotencyKey}' was already used for a different request`, {
      idempotencyKey,
    });
  }
  return { status: 200, body: outcome.value };
}
