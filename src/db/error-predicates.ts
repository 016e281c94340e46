/**
 * Recognising the driver errors a system must handle, whatever the dialect. better-sqlite3
 * throws SqliteError with an extended result code in `code`; mysql2 sets `code` (ER_…) and
 * `errno`. Kysely passes both through unchanged. A wrapped error is recognised through its
 * `cause` chain, so a DbError or an application error around it still counts.
 */

const UNIQUE_CODES = new Set([
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'ER_DUP_ENTRY', // 1062
  'ER_DUP_ENTRY_WITH_KEY_NAME', // 1586
]);
const UNIQUE_ERRNOS = new Set([1062, 1586]);

/**
 * True when the error is a duplicate key — a UNIQUE index or PRIMARY KEY refused the row — on
 * SQLite or MySQL/MariaDB. Consumers build idempotency on it: the message's business key is
 * unique in their own table, so a redelivered message fails the insert and is acknowledged.
 * It does not say which key collided: give a table one unique business key to rely on.
 *
 * @example
 * try { await db.insertInto('points_grants').values({ order_id: orderId, points }).execute(); }
 * catch (error) { if (!isUniqueViolation(error)) throw error; } // already granted: redelivery
 */
export function isUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => UNIQUE_CODES.has(String(e.code)) || UNIQUE_ERRNOS.has(Number(e.errno)));
}

const TRANSIENT_CODES = new Set([
  'ER_LOCK_DEADLOCK', // 1213: InnoDB chose this transaction as the deadlock victim; rerun it
  'ER_LOCK_WAIT_TIMEOUT', // 1205
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/**
 * True when running the same transaction again may succeed: a MySQL deadlock victim or lock-wait
 * timeout, a lost connection, or SQLite's SQLITE_BUSY/SQLITE_LOCKED (another process held the
 * write lock longer than busy_timeout). A push-consumer listener can answer RETRY_LATER on it.
 */
export function isTransientDbError(error: unknown): boolean {
  return someCause(error, (e) => {
    const code = String(e.code);
    return TRANSIENT_CODES.has(code) || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  });
}

/**
 * True when MySQL/MariaDB rolled the transaction back to break a deadlock, or a statement gave up
 * waiting for a row lock: nothing of it was committed, and running the whole transaction again is
 * the documented remedy. (A lost connection is not: a COMMIT may have landed before it was lost.)
 */
export function isLockConflict(error: unknown): boolean {
  return someCause(
    error,
    (e) => e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT' || e.errno === 1213 || e.errno === 1205,
  );
}

type DriverErrorFields = { code?: unknown; errno?: unknown; cause?: unknown };

function someCause(error: unknown, test: (e: DriverErrorFields) => boolean): boolean {
  // Bounded walk: a cause chain is short, and a cycle must not hang the caller.
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const fields = e as DriverErrorFields;
    if (test(fields)) return true;
    e = fields.cause;
  }
  return false;
}
