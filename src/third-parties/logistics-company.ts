import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdempotencyStore } from './idempotency-store.js';
import { defineRoute } from './routes.js';
import type { VendorSpec } from './simulator.js';
import { businessIdSchema, idempotencyKeySchema, idempotentReply } from './vendor-common.js';
import { ledgerOrderId, VendorLedger } from './vendor-ledger.js';

const createShipmentBody = z.object({
  orderId: businessIdSchema,
  items: z
    .array(z.object({ skuId: businessIdSchema, quantity: z.number().int().positive() }))
    .min(1, { error: 'a shipment needs at least one item' }),
  address: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  idempotencyKey: idempotencyKeySchema,
});

/**
 * The logistics company the warehouse system books shipments with:
 * `POST /shipments {orderId, items, address?, idempotencyKey}` → `{trackingNo}`.
 */
export function logisticsCompany(ledger = new VendorLedger()): VendorSpec {
  const shipments = new IdempotencyStore<{ trackingNo: string }>(100_000);
  return {
    name: 'logistics',
    executed: () => shipments.executed,
    routes: [
      defineRoute({
        method: 'POST',
        path: '/shipments',
        body: createShipmentBody,
        handle: ({ body }) =>
          idempotentReply(shipments, body, () => {
            ledger.record({ effect: 'shipment', orderId: ledgerOrderId(body.orderId), idempotencyKey: body.idempotencyKey, amount: null });
            return { trackingNo: `LP${randomUUID().replaceAll('-', '').slice(0, 14).toUpperCase()}` };
          }),
      }),
    ],
  };
}
