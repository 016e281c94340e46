/**
 * Typed errors of the storage layer. Driver failures that a caller must act on (bad
 * ORDERFLOW_DB, server unreachable, a failed migration) become a DbError with a stable code
 * and a message that says what to do; the driver's own error stays available as `cause`.
 * Expected, per-query failures (a duplicate key, a lock timeout) are NOT wrapped: callers
 * recognise them with the predicates in error-predicates.ts, on either dialect.
 */
import { OrderflowError, type OrderflowErrorOptions } from '../mq/orderflow-error.js';

export const DbErrorCode = {
  INVALID_URL: 'DB_INVALID_URL',
  INVALID_ARGUMENT: 'DB_INVALID_ARGUMENT',
  UNREACHABLE: 'DB_UNREACHABLE',
  ACCESS_DENIED: 'DB_ACCESS_DENIED',
  OPEN_FAILED: 'DB_OPEN_FAILED',
  MIGRATION_FAILED: 'DB_MIGRATION_FAILED',
  /** A single-instance role's lease is held by another live process (lease.ts). */
  LEASE_HELD: 'DB_LEASE_HELD',
} as const;
export type DbErrorCode = (typeof DbErrorCode)[keyof typeof DbErrorCode];

/** `retriable`: true when the same call may succeed later (server still starting, network blip). */
export type DbErrorOptions = OrderflowErrorOptions;

export class DbError extends OrderflowError<DbErrorCode> {
  override readonly name: string = 'DbError';
}

export function isDbError(error: unknown, code?: DbErrorCode): error is DbError {
  return error instanceof DbError && (code === undefined || error.code === code);
}
