import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { route } from '../../http/index.js';
import type { OrderSystem } from './order-system.js';

/** The window is always said: a run reads the provider's whole ledger for it, so nobody starts one by accident. */
const RunBody = z
  .object({
    /** ISO 8601 instants. */
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .strict();

/** `GET|POST /admin/payments/reconciliation`: what reconciliation against the provider's ledger found, and a run at once. */
export function reconciliationRoutes(orders: OrderSystem): RouteOptions[] {
  return [
    route({
      method: 'GET',
      url: '/admin/payments/reconciliation',
      auth: 'admin',
      tags: ['admin'],
      summary: "Payments reconciliation: its settings, the latest runs and the differences found with the provider's ledger",
      handler: () => orders.reconciliation.view(),
    }),
    route({
      method: 'POST',
      url: '/admin/payments/reconciliation',
      auth: 'admin',
      tags: ['admin'],
      summary: "Reconcile now: compare the provider's ledger with the payments of a window {from, to}, repair or report",
      description:
        'Captured payments never settled here are settled (they pay their order, or are refunded); orders paid without a capture at the provider are reported. Answers the run when it is done. 400 VALIDATION_FAILED for a window that ends before it starts or spans more than 7 days; 503 when the provider cannot be reached.',
      schema: { body: RunBody },
      handler: ({ body }) => orders.reconciliation.runNow({ from: Date.parse(body.from), to: Date.parse(body.to) }),
    }),
  ];
}
