import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { forbidden } from '../../errors.js';
import { route } from '../../http/index.js';
import { SkuId } from '../shared/sku-id.js';
import type { FlashSaleSystem } from './flash-sale-system.js';

const SaleParams = z.object({ id: z.string().min(1).max(64) });
const TicketParams = z.object({ ticketId: z.string().min(1).max(32) });
const RequestBody = z.object({ userId: z.string().min(1).max(64) });
const SaleReply = z.object({
  id: z.string(),
  skuId: z.string(),
  stock: z.number(),
  startsAt: z.string(),
  endsAt: z.string(),
  priceCents: z.number(),
  totalStock: z.number(),
});
const NewSaleBody = z.object({
  skuId: SkuId,
  /** At least 1 cent, at most the SKU's list price (checked against the catalogue). */
  priceCents: z.number().int().min(1),
  stock: z.number().int().min(1).max(10_000_000),
  /** Default: now. */
  startsAt: z.iso.datetime({ offset: true }).optional(),
  endsAt: z.iso.datetime({ offset: true }),
});
const TicketReply = z.object({
  ticketId: z.string(),
  saleId: z.string(),
  status: z.enum(['QUEUED', 'ORDERED', 'FAILED']),
  orderId: z.string().optional(),
  reason: z.string().optional(),
});

/** The flash-sale HTTP API (contract: docs/architecture.md, "The HTTP API"). */
export function flashSaleRoutes(flashSales: FlashSaleSystem): RouteOptions[] {
  return [
    route({
      method: 'GET',
      url: '/flash-sales',
      auth: 'none',
      tags: ['flash sales'],
      summary: 'Flash sales with the units left',
      schema: { response: { 200: z.array(SaleReply) } },
      handler: () => flashSales.listSales(),
    }),
    route({
      method: 'POST',
      url: '/flash-sales/:id/orders',
      auth: 'user',
      status: 202,
      tags: ['flash sales'],
      summary:
        'Ask for one unit: a ticket (202) that becomes an order soon, or 409 SOLD_OUT / ALREADY_HAS_TICKET / FLASH_SALE_NOT_RUNNING, or 429 RATE_LIMITED (with Retry-After) when this user asks too often',
      schema: { params: SaleParams, body: RequestBody, response: { 202: z.object({ ticketId: z.string() }) } },
      handler: ({ params, body, userId }) => {
        if (body.userId !== userId) throw forbidden(`you are ${userId} and cannot act for ${body.userId}`);
        return flashSales.requestUnit(params.id, userId);
      },
    }),
    route({
      method: 'POST',
      url: '/admin/flash-sales',
      auth: 'admin',
      status: 201,
      tags: ['admin', 'flash sales'],
      summary:
        'Create a flash sale (a new id; its gate opens at once). 404 SKU_NOT_FOUND for an unknown SKU, 409 STOCK_INSUFFICIENT when the SKU has fewer units available than the sale',
      schema: { body: NewSaleBody, response: { 201: SaleReply } },
      handler: async ({ body }) => {
        const startsAt = body.startsAt === undefined ? undefined : Date.parse(body.startsAt);
        const sale = await flashSales.createSale({
          skuId: body.skuId,
          priceCents: body.priceCents,
          stock: body.stock,
          startsAt,
          endsAt: Date.parse(body.endsAt),
        });
        return (await flashSales.listSales()).find((s) => s.id === sale.id);
      },
    }),
    route({
      method: 'GET',
      url: '/flash-sales/tickets/:ticketId',
      auth: 'user',
      tags: ['flash sales'],
      summary: 'One of your tickets: QUEUED, ORDERED (with its orderId) or FAILED',
      schema: { params: TicketParams, response: { 200: TicketReply } },
      handler: ({ params, userId }) => flashSales.getTicket(userId, params.ticketId),
    }),
  ];
}
