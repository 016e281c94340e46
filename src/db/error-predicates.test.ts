import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTransientDbError, isUniqueViolation } from './error-predicates.js';

// Shapes as thrown by better-sqlite3 (SqliteError) and mysql2 (Error with code/errno/sqlState).
const driverError = (fields: Record<string, unknown>) => Object.assign(new Error('driver'), fields);

describe('error predicates', () => {
  it('isUniqueViolation: SQLite unique/primary key and MySQL ER_DUP_ENTRY, also when wrapped in a cause', () => {
    assert.ok(isUniqueViolation(driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })));
    assert.ok(isUniqueViolation(driverError({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })));
    assert.ok(isUniqueViolation(driverError({ code: 'ER_DUP_ENTRY', errno: 1062 })));
    assert.ok(isUniqueViolation(driverError({ errno: 1062 })));
    assert.ok(isUniqueViolation(new Error('app', { cause: driverError({ code: 'ER_DUP_ENTRY' }) })));
  });

  it('isUniqueViolation: other constraints and non-errors are not duplicates', () => {
    for (const other of [
      driverError({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }),
      driverError({ code: 'SQLITE_CONSTRAINT_NOTNULL' }),
      driverError({ code: 'ER_NO_REFERENCED_ROW_2', errno: 1452 }),
      new Error('plain'),
      undefined,
      'ER_DUP_ENTRY',
    ]) {
      assert.equal(isUniqueViolation(other), false);
    }
  });

  it('isTransientDbError: busy/locked, deadlock, lock wait timeout, lost connection', () => {
    for (const code of [
      'SQLITE_BUSY',
      'SQLITE_BUSY_SNAPSHOT',
      'SQLITE_LOCKED',
      'ER_LOCK_DEADLOCK',
      'ER_LOCK_WAIT_TIMEOUT',
      'PROTOCOL_CONNECTION_LOST',
    ]) {
      assert.ok(isTransientDbError(driverError({ code })), code);
    }
    assert.equal(isTransientDbError(driverError({ code: 'ER_DUP_ENTRY' })), false);
  });

  it('a cause cycle does not hang', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = new Error('b', { cause: a });
    assert.equal(isUniqueViolation(a), false);
  });
});
