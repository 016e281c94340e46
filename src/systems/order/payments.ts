import type { Transaction } from 'kysely';
import { insertIgnoreDuplicate } from '../../db/index.js';
import { invalidState, notFound } from '../../errors.js';
import type { TransactionResolution } from '../../mq/index.js';
import type { PaymentEvent, PaymentIntent } from '../../third-parties/index.js';
import { type OrderRefundEvent, Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type QueuedMessage, queueMessage } from './message-outbox.js';
import { paymentMismatch, paymentNotFound } from './payment-errors.js';
import type { PaymentOutcome, PaymentStatus } from './payment-schema.js';
import { type KnownOrder, payWithPayment } from './pay-order.js';
import { newRefundId } from './refund-order.js';
import { findItems, findOrder } from './repository.js';
import type { OrderDB } from './schema.js';
import { OrderStatus } from './states.js';

/** What `POST /orders/:id/pay` answers: PAID at once (a frictionless card), or the payment waiting for the shopper's bank. */
export type PayAnswer =
  | { orderId: string; status: OrderStatus }
  | { orderId: string; status: OrderStatus; payment: { paymentId: string; attempt: number; status: PaymentStatus } };

/** A payment's settlement: what it did (or had already done), or that it is not captured (yet, or ever). */
export type Settlement = PaymentOutcome | 'NOT_CAPTURED';

/** A lost race (the order or the payment changed between our read and our guarded write) is looked at again, this often. */
const MAX_SETTLE_RACES = 4;

/**
 * The shopper pays (or comes back from the bank): the payment of this order and attempt is created at the provider —
 * idempotently, the provider's key is `pay:<order>:<attempt>`, so asking again returns the same payment in its
 * current state — and recorded here. If the provider says it SUCCEEDED (a frictionless card, or the bank step done),
 * it is settled now, exactly as its callback would settle it: whichever comes first pays the order, the other finds
 * the payment settled. The order is never paid on the client's word: only on the provider's, here or in a signed callback.
 */
export async function payOrder(
  ctx: OrderContext,
  userId: string,
  orderId: string,
  options: { attempt: number; confirm: boolean },
): Promise<PayAnswer> {
  const order = await findOrder(ctx.database.db, orderId);
  if (!order || order.user_id !== userId) throw notFound('order', orderId);
  if (order.status !== OrderStatus.WAIT_PAY) {
    // Paid already (by this attempt's payment, say a double click): answered like the first time.
    const mine = await paymentOf(ctx, orderId, options.attempt);
    if (mine && order.payment_id === mine.payment_id) return { orderId, status: order.status };
    throw invalidState(orderId, order.status, 'be paid');
  }
  const intent = await ctx.payments.create({
    orderId,
    amount: Number(order.total_cents) / 100,
    callbackUrl: ctx.payments.callbackUrl(),
    confirm: options.confirm,
    idempotencyKey: paymentKey(orderId, options.attempt),
  });
  await recordPayment(ctx, { paymentId: intent.paymentId, orderId, attempt: options.attempt, amountCents: Number(order.total_cents) });
  // Captured: the settlement records it in its own transaction (one commit); otherwise what the provider said is kept.
  if (intent.status !== 'SUCCEEDED') await recordStatus(ctx, intent.paymentId, intent.status);
  const settled =
    intent.status === 'SUCCEEDED' ? await settlePayment(ctx, intent.paymentId, { captured: true, known: { order } }) : 'NOT_CAPTURED';
  // This pay paid the order: PAID is the answer, with no read to learn it. Otherwise the order may have moved meanwhile.
  if (settled === 'PAID_ORDER') return { orderId, status: OrderStatus.PAID };
  const current = (await findOrder(ctx.database.db, orderId))?.status ?? order.status;
  if (current !== OrderStatus.WAIT_PAY) return { orderId, status: current };
  return { orderId, status: current, payment: { paymentId: intent.paymentId, attempt: options.attempt, status: intent.status } };
}

/**
 * A signed event from the provider (the route checked the signature). Deduplicated by the event's id; then the
 * payment's state is recorded and, once captured, the payment is settled — exactly once, whatever the number or
 * order of the events. The rules when events disagree (docs/architecture.md, "Payments"): captured money is final — a
 * `payment.failed` for a payment already SUCCEEDED is stale and ignored; a failure never un-pays an order.
 */
export async function receivePaymentEvent(
  ctx: OrderContext,
  event: PaymentEvent,
): Promise<{ received: true; duplicate: boolean; settlement?: Settlement }> {
  const db = ctx.database.db;
  // Everything the settlement reads, in one wait (on MySQL one round trip of waiting instead of five one after the
  // other): the event's id, its payment, and the order and lines the event names. The settlement checks that the
  // payment is the order's, and a row changed meanwhile only makes its guarded update lose and look again.
  const [seen, payment, order, items] = await Promise.all([
    db.selectFrom('payment_events').select('event_id').where('event_id', '=', event.id).executeTakeFirst(),
    findPayment(ctx, event.data.paymentId),
    findOrder(db, event.data.orderId),
    findItems(db, event.data.orderId),
  ]);
  if (seen) return { received: true, duplicate: true };
  // The event's type is what happened; its data's status is the payment's state when the event was raised (the same).
  const status: PaymentStatus = event.type === 'payment.succeeded' ? 'SUCCEEDED' : 'FAILED';
  // Recorded once handled: an event whose handling failed half-way is handled again when the provider retries it. The
  // event that settles its payment is recorded in the settlement's own transaction (one commit for the core flow);
  // any other once its handling is done.
  const row = { event_id: event.id, payment_id: event.data.paymentId, type: event.type, received_at: ctx.clock() };
  let recorded = false;
  const settlement = await applyProviderState(
    ctx,
    { ...event.data, status },
    async (trx) => {
      await insertIgnoreDuplicate(trx.insertInto('payment_events').values(row));
      recorded = true;
    },
    { payment, order, items },
  );
  if (!recorded) await insertIgnoreDuplicate(db.insertInto('payment_events').values(row));
  return { received: true, duplicate: false, ...(settlement ? { settlement } : {}) };
}

/** What the provider says of one payment: an event's data, or a row of its ledger. */
export interface ProviderPayment {
  paymentId: string;
  orderId: string;
  /** In currency units, as the provider states it. */
  amount: number;
  status: PaymentStatus;
  /** The shop's idempotency key of the payment (`pay:<order>:<attempt>`), echoed by the provider. */
  reference?: string;
}

/**
 * Brings this shop's record of a payment up to what the provider says (from a callback, or from reconciliation against
 * its ledger): recorded if this shop created it but has no row of it (adoptPayment), its status kept, and once captured,
 * settled — exactly once, whatever the number or order of the calls. Throws PAYMENT_NOT_FOUND for a payment this shop
 * did not create, PAYMENT_MISMATCH when the order or the amount differ (nothing changed in either case).
 */
export async function applyProviderState(
  ctx: OrderContext,
  facts: ProviderPayment,
  alsoOnSettling?: AlsoOnSettling,
  known: KnownRows = {},
): Promise<Settlement | undefined> {
  const payment = known.payment ?? (await findPayment(ctx, facts.paymentId)) ?? (await adoptPayment(ctx, facts));
  if (!payment) throw paymentNotFound(facts.paymentId);
  if (payment.order_id !== facts.orderId) throw paymentMismatch(payment.payment_id, 'the order');
  if (Math.round(facts.amount * 100) !== Number(payment.amount_cents)) throw paymentMismatch(payment.payment_id, 'the amount');
  if (facts.status === 'REQUIRES_CONFIRMATION') return undefined;
  if (facts.status === 'FAILED') {
    await recordStatus(ctx, payment.payment_id, 'FAILED');
    return undefined;
  }
  // Captured: recorded SUCCEEDED by the settlement, in the transaction of its effect (or already, if settled before).
  return settlePayment(ctx, payment.payment_id, { captured: true, alsoOnSettling, known: { ...known, payment } });
}

/** Rows a caller has just read, handed on so that they are not read again (a settlement's first look uses them). */
interface KnownRows extends KnownOrder {
  payment?: PaymentRow;
}

type PaymentRow = NonNullable<Awaited<ReturnType<typeof findPayment>>>;

function findPayment(ctx: OrderContext, paymentId: string) {
  return ctx.database.db.selectFrom('order_payments').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
}

/** The provider's idempotency key of an order's payment attempt, echoed back in its events as their `reference`. */
const paymentKey = (orderId: string, attempt: number) => `pay:${orderId}:${attempt}`;

/**
 * A payment the provider knows and this shop has no row of: the process that created it at the provider died (or lost
 * its database) before recording it, or the provider's word overtook that process's insert. The `reference` is the key
 * this shop created it with, so the payment is recorded from the provider's facts when the key, the order and the
 * amount all agree — otherwise it is not this shop's (404, nothing changed). Without this, money captured across a
 * crash would be kept.
 */
async function adoptPayment(ctx: OrderContext, facts: ProviderPayment) {
  const key = /^pay:(.+):(\d{1,9})$/.exec(facts.reference ?? '');
  if (!key || key[1] !== facts.orderId) return undefined;
  const order = await findOrder(ctx.database.db, facts.orderId);
  if (!order || Math.round(facts.amount * 100) !== Number(order.total_cents)) return undefined;
  await recordPayment(ctx, {
    paymentId: facts.paymentId,
    orderId: order.order_id,
    attempt: Number(key[2]),
    amountCents: Number(order.total_cents),
  });
  ctx.logger.info(
    { paymentId: facts.paymentId, orderId: order.order_id },
    'payment recorded from the provider (created, not recorded here)',
  );
  return findPayment(ctx, facts.paymentId);
}

/** A payment created at the provider, recorded here as waiting (once: a second record of it changes nothing). */
async function recordPayment(ctx: OrderContext, payment: { paymentId: string; orderId: string; attempt: number; amountCents: number }) {
  const now = ctx.clock();
  await insertIgnoreDuplicate(
    ctx.database.db.insertInto('order_payments').values({
      payment_id: payment.paymentId,
      order_id: payment.orderId,
      attempt: payment.attempt,
      amount_cents: payment.amountCents,
      status: 'REQUIRES_CONFIRMATION',
      outcome: null,
      refund_id: null,
      provider_refund_id: null,
      refunded_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    }),
  );
}

/** What the provider said, kept as the payment's status: SUCCEEDED is final; FAILED only replaces a payment still waiting. */
async function recordStatus(ctx: OrderContext, paymentId: string, status: PaymentStatus): Promise<void> {
  if (status === 'REQUIRES_CONFIRMATION') return;
  await ctx.database.db
    .updateTable('order_payments')
    .set({ status, updated_at: ctx.clock() })
    .where('payment_id', '=', paymentId)
    .where('status', 'in', status === 'SUCCEEDED' ? ['REQUIRES_CONFIRMATION', 'FAILED'] : ['REQUIRES_CONFIRMATION'])
    .execute();
}

/**
 * Settles a captured payment once: it pays its order if the order still waits for payment, or it is refunded (the
 * order was closed or cancelled meanwhile, or another payment paid it first). The outcome is written in the same
 * transaction as its effect and only while none is set, so of two racing settlements (the callback and the shopper's
 * confirmation, two deliveries of one event) exactly one acts; the other finds the outcome and does nothing.
 */
export async function settlePayment(
  ctx: OrderContext,
  paymentId: string,
  options: { captured?: boolean; alsoOnSettling?: AlsoOnSettling; known?: KnownRows } = {},
): Promise<Settlement> {
  const db = ctx.database.db;
  const also = options.alsoOnSettling;
  for (let race = 0; race < MAX_SETTLE_RACES; race++) {
    // The first look may use the rows the caller read just before; after a lost race everything is read afresh.
    const known = race === 0 ? options.known : undefined;
    const payment = known?.payment?.payment_id === paymentId ? known.payment : await findPayment(ctx, paymentId);
    if (!payment) throw paymentNotFound(paymentId);
    if (payment.outcome) return payment.outcome;
    if (payment.status !== 'SUCCEEDED' && !options.captured) return 'NOT_CAPTURED';
    const sameOrder = known?.order?.order_id === payment.order_id;
    const order = sameOrder ? known?.order : await findOrder(db, payment.order_id);
    if (!order) throw notFound('order', payment.order_id);
    if (order.status === OrderStatus.WAIT_PAY) {
      const pay = (trx: Transaction<OrderDB>) => claim(trx, paymentId, 'PAID_ORDER', null, ctx.clock(), also);
      if (await payWithPayment(ctx, order.order_id, paymentId, pay, { order, items: sameOrder ? known?.items : undefined }))
        return 'PAID_ORDER';
    } else if (await refundSurplus(ctx, { ...payment, user_id: order.user_id }, also)) return 'REFUNDED';
    // Lost a race: the order or the payment changed meanwhile. Look again.
  }
  throw invalidState(paymentId, 'changing', 'be settled');
}

/** Runs in the transaction that settles a payment, if it does: the event that settled it is recorded there. */
export type AlsoOnSettling = (trx: Transaction<OrderDB>) => Promise<void>;

/** Sets the payment's outcome (and SUCCEEDED: only captured money is settled) if none is set yet; true if this call did. */
async function claim(
  trx: Transaction<OrderDB>,
  paymentId: string,
  outcome: PaymentOutcome,
  refundId: string | null,
  at: number,
  also?: AlsoOnSettling,
) {
  const result = await trx
    .updateTable('order_payments')
    .set({ outcome, status: 'SUCCEEDED', refund_id: refundId, updated_at: at })
    .where('payment_id', '=', paymentId)
    .where('outcome', 'is', null)
    .executeTakeFirst();
  const won = Number(result.numUpdatedRows) === 1;
  if (won) await also?.(trx);
  return won;
}

/**
 * A captured payment the order cannot take: its money goes back by the refund flow — the payment claimed as
 * REFUNDED with a refund id and the `order_refund` message in one local transaction (a transactional message, or a
 * row of the message outbox), as for an order's refund. The order itself does not change: it shows the payment and
 * its refund (the order view's `payments`).
 */
async function refundSurplus(
  ctx: OrderContext,
  payment: { payment_id: string; order_id: string; user_id: string; amount_cents: number },
  also?: AlsoOnSettling,
): Promise<boolean> {
  const now = ctx.clock();
  const event: OrderRefundEvent = {
    refundId: newRefundId(now),
    orderId: payment.order_id,
    userId: payment.user_id,
    paymentId: payment.payment_id,
    amountCents: Number(payment.amount_cents),
    reason: 'surplus payment: the order was not waiting for it',
    requestedAt: now,
  };
  const message: QueuedMessage = {
    topic: Topics.ORDER_REFUND,
    tag: Tags.REFUND,
    keys: [event.refundId, event.orderId],
    body: JSON.stringify(event),
  };
  const local = (outbox?: QueuedMessage) =>
    ctx.transact(async (trx) => {
      if (!(await claim(trx, payment.payment_id, 'REFUNDED', event.refundId, now, also))) return false;
      if (outbox) await queueMessage(trx, outbox, now);
      return true;
    });
  if (ctx.config.orderMessages === 'outbox') {
    const won = await local(message);
    if (won) ctx.wakeRelays();
    return won;
  }
  let failure: unknown;
  const result = await ctx.producer().sendInTransaction(message, async (): Promise<TransactionResolution> => {
    try {
      return (await local()) ? 'COMMIT' : 'ROLLBACK';
    } catch (error) {
      failure = error;
      return 'ROLLBACK';
    }
  });
  if (failure) throw failure;
  return result.resolution === 'COMMIT';
}

async function paymentOf(ctx: OrderContext, orderId: string, attempt: number) {
  return ctx.database.db
    .selectFrom('order_payments')
    .select('payment_id')
    .where('order_id', '=', orderId)
    .where('attempt', '=', attempt)
    .executeTakeFirst();
}

/** The check-back of a surplus payment's `order_refund`: committed iff that payment was claimed for that refund. */
export async function surplusRefundRecorded(ctx: OrderContext, refundId: string): Promise<boolean> {
  const row = await ctx.database.db.selectFrom('order_payments').select('outcome').where('refund_id', '=', refundId).executeTakeFirst();
  return row?.outcome === 'REFUNDED';
}

/** The refund worker's view of a surplus payment's refund, in the order statuses it understands. */
export async function surplusRefundStatus(ctx: OrderContext, refundId: string): Promise<OrderStatus | undefined> {
  const row = await ctx.database.db
    .selectFrom('order_payments')
    .select(['refunded_at', 'last_error'])
    .where('refund_id', '=', refundId)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.refunded_at !== null) return OrderStatus.REFUNDED;
  return row.last_error === null ? OrderStatus.REFUNDING : OrderStatus.REFUND_FAILED;
}

/** The provider paid a surplus payment back (idempotent). */
export async function completeSurplusRefund(ctx: OrderContext, refundId: string, providerRefundId: string | null) {
  const now = ctx.clock();
  await ctx.database.db
    .updateTable('order_payments')
    .set({ provider_refund_id: providerRefundId, refunded_at: now, last_error: null, updated_at: now })
    .where('refund_id', '=', refundId)
    .where('refunded_at', 'is', null)
    .execute();
  return surplusRefundStatus(ctx, refundId);
}

/** A surplus payment's refund failed: visible on the order's payment; a replay from the DLQ completes it. */
export async function failSurplusRefund(ctx: OrderContext, refundId: string, reason: string) {
  await ctx.database.db
    .updateTable('order_payments')
    .set({ last_error: reason.slice(0, 255), updated_at: ctx.clock() })
    .where('refund_id', '=', refundId)
    .where('refunded_at', 'is', null)
    .execute();
  return surplusRefundStatus(ctx, refundId);
}

/** What the order view shows of its payments: each attempt, what the provider said, what it did, its refund. */
export async function paymentsView(ctx: OrderContext, orderId: string) {
  const rows = await ctx.database.db.selectFrom('order_payments').selectAll().where('order_id', '=', orderId).orderBy('attempt').execute();
  return rows.map((row) => ({
    paymentId: row.payment_id,
    attempt: Number(row.attempt),
    amountCents: Number(row.amount_cents),
    status: row.status,
    outcome: row.outcome,
    refund:
      row.refund_id === null
        ? null
        : {
            refundId: row.refund_id,
            providerRefundId: row.provider_refund_id,
            refundedAt: row.refunded_at === null ? null : new Date(Number(row.refunded_at)).toISOString(),
            lastError: row.last_error,
          },
  }));
}

export type { PaymentIntent };
