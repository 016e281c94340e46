import { insertIgnoreDuplicate } from '../../db/index.js';
import { AppError, ErrorCode, validationFailed } from '../../errors.js';
import type { PaymentIntent } from '../../third-parties/index.js';
import type { OrderContext } from './context.js';
import { applyProviderState } from './payments.js';
import type {
  DiscrepancyKind,
  PaymentDiscrepanciesTable,
  PaymentReconciliationsTable,
  ReconciliationTrigger,
} from './reconciliation-schema.js';

/** A payment recorded here just after a window began was created at the provider a moment before: its ledger is read from this much earlier. */
const LEDGER_SLACK_MS = 60_000;

/** What one run found and did. */
export interface ReconciliationCounts {
  checkedAtProvider: number;
  checkedHere: number;
  repaired: number;
  reported: number;
}

type Finding = Omit<PaymentDiscrepanciesTable, 'run_id' | 'found_at'>;

/**
 * Compares the payment provider's ledger with this shop's payments over [from, to) and repairs what it can
 * (docs/architecture.md, "Payments"):
 * - each payment the provider created in the window: captured (SUCCEEDED) but not settled here — its callback was lost —
 *   is settled now, exactly as its callback would have (it pays the order, or is refunded if the order no longer
 *   waits); FAILED but still waiting here is recorded FAILED; captured and not this shop's is reported;
 * - each payment recorded here in the window that paid an order: the provider must have captured it, otherwise
 *   it is reported (an order shipped without money is for a person to decide, not for a job).
 * Every repair goes through applyProviderState, the callback's own path, so a repair racing a late callback still
 * settles the payment once. Findings are kept once per payment and kind.
 */
export async function reconcileWindow(
  ctx: OrderContext,
  runId: string,
  window: { from: number; to: number },
): Promise<ReconciliationCounts> {
  const ledger = await ctx.payments.ledger(window.from - LEDGER_SLACK_MS, window.to);
  const atProvider = new Map(ledger.map((payment) => [payment.paymentId, payment]));
  const findings: Finding[] = [];

  const inWindow = ledger.filter((payment) => {
    const created = Date.parse(payment.createdAt);
    return created >= window.from && created < window.to;
  });
  for (const payment of inWindow) {
    const finding = await checkProviderPayment(ctx, payment);
    if (finding) findings.push(finding);
  }

  const paidHere = await ctx.database.db
    .selectFrom('order_payments')
    .select(['payment_id', 'order_id', 'status'])
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.to)
    .where('outcome', '=', 'PAID_ORDER')
    .execute();
  for (const row of paidHere) {
    const theirs = atProvider.get(row.payment_id) ?? (await ctx.payments.find(row.payment_id));
    if (theirs?.status === 'SUCCEEDED') continue;
    findings.push({
      payment_id: row.payment_id,
      kind: 'PAID_WITHOUT_CAPTURE',
      order_id: row.order_id,
      provider_status: theirs?.status ?? null,
      local_status: `${row.status}, PAID_ORDER`,
      action: 'REPORTED',
      detail: theirs
        ? `the order was paid with this payment, which the provider has not captured (${theirs.status})`
        : 'the order was paid with this payment, which the provider does not know',
    });
  }

  const now = ctx.clock();
  for (const finding of findings) {
    await insertIgnoreDuplicate(ctx.database.db.insertInto('payment_discrepancies').values({ ...finding, run_id: runId, found_at: now }));
    ctx.logger[finding.action === 'REPAIRED' ? 'info' : 'warn'](
      { paymentId: finding.payment_id, orderId: finding.order_id, kind: finding.kind, runId },
      `payments reconciliation: ${finding.detail}`,
    );
  }
  return {
    checkedAtProvider: inWindow.length,
    checkedHere: paidHere.length,
    repaired: findings.filter((f) => f.action === 'REPAIRED').length,
    reported: findings.filter((f) => f.action === 'REPORTED').length,
  };
}

/** One payment of the provider's ledger against this shop's record of it; a finding when they differ. */
async function checkProviderPayment(ctx: OrderContext, payment: PaymentIntent): Promise<Finding | undefined> {
  if (payment.status === 'REQUIRES_CONFIRMATION') return undefined; // the shopper has not finished: nothing to compare yet
  const local = await ctx.database.db
    .selectFrom('order_payments')
    .select(['status', 'outcome'])
    .where('payment_id', '=', payment.paymentId)
    .executeTakeFirst();
  const localStatus = local ? [local.status, local.outcome].filter(Boolean).join(', ') : null;
  if (payment.status === 'SUCCEEDED' && local?.status === 'SUCCEEDED' && local.outcome !== null) return undefined; // settled
  // A failure matters only to a payment still waiting here: one this shop never heard of took no money, and one it
  // holds as captured is the paid check's to report (captured money is final here).
  if (payment.status === 'FAILED' && local?.status !== 'REQUIRES_CONFIRMATION') return undefined;
  const base = { payment_id: payment.paymentId, order_id: payment.orderId, provider_status: payment.status, local_status: localStatus };
  try {
    const settlement = await applyProviderState(ctx, payment);
    const kind: DiscrepancyKind = payment.status === 'SUCCEEDED' ? 'CAPTURED_NOT_SETTLED' : 'FAILURE_NOT_RECORDED';
    const detail =
      kind === 'CAPTURED_NOT_SETTLED'
        ? `captured at the provider, never settled here: ${settlement === 'PAID_ORDER' ? 'it paid its order now' : 'its order no longer waited, so it is refunded'}`
        : 'failed at the provider, still waiting here: recorded as failed';
    return { ...base, kind, action: 'REPAIRED', detail };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === ErrorCode.PAYMENT_NOT_FOUND)
      return { ...base, kind: 'UNKNOWN_PAYMENT', action: 'REPORTED', detail: 'captured at the provider, not created by this shop' };
    if (error.code === ErrorCode.PAYMENT_MISMATCH)
      return { ...base, kind: 'MISMATCH', action: 'REPORTED', detail: error.message.slice(0, 255) };
    throw error;
  }
}

/** One run as the admin API shows it. */
export interface ReconciliationRunView extends ReconciliationCounts {
  runId: string;
  startedBy: ReconciliationTrigger;
  windowStart: string;
  windowEnd: string;
  status: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** The latest runs and differences, for the admin API and the dashboard. */
export async function reconciliationView(ctx: OrderContext, limit = 20) {
  const db = ctx.database.db;
  const runs = await db.selectFrom('payment_reconciliations').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
  const discrepancies = await db.selectFrom('payment_discrepancies').selectAll().orderBy('found_at', 'desc').limit(100).execute();
  const totals = await db
    .selectFrom('payment_discrepancies')
    .select(['action', db.fn.countAll<number>().as('count')])
    .groupBy('action')
    .execute();
  const total = (action: string) => Number(totals.find((t) => t.action === action)?.count ?? 0);
  return {
    settings: { everyMs: ctx.config.reconcile.everyMs, lagMs: ctx.config.reconcile.lagMs },
    totals: { repaired: total('REPAIRED'), reported: total('REPORTED') },
    runs: runs.map(runView),
    discrepancies: discrepancies.map((d) => ({
      paymentId: d.payment_id,
      orderId: d.order_id,
      kind: d.kind,
      action: d.action,
      providerStatus: d.provider_status,
      localStatus: d.local_status,
      detail: d.detail,
      runId: d.run_id,
      foundAt: iso(d.found_at),
    })),
  };
}

export function runView(row: PaymentReconciliationsTable): ReconciliationRunView {
  return {
    runId: row.run_id,
    startedBy: row.started_by,
    windowStart: iso(row.window_start) as string,
    windowEnd: iso(row.window_end) as string,
    status: row.status,
    checkedAtProvider: Number(row.checked_at_provider),
    checkedHere: Number(row.checked_here),
    repaired: Number(row.repaired),
    reported: Number(row.reported),
    error: row.error,
    startedAt: iso(row.started_at) as string,
    finishedAt: iso(row.finished_at),
  };
}

const MAX_WINDOW_MS = 7 * 24 * 3_600_000;

/** A window given by an operator, checked: from before to, at most a week (the ledger comes back in one answer). */
export function checkedWindow(from: number, to: number): { from: number; to: number } {
  if (!(from < to))
    throw validationFailed([{ path: 'from', message: 'must be before to' }], 'reconciliation window: from must be before to');
  if (to - from > MAX_WINDOW_MS)
    throw validationFailed([{ path: 'from', message: 'at most 7 days before to' }], 'reconciliation window: at most 7 days at once');
  return { from, to };
}
