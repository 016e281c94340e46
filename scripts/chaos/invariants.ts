import { type Acknowledged, PAID_OR_LATER } from './load.js';
import type { Row, SqlReader } from './sql-reader.js';

/** One invariant: how many things it looked at and each violation found (the first few are printed). */
export interface Check {
  name: string;
  checked: number;
  violations: string[];
}

/** What the vendors' own ledger recorded (GET /api/admin/vendors/ledger of `orderflow vendors`). */
export interface LedgerEntry {
  effect: 'sms' | 'shipment' | 'refund';
  orderId: string | null;
  idempotencyKey: string;
  amount: number | null;
}

export interface Evidence {
  reader: SqlReader;
  acknowledged: Acknowledged;
  ledger: LedgerEntry[];
  /** SKU → available + reserved + sold before the load. */
  initialStock: Map<string, number>;
  /** GET /api/analytics/summary once every backlog was 0. */
  analytics: { gmvByDay: { day: string; gmvCents: number }[]; countsByStatus: Record<string, number> };
  /** GET /api/admin/queues, once settled (or when the settling gave up). */
  queues: { topic: string; group: string; backlog: number; inFlight: number }[];
  /** The payment provider's intents (GET /payments of the provider): what it captured. */
  payments: { paymentId: string; orderId: string; amount: number; status: string }[];
  /** GET /api/admin/dlq. */
  deadLetters: { messageId: string; group: string; lastError?: string }[];
}

const REFUND_ASKED = new Set(['REFUNDING', 'REFUNDED', 'REFUND_FAILED']);
/** The coupon system grants a reward coupon for a paid order of at least this total (src/systems/coupons). */
const REWARD_MIN_TOTAL_CENTS = 3000;

const n = (value: unknown) => Number(value);
const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/** Every invariant of a settled run, checked against the databases, the vendors' ledger and the admin API. */
export async function checkInvariants(evidence: Evidence): Promise<Check[]> {
  const { reader, acknowledged: ack } = evidence;
  const orders = await reader.query('order', 'SELECT order_id, user_id, status, total_cents FROM orders');
  const byId = new Map(orders.map((o) => [String(o.order_id), o]));
  const paidAt = new Map(
    (await reader.query('order', "SELECT order_id, at FROM order_history WHERE to_status = 'PAID'")).map((r) => [
      String(r.order_id),
      n(r.at),
    ]),
  );
  const ledger = countLedger(evidence.ledger);
  const checks: Check[] = [];
  const check = (name: string, items: Iterable<string>, violation: (id: string) => string | undefined) => {
    const found: Check = { name, checked: 0, violations: [] };
    for (const id of items) {
      found.checked += 1;
      const why = violation(id);
      if (why) found.violations.push(`${id}: ${why}${ack.history.has(id) ? ` (answered: ${ack.history.get(id)?.join(' → ')})` : ''}`);
    }
    checks.push(found);
  };
  const statusOf = (id: string) => byId.get(id)?.status as string | undefined;

  check('placed (201) → order exists', ack.placed.keys(), (id) => (byId.has(id) ? undefined : 'missing from the order database'));
  check('paid (2xx) → PAID or later', ack.paid, (id) => (PAID_OR_LATER.has(statusOf(id) ?? '') ? undefined : `status ${statusOf(id)}`));
  check('refund (2xx) → REFUNDED (or REFUND_FAILED, explained)', ack.refunded, (id) =>
    statusOf(id) === 'REFUNDED' || statusOf(id) === 'REFUND_FAILED' ? undefined : `status ${statusOf(id)}`,
  );
  check('cancel (2xx) → CANCELLED', ack.cancelled, (id) => (statusOf(id) === 'CANCELLED' ? undefined : `status ${statusOf(id)}`));

  const paid = [...paidAt.keys()];
  check('paid order settled (shipped, not left PAID)', paid, (id) => (statusOf(id) === 'PAID' ? 'still PAID' : undefined));
  check('paid order: exactly one SMS at the SMS vendor', paid, (id) => exactlyOne(ledger, id, 'sms'));
  check('paid order: exactly one shipment at the logistics company', paid, (id) => exactlyOne(ledger, id, 'shipment'));
  const points = new Map(
    (await reader.query('points', 'SELECT order_id, COUNT(*) AS n FROM points_ledger GROUP BY order_id')).map((r) => [
      String(r.order_id),
      n(r.n),
    ]),
  );
  check('paid order: exactly one points grant', paid, (id) => (points.get(id) === 1 ? undefined : `${points.get(id) ?? 0} grants`));
  const rewards = new Map(
    (
      await reader.query(
        'coupons',
        'SELECT source_order_id, COUNT(*) AS n FROM coupons WHERE source_order_id IS NOT NULL GROUP BY source_order_id',
      )
    ).map((r) => [String(r.source_order_id), n(r.n)]),
  );
  check('paid order: exactly one reward coupon (none under 30.00; a refund may overtake it)', paid, (id) => {
    const count = rewards.get(id) ?? 0;
    const order = byId.get(id) as Row;
    if (n(order.total_cents) < REWARD_MIN_TOTAL_CENTS) return count === 0 ? undefined : `${count} rewards for a total under the minimum`;
    if (count === 1 || (count === 0 && REFUND_ASKED.has(order.status))) return undefined;
    return `${count} reward coupons`;
  });
  // A payment that came in surplus (its order closed, cancelled or paid by another) is paid back: one refund each.
  const surplus = new Map<string, number[]>();
  const outcomes = new Map<string, string | null>();
  for (const p of await reader.query('order', 'SELECT payment_id, order_id, amount_cents, outcome FROM order_payments')) {
    outcomes.set(String(p.payment_id), p.outcome);
    if (p.outcome === 'REFUNDED') surplus.set(String(p.order_id), [...(surplus.get(String(p.order_id)) ?? []), n(p.amount_cents)]);
  }
  check('refunds at the provider: one per refunded order (its total) and one per surplus payment, no other', [...byId.keys()], (id) => {
    const order = byId.get(id) as Row;
    const refunds = (ledger.get(id)?.refund ?? []).map((amount) => Math.round(amount * 100)).sort();
    const expected = [...(surplus.get(id) ?? [])];
    if (order.status === 'REFUNDED' && n(order.total_cents) > 0) expected.push(n(order.total_cents));
    if (order.status === 'REFUNDING') return 'still REFUNDING';
    expected.sort();
    return JSON.stringify(refunds) === JSON.stringify(expected)
      ? undefined
      : `refunds ${JSON.stringify(refunds)} cents, expected ${JSON.stringify(expected)}`;
  });
  check(
    'each payment captured by the provider paid its order or was paid back',
    evidence.payments.filter((p) => p.status === 'SUCCEEDED').map((p) => p.paymentId),
    (paymentId) => {
      const outcome = outcomes.get(paymentId);
      if (outcome === 'PAID_ORDER' || outcome === 'REFUNDED') return undefined;
      const payment = evidence.payments.find((p) => p.paymentId === paymentId);
      return `captured ${payment?.amount} for order ${payment?.orderId} (status ${statusOf(String(payment?.orderId))}), ${outcomes.has(paymentId) ? 'outcome none' : 'unknown to the order system'}`;
    },
  );
  const ended = orders.filter((o) => o.status === 'CLOSED' || o.status === 'CANCELLED').map((o) => String(o.order_id));
  check('closed or cancelled order: no SMS, no shipment', ended, (id) =>
    (ledger.get(id)?.sms.length ?? 0) + (ledger.get(id)?.shipment.length ?? 0) === 0 ? undefined : 'has vendor effects',
  );
  check('every order ended its wait (closed at its deadline when unpaid)', [...byId.keys()], (id) =>
    statusOf(id) === 'WAIT_PAY' ? 'still WAIT_PAY' : undefined,
  );

  checks.push(await stockCheck(reader, evidence.initialStock));
  checks.push(...(await flashSaleChecks(reader, ack)));
  checks.push(analyticsCheck(evidence.analytics, orders, paidAt));
  const outbox = await reader.query(
    'order',
    'SELECT (SELECT COUNT(*) FROM order_outbox) AS changes, (SELECT COUNT(*) FROM order_messages) AS messages',
  );
  check('outbox empty (changes and messages relayed)', ['order_outbox', 'order_messages'], (table) => {
    const left = n(table === 'order_outbox' ? outbox[0]?.changes : outbox[0]?.messages);
    return left === 0 ? undefined : `${left} rows left`;
  });
  check(
    'backlog 0 in every group',
    evidence.queues.map((q) => `${q.topic}/${q.group}`),
    (key) => {
      const q = evidence.queues.find((x) => `${x.topic}/${x.group}` === key);
      return q && q.backlog + q.inFlight > 0 ? `backlog ${q.backlog}, in flight ${q.inFlight}` : undefined;
    },
  );
  check(
    'each dead letter explained (listed with its reason)',
    evidence.deadLetters.map((l) => l.messageId),
    (id) => (evidence.deadLetters.find((l) => l.messageId === id)?.lastError ? undefined : 'no reason given'),
  );
  return checks;
}

type Effects = { sms: number[]; shipment: number[]; refund: number[] };

function countLedger(entries: LedgerEntry[]): Map<string, Effects> {
  const byOrder = new Map<string, Effects>();
  for (const entry of entries) {
    if (entry.orderId === null) continue;
    let effects = byOrder.get(entry.orderId);
    if (!effects) byOrder.set(entry.orderId, (effects = { sms: [], shipment: [], refund: [] }));
    effects[entry.effect].push(entry.amount ?? 0);
  }
  return byOrder;
}

function exactlyOne(ledger: Map<string, Effects>, orderId: string, effect: keyof Effects): string | undefined {
  const count = ledger.get(orderId)?.[effect].length ?? 0;
  return count === 1 ? undefined : `${count} ${effect === 'sms' ? 'SMS' : `${effect}s`}`;
}

/** available + reserved + sold conserved and never negative; reserved = what the unpaid orders hold (none once all ended). */
async function stockCheck(reader: SqlReader, initial: Map<string, number>): Promise<Check> {
  const skus = await reader.query('order', 'SELECT sku_id, available, reserved, sold FROM skus');
  const held = new Map(
    (
      await reader.query(
        'order',
        "SELECT i.sku_id, SUM(i.quantity) AS q FROM order_items i JOIN orders o ON o.order_id = i.order_id WHERE o.status = 'WAIT_PAY' GROUP BY i.sku_id",
      )
    ).map((r) => [String(r.sku_id), n(r.q)]),
  );
  const result: Check = {
    name: 'stock: available + reserved + sold conserved, none negative, reserved = unpaid orders',
    checked: 0,
    violations: [],
  };
  for (const sku of skus) {
    result.checked += 1;
    const [available, reserved, sold] = [n(sku.available), n(sku.reserved), n(sku.sold)];
    const total = available + reserved + sold;
    const id = String(sku.sku_id);
    if (available < 0 || reserved < 0 || sold < 0) result.violations.push(`${id}: negative (${available}/${reserved}/${sold})`);
    if (initial.has(id) && total !== initial.get(id)) result.violations.push(`${id}: ${total} units, started with ${initial.get(id)}`);
    if (reserved !== (held.get(id) ?? 0)) result.violations.push(`${id}: reserved ${reserved}, unpaid orders hold ${held.get(id) ?? 0}`);
  }
  return result;
}

/** A sale admits no more buyers than units, one ticket per user; every ticket answered 202 exists. */
async function flashSaleChecks(reader: SqlReader, ack: Acknowledged): Promise<Check[]> {
  const tickets = await reader.query('flash-sale', 'SELECT ticket_id, sale_id, user_id, status FROM flash_sale_tickets');
  const ids = new Set(tickets.map((t) => String(t.ticket_id)));
  const answered: Check = { name: 'flash-sale grab (202) → ticket exists', checked: 0, violations: [] };
  for (const ticketId of ack.tickets.keys()) {
    answered.checked += 1;
    if (!ids.has(ticketId)) answered.violations.push(`${ticketId}: missing`);
  }
  const oversell: Check = { name: 'flash sale: admitted ≤ units, one ticket per user', checked: 0, violations: [] };
  for (const [saleId, units] of ack.sales) {
    oversell.checked += 1;
    const ofSale = tickets.filter((t) => t.sale_id === saleId);
    if (ofSale.length > units) oversell.violations.push(`${saleId}: ${ofSale.length} tickets for ${units} units`);
    const users = new Set(ofSale.map((t) => t.user_id));
    if (users.size !== ofSale.length) oversell.violations.push(`${saleId}: ${ofSale.length - users.size} users with two tickets`);
  }
  const settled: Check = { name: 'flash-sale ticket settled (ORDERED or FAILED with its reason)', checked: tickets.length, violations: [] };
  for (const t of tickets) if (t.status === 'QUEUED') settled.violations.push(`${t.ticket_id}: still QUEUED`);
  return [answered, oversell, settled];
}

/** The analytics store, built from the change stream only, says what the order database says. */
function analyticsCheck(analytics: Evidence['analytics'], orders: Row[], paidAt: Map<string, number>): Check {
  const result: Check = {
    name: 'change stream complete: analytics = order database (per status, GMV per day)',
    checked: 0,
    violations: [],
  };
  const counts: Record<string, number> = {};
  for (const o of orders) counts[o.status] = (counts[o.status] ?? 0) + 1;
  for (const status of new Set([...Object.keys(counts), ...Object.keys(analytics.countsByStatus)])) {
    result.checked += 1;
    if ((counts[status] ?? 0) !== (analytics.countsByStatus[status] ?? 0))
      result.violations.push(`${status}: ${counts[status] ?? 0} orders, analytics says ${analytics.countsByStatus[status] ?? 0}`);
  }
  const gmv: Record<string, number> = {};
  for (const o of orders) {
    const at = paidAt.get(String(o.order_id));
    if (at !== undefined && o.status !== 'REFUNDED') gmv[utcDay(at)] = (gmv[utcDay(at)] ?? 0) + n(o.total_cents);
  }
  const reported = Object.fromEntries(analytics.gmvByDay.map((d) => [d.day, d.gmvCents]));
  for (const day of new Set([...Object.keys(gmv), ...Object.keys(reported)])) {
    result.checked += 1;
    if ((gmv[day] ?? 0) !== (reported[day] ?? 0))
      result.violations.push(`GMV ${day}: ${gmv[day] ?? 0} cents, analytics says ${reported[day] ?? 0}`);
  }
  return result;
}
