import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { forbidden } from '../../errors.js';
import { route, signToken } from '../../http/index.js';
import { SkuId } from '../shared/sku-id.js';
import { paymentCallbackRoute } from './payment-callback-route.js';
import { reconciliationRoutes } from './reconciliation-routes.js';
import { OrderStatus } from './states.js';
import type { OrderSystem } from './order-system.js';

const LoginBody = z.object({ userId: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const OrderIdParams = z.object({ id: z.string().min(1).max(64) });
const PlaceOrderBody = z.object({
  userId: z.string().min(1).max(64),
  items: z
    .array(z.object({ skuId: SkuId, quantity: z.number().int().min(1).max(1000) }))
    .min(1)
    .max(50),
  couponId: z.string().min(1).max(64).optional(),
});
const ShippedBody = z.object({ trackingNo: z.string().min(1).max(128) });
const PayBody = z.object({
  /** The shopper's attempt (a new one after a failed payment): one payment at the provider per order and attempt. */
  attempt: z.number().int().min(1).max(20).default(1),
  /** true (default): a frictionless card, captured at once; false: the shopper confirms at the provider (the bank step). */
  confirm: z.boolean().default(true),
});
const RefundBody = z.object({ reason: z.string().max(200).optional() });
const ListQuery = z.object({
  userId: z.string().min(1).max(64).optional(),
  status: z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(64).optional(),
});
const StatusReply = z.object({ orderId: z.string(), status: z.string() });

/** The order system's HTTP API (contract: docs/architecture.md, "The HTTP API"). A user sees only their own orders. */
export function orderRoutes(orders: OrderSystem, auth: { tokenSecret: string; paymentCallbackSecret: string }): RouteOptions[] {
  const self = (userId: string, claimed: string | undefined) => {
    if (claimed !== undefined && claimed !== userId) throw forbidden(`you are ${userId} and cannot act for ${claimed}`);
  };
  return [
    route({
      method: 'POST',
      url: '/auth/login',
      auth: 'none',
      tags: ['auth'],
      summary:
        'Log in: a bearer token for the user; 429 RATE_LIMITED with Retry-After past the attempts a minute allowed per user and per address',
      schema: { body: LoginBody, response: { 200: z.object({ token: z.string(), userId: z.string() }) } },
      handler: async ({ body, request }) => {
        // Before the password is looked at: a guesser is refused without learning anything.
        await request.server.limitLogin(request, body.userId);
        await orders.authenticate(body.userId, body.password);
        return { token: signToken(body.userId, auth.tokenSecret), userId: body.userId };
      },
    }),
    route({
      method: 'POST',
      url: '/admin/orders/:id/shipped',
      auth: 'admin',
      tags: ['admin'],
      summary: 'The warehouse reports a shipment (when it runs in another process): PAID → SHIPPED',
      description:
        'Idempotent: the same report again answers 200 with alreadyShipped. 404 ORDER_NOT_FOUND for an unknown order; 409 INVALID_STATE for one never paid or refunded before it shipped (nothing to ship); 409 CONFLICT for one shipped under another tracking number.',
      schema: {
        params: OrderIdParams,
        body: ShippedBody,
        response: { 200: z.object({ orderId: z.string(), status: z.string(), trackingNo: z.string(), alreadyShipped: z.boolean() }) },
      },
      handler: ({ params, body }) => orders.markShipped(params.id, body.trackingNo),
    }),
    route({
      method: 'GET',
      url: '/skus',
      auth: 'none',
      tags: ['orders'],
      summary: 'SKUs with price and stock',
      handler: () => orders.listSkus(),
    }),
    route({
      method: 'POST',
      url: '/orders',
      auth: 'user',
      status: 201,
      tags: ['orders'],
      summary: 'Place an order (reserves stock)',
      schema: {
        body: PlaceOrderBody,
        response: { 201: z.object({ orderId: z.string(), status: z.literal('WAIT_PAY'), payDeadline: z.string() }) },
      },
      handler: ({ body, userId }) => {
        self(userId, body.userId);
        return orders.placeOrder({ userId, items: body.items, couponId: body.couponId });
      },
    }),
    route({
      method: 'POST',
      url: '/orders/:id/pay',
      auth: 'user',
      tags: ['orders'],
      summary: 'Pay: a payment at the payment provider; the order is PAID once the provider says the payment succeeded',
      description:
        'Creates (idempotently per order and attempt) a payment at the payment provider. 200 PAID when the provider captured it at once (a frictionless card; asking again answers the same); 202 with the payment when it waits for the shopper at the provider (confirm: false): its signed callback, or paying again with the same attempt once confirmed, pays the order. 409 INVALID_STATE for an order not waiting for payment; 503 when the provider cannot be reached.',
      schema: {
        params: OrderIdParams,
        body: PayBody,
        response: {
          200: StatusReply,
          202: StatusReply.extend({ payment: z.object({ paymentId: z.string(), attempt: z.number(), status: z.string() }) }),
        },
      },
      handler: async ({ params, body, userId, reply }) => {
        const answer = await orders.payOrder(userId, params.id, body);
        if ('payment' in answer) reply.code(202);
        return answer;
      },
    }),
    paymentCallbackRoute(orders, auth.paymentCallbackSecret),
    ...reconciliationRoutes(orders),
    route({
      method: 'POST',
      url: '/orders/:id/cancel',
      auth: 'user',
      tags: ['orders'],
      summary: 'Cancel an unpaid order',
      schema: { params: OrderIdParams, response: { 200: StatusReply } },
      handler: ({ params, userId }) => orders.cancelOrder(userId, params.id),
    }),
    route({
      method: 'POST',
      url: '/orders/:id/refund',
      auth: 'user',
      status: 202,
      tags: ['orders'],
      summary: 'Refund a paid or shipped order (asynchronous; asking again answers the same refund)',
      schema: { params: OrderIdParams, body: RefundBody, response: { 202: StatusReply.extend({ refundId: z.string() }) } },
      handler: ({ params, body, userId }) => orders.refundOrder(userId, params.id, body.reason),
    }),
    route({
      method: 'GET',
      url: '/orders/:id',
      auth: 'user',
      tags: ['orders'],
      summary: 'An order, its history, what each system did, its messages',
      schema: { params: OrderIdParams },
      handler: ({ params, userId }) => orders.getOrderDetails(userId, params.id),
    }),
    route({
      method: 'GET',
      url: '/orders',
      auth: 'user',
      tags: ['orders'],
      summary: 'A page of your orders',
      schema: { querystring: ListQuery },
      handler: ({ query, userId }) => {
        self(userId, query.userId);
        return orders.listOrders({ userId, status: query.status, limit: query.limit, cursor: query.cursor });
      },
    }),
  ];
}
