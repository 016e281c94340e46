import { DbError, DbErrorCode } from './errors.js';

// Lower-case, starts with a letter: the name ends up in a file name, a database name and a
// table name, so it must be safe in all three on every platform.
const SYSTEM_NAME = /^[a-z][a-z0-9_-]{0,22}$/;

/** Refuses a system name that could not be a file, database and table name at once. */
export function checkSystemName(system: string): void {
  if (!SYSTEM_NAME.test(system)) {
    throw new DbError(
      DbErrorCode.INVALID_ARGUMENT,
      `system '${system}' is not a valid system name: use 1-23 lower-case letters, digits, '-' or '_', starting with a letter (e.g. 'order', 'flash-sale')`,
      { details: { property: 'system', value: system } },
    );
  }
}

/**
 * The system name as an SQL identifier: 'flash-sale' → 'flash_sale'. A hyphen would force every
 * hand-written query and every `mysql` shell session to quote the name in backticks.
 */
export function sqlNameOf(system: string): string {
  return system.replace(/-/g, '_');
}
