import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { route } from '../http/index.js';
import type { VendorLedger } from '../third-parties/index.js';

const LedgerQuery = z.object({ orderId: z.string().min(1).max(200).optional() });

/**
 * `GET /admin/vendors/ledger?orderId=`: every effect the simulated vendors carried out (SMS sent, shipment booked,
 * refund paid), each with the order it was for — served by `orderflow vendors`, whose process outlives the
 * orderflow processes, so a chaos run counts each paid order's SMS, shipment and refund there.
 */
export function vendorLedgerRoute(ledger: VendorLedger): RouteOptions {
  return route({
    method: 'GET',
    url: '/admin/vendors/ledger',
    auth: 'admin',
    tags: ['admin'],
    summary: "The vendors' ledger: each SMS, shipment and refund they carried out, by order",
    schema: { querystring: LedgerQuery },
    handler: ({ query }) => ({ entries: ledger.entries(query.orderId) }),
  });
}
