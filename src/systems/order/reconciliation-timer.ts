import { randomUUID } from 'node:crypto';
import { insertIgnoreDuplicate } from '../../db/index.js';
import type { ConsumeResult, MessageView } from '../../mq/index.js';
import { Tags, Topics } from '../shared/topics.js';
import type { OrderContext } from './context.js';
import { type ReconciliationCounts, type ReconciliationRunView, reconcileWindow, runView } from './reconcile-payments.js';
import type { ReconciliationTrigger } from './reconciliation-schema.js';

/** A window's run that started this long ago and is still RUNNING is taken to have died with its process: another may take it over. */
export const STALE_RUN_MS = 5 * 60_000;

/** After a long stop, a window also covers what was missed since the last window done, up to this far back. */
export const MAX_CATCH_UP_MS = 24 * 3_600_000;

interface WindowMessage {
  windowStart: number;
  windowEnd: number;
}

/** The window of length everyMs that holds `at`: windows are aligned on the clock, so every process names the same ones. */
export function windowAt(at: number, everyMs: number): WindowMessage {
  const windowStart = Math.floor(at / everyMs) * everyMs;
  return { windowStart, windowEnd: windowStart + everyMs };
}

/**
 * Schedules a window's reconciliation: a delayed message due `lagMs` after the window ends (a scheduled job as a
 * delayed message, not a scan, as for closing expired orders). Several messages for one window are harmless: the
 * first to arrive runs it, the others find it claimed (onReconcileMessage).
 */
export async function scheduleWindow(ctx: OrderContext, window: WindowMessage): Promise<void> {
  await ctx.producer().send({
    topic: Topics.PAYMENT_RECONCILE,
    tag: Tags.RECONCILE,
    keys: [windowRunId(window.windowStart)],
    body: JSON.stringify(window),
    deliverAt: window.windowEnd + ctx.config.reconcile.lagMs,
  });
}

/**
 * Every order-system process schedules the window now open when it starts: the chain of windows (each run schedules
 * the next) starts with the deployment, and comes back by itself if it ever broke (a message in the DLQ).
 */
export async function startReconciliation(ctx: OrderContext): Promise<void> {
  await scheduleWindow(ctx, windowAt(ctx.clock(), ctx.config.reconcile.everyMs));
}

const windowRunId = (windowStart: number) => `window:${windowStart}`;

/**
 * A window is due. One run per window, whatever the copies of its message: the run's row is claimed first (an insert
 * that only one can make; a failed or long-dead run may be taken over). The next window is scheduled before this one
 * is worked on, so the chain goes on even if this run dies; a run that failed is retried by the message's redelivery,
 * and a window whose run never finished is covered by the next one (it starts from the end of the last window done).
 */
export async function onReconcileMessage(ctx: OrderContext, message: MessageView): Promise<ConsumeResult> {
  const window = JSON.parse(message.body.toString()) as WindowMessage;
  const runId = windowRunId(window.windowStart);
  const from = await catchUpFrom(ctx, window.windowStart);
  if (!(await claimRun(ctx, { runId, startedBy: 'SCHEDULE', from, to: window.windowEnd, messageId: message.messageId }))) return 'SUCCESS';
  const everyMs = ctx.config.reconcile.everyMs;
  await scheduleWindow(ctx, { windowStart: window.windowEnd, windowEnd: window.windowEnd + everyMs });
  try {
    await finishRun(ctx, runId, await reconcileWindow(ctx, runId, { from, to: window.windowEnd }));
    return 'SUCCESS';
  } catch (error) {
    await failRun(ctx, runId, error);
    ctx.logger.warn({ err: error, runId }, 'payments reconciliation failed; its message is redelivered to try again');
    return 'RETRY_LATER';
  }
}

/** A run asked for by an operator (the admin API): any window, at once, reported when done. */
export async function reconcileNow(ctx: OrderContext, window: { from: number; to: number }): Promise<ReconciliationRunView> {
  const runId = `admin:${ctx.clock()}:${randomUUID().slice(0, 8)}`;
  await claimRun(ctx, { runId, startedBy: 'ADMIN', from: window.from, to: window.to, messageId: null });
  try {
    await finishRun(ctx, runId, await reconcileWindow(ctx, runId, window));
  } catch (error) {
    await failRun(ctx, runId, error);
    throw error;
  }
  const row = await ctx.database.db.selectFrom('payment_reconciliations').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow();
  return runView(row);
}

/** Where a scheduled window's comparison starts: its own start, or the end of the last window done if that is earlier. */
async function catchUpFrom(ctx: OrderContext, windowStart: number): Promise<number> {
  const last = await ctx.database.db
    .selectFrom('payment_reconciliations')
    .select((eb) => eb.fn.max('window_end').as('end'))
    .where('started_by', '=', 'SCHEDULE')
    .where('status', '=', 'DONE')
    .executeTakeFirst();
  const lastEnd = last?.end === null || last?.end === undefined ? undefined : Number(last.end);
  if (lastEnd === undefined || lastEnd >= windowStart) return windowStart;
  return Math.max(lastEnd, windowStart - MAX_CATCH_UP_MS);
}

async function claimRun(
  ctx: OrderContext,
  run: { runId: string; startedBy: ReconciliationTrigger; from: number; to: number; messageId: string | null },
): Promise<boolean> {
  const now = ctx.clock();
  const db = ctx.database.db;
  const inserted = await insertIgnoreDuplicate(
    db.insertInto('payment_reconciliations').values({
      run_id: run.runId,
      started_by: run.startedBy,
      window_start: run.from,
      window_end: run.to,
      message_id: run.messageId,
      status: 'RUNNING',
      checked_at_provider: 0,
      checked_here: 0,
      repaired: 0,
      reported: 0,
      error: null,
      started_at: now,
      finished_at: null,
    }),
  );
  if (inserted) return true;
  // Taken over only from a run that failed (its redelivery) or died long ago; the guard lets one taker win.
  const taken = await db
    .updateTable('payment_reconciliations')
    .set({ status: 'RUNNING', message_id: run.messageId, window_start: run.from, started_at: now, error: null })
    .where('run_id', '=', run.runId)
    .where((eb) => eb.or([eb('status', '=', 'FAILED'), eb.and([eb('status', '=', 'RUNNING'), eb('started_at', '<', now - STALE_RUN_MS)])]))
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

async function finishRun(ctx: OrderContext, runId: string, counts: ReconciliationCounts): Promise<void> {
  await ctx.database.db
    .updateTable('payment_reconciliations')
    .set({
      status: 'DONE',
      checked_at_provider: counts.checkedAtProvider,
      checked_here: counts.checkedHere,
      repaired: counts.repaired,
      reported: counts.reported,
      error: null,
      finished_at: ctx.clock(),
    })
    .where('run_id', '=', runId)
    .execute();
}

async function failRun(ctx: OrderContext, runId: string, error: unknown): Promise<void> {
  const text = error instanceof Error ? error.message : String(error);
  await ctx.database.db
    .updateTable('payment_reconciliations')
    .set({ status: 'FAILED', error: text.slice(0, 255), finished_at: ctx.clock() })
    .where('run_id', '=', runId)
    .execute()
    .catch((failure: unknown) => ctx.logger.error({ err: failure, runId }, 'payments reconciliation: could not record its failure'));
}
