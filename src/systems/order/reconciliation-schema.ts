import type { Migration } from '../../db/index.js';

/**
 * Payments reconciliation (docs/architecture.md, "Payments"): one row per run — a window of time whose payments were
 * compared with the provider's ledger — and one row per difference found, kept once per payment and kind however many
 * runs see it again.
 */
export interface PaymentReconciliationsTable {
  /** `window:<start ms>` for a scheduled window (one run per window, whatever the copies of its message), `admin:…` for a run asked for. */
  run_id: string;
  started_by: ReconciliationTrigger;
  window_start: number;
  window_end: number;
  /** The delayed message that ran a scheduled window (null for a run asked for). */
  message_id: string | null;
  status: ReconciliationStatus;
  /** Payments the provider's ledger lists in the window, and payments recorded here in it. */
  checked_at_provider: number;
  checked_here: number;
  repaired: number;
  reported: number;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

export interface PaymentDiscrepanciesTable {
  payment_id: string;
  kind: DiscrepancyKind;
  order_id: string;
  /** What the provider says of the payment (null: it does not know it). */
  provider_status: string | null;
  /** What this shop had recorded when the run found it (null: nothing). */
  local_status: string | null;
  action: 'REPAIRED' | 'REPORTED';
  detail: string;
  run_id: string;
  found_at: number;
}

export type ReconciliationTrigger = 'SCHEDULE' | 'ADMIN';
export type ReconciliationStatus = 'RUNNING' | 'DONE' | 'FAILED';

/**
 * What a run can find. Repaired: CAPTURED_NOT_SETTLED (the money was taken but its callback never came: settled now,
 * paying the order or refunding it), FAILURE_NOT_RECORDED (a failed payment still waiting here). Reported, for a person
 * to look at: PAID_WITHOUT_CAPTURE (an order paid here with a payment the provider did not capture), UNKNOWN_PAYMENT
 * (captured at the provider, not created by this shop), MISMATCH (the provider's order or amount differs from ours).
 */
export type DiscrepancyKind = 'CAPTURED_NOT_SETTLED' | 'FAILURE_NOT_RECORDED' | 'PAID_WITHOUT_CAPTURE' | 'UNKNOWN_PAYMENT' | 'MISMATCH';

export const reconciliationMigration: Migration = {
  async up(db) {
    await db.schema
      .createTable('payment_reconciliations')
      .addColumn('run_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('started_by', 'varchar(16)', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('window_end', 'bigint', (c) => c.notNull())
      .addColumn('message_id', 'varchar(128)')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('checked_at_provider', 'integer', (c) => c.notNull())
      .addColumn('checked_here', 'integer', (c) => c.notNull())
      .addColumn('repaired', 'integer', (c) => c.notNull())
      .addColumn('reported', 'integer', (c) => c.notNull())
      .addColumn('error', 'varchar(255)')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('payment_reconciliations_by_start').on('payment_reconciliations').column('started_at').execute();
    await db.schema
      .createTable('payment_discrepancies')
      .addColumn('payment_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('order_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('provider_status', 'varchar(24)')
      .addColumn('local_status', 'varchar(48)')
      .addColumn('action', 'varchar(16)', (c) => c.notNull())
      .addColumn('detail', 'varchar(255)', (c) => c.notNull())
      .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('found_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('payment_discrepancies_pk', ['payment_id', 'kind'])
      .execute();
    await db.schema.createIndex('payment_discrepancies_by_found').on('payment_discrepancies').column('found_at').execute();
  },
};
