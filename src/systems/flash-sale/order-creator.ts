import { isAppError } from '../../errors.js';
import type { ConsumeResult, MessageView, PushConsumer } from '../../mq/index.js';
import type { FlashSaleOrder, FlashSaleOrderInput } from '../order/index.js';
import { Groups, Topics } from '../shared/topics.js';
import type { FlashSaleContext, FlashSaleOrderEvent } from './context.js';
import { findTicket, insertTicket, settleTicket } from './repository.js';
import { TicketStatus } from './states.js';
import { TokenBucket } from './token-bucket.js';

/** What the flash-sale system needs of the order system (its public module API): the creator places orders, a new sale's SKU is looked up. */
export interface OrdersForFlashSales {
  placeFlashSaleOrder(input: FlashSaleOrderInput): Promise<FlashSaleOrder>;
  /** The SKU's list price and units available now; undefined when there is no such SKU. */
  findSku(skuId: string): Promise<{ skuId: string; priceCents: number; available: number } | undefined>;
}

/**
 * Messages in the creator's hands at once. Few: the backlog must wait in the message queue, not
 * in this process, so a crowd costs no memory here; enough that a slow order database still gets `rate` writes a second.
 */
export const CREATOR_CONCURRENCY = 8;

/**
 * The flash-sale order creator: consumes `flash_sale_order` and turns each QUEUED ticket into a real
 * order through the order system's API, at most `rate` orders per second (a token bucket in front of
 * the order write). Idempotent per ticket: a settled ticket is acknowledged without a token, and the
 * order id is derived from the ticket, so a duplicate delivery finds the order instead of making one.
 * A refusal (no stock left in the order database, unknown user or SKU) fails the ticket with its
 * reason; anything else is retried by the broker, then dead-lettered where it can be replayed.
 */
export async function startOrderCreator(
  ctx: FlashSaleContext,
  orders: OrdersForFlashSales,
  rate: number,
): Promise<{ bucket: TokenBucket; close(): Promise<void> }> {
  const bucket = new TokenBucket({ rate });
  const consumer: PushConsumer = await ctx.mq.pushConsumer({
    group: Groups.FLASH_SALE_CREATOR,
    subscriptions: { [Topics.FLASH_SALE_ORDER]: '*' },
    concurrency: CREATOR_CONCURRENCY,
    listener: (message) => createOrder(ctx, orders, bucket, message),
  });
  return {
    bucket,
    async close() {
      bucket.close(); // messages waiting for a token go back to the queue
      await consumer.close();
    },
  };
}

async function createOrder(
  ctx: FlashSaleContext,
  orders: OrdersForFlashSales,
  bucket: TokenBucket,
  message: MessageView,
): Promise<ConsumeResult> {
  const event = JSON.parse(message.body.toString()) as FlashSaleOrderEvent;
  const { db } = ctx.database;
  const ticket = await findTicket(db, event.ticketId);
  if (!ticket) {
    // Cannot happen in the chosen order (the ticket commits before its message is sent); the message is the proof of admission.
    ctx.logger.warn({ ticketId: event.ticketId }, 'flash-sale order message without a ticket: writing the ticket from the message');
    const written = await insertTicket(db, { ticketId: event.ticketId, saleId: event.saleId, userId: event.userId, at: event.admittedAt });
    if (!written && !(await findTicket(db, event.ticketId))) {
      ctx.logger.error(
        { ticketId: event.ticketId, userId: event.userId },
        'flash-sale order message for a user who holds another ticket: dropped',
      );
      return 'SUCCESS';
    }
  } else if (ticket.status !== TicketStatus.QUEUED) {
    return 'SUCCESS'; // redelivery of a settled ticket
  }
  await bucket.take();
  ctx.metrics.dbWrites.inc({ db: 'order' });
  try {
    const { orderId } = await orders.placeFlashSaleOrder({
      ticketId: event.ticketId,
      admittedAt: event.admittedAt,
      userId: event.userId,
      skuId: event.skuId,
      priceCents: event.priceCents,
    });
    await settle(ctx, event.ticketId, { status: TicketStatus.ORDERED, orderId });
  } catch (error) {
    if (!isAppError(error) || error.retriable || error.status >= 500) throw error; // RETRY_LATER, then the DLQ
    ctx.logger.warn({ ticketId: event.ticketId, code: error.code }, 'flash-sale ticket failed: the order system refused its order');
    await settle(ctx, event.ticketId, { status: TicketStatus.FAILED, reason: `${error.code}: ${error.message}` });
  }
  return 'SUCCESS';
}

async function settle(ctx: FlashSaleContext, ticketId: string, outcome: Parameters<typeof settleTicket>[2]): Promise<void> {
  ctx.metrics.dbWrites.inc({ db: 'flash-sale' });
  if (await settleTicket(ctx.database.db, ticketId, outcome, ctx.clock())) ctx.metrics.tickets.inc({ status: outcome.status });
}
