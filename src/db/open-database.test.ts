/** Opening: ORDERFLOW_DB parsing and the messages a user sees when something is wrong. Needs no server. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDbError } from './errors.js';
import { openDatabase } from './open-database.js';
import { parseDatabaseUrl, redactUrl } from './url.js';

const open = (url: string, system = 'order') => openDatabase({ url, dataDir: '/nonexistent-never-created', system });

describe('ORDERFLOW_DB parsing', () => {
  it('accepts sqlite and mysql URLs, with defaults for port and user', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite'), { kind: 'sqlite' });
    assert.deepEqual(parseDatabaseUrl('mysql://app:s%40cret@db.internal:3307/shop'), {
      kind: 'mysql',
      host: 'db.internal',
      port: 3307,
      user: 'app',
      password: 's@cret',
      basename: 'shop',
    });
    assert.deepEqual(parseDatabaseUrl('mysql://127.0.0.1/orderflow'), {
      kind: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      basename: 'orderflow',
    });
  });

  for (const bad of [
    '',
    'postgres://localhost/x',
    'sqlite3',
    'mysql://',
    'mysql://host',
    'mysql://host/',
    'mysql://h:notaport/db',
    'mysql://h/a-b',
    'mysql://h/db?ssl=true',
    'mysql://u:%zz@h/db',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with a message naming ORDERFLOW_DB, the value and what is accepted`, async () => {
      await assert.rejects(open(bad), (error: unknown) => {
        assert.ok(isDbError(error, 'DB_INVALID_URL'));
        assert.ok(error.message.includes(`ORDERFLOW_DB='${redactUrl(bad)}'`), error.message);
        assert.match(error.message, /accepted: 'sqlite' or 'mysql:\/\/user:password@host:port\/basename'/);
        return true;
      });
    });
  }

  it('never shows the password in a message', async () => {
    assert.equal(redactUrl('mysql://app:topsecret@h/db'), 'mysql://app:***@h/db');
    assert.equal(redactUrl('mysql://app:top@secret@h:3306/db'), 'mysql://app:***@h:3306/db');
    assert.equal(redactUrl('mysql://h:3306/db'), 'mysql://h:3306/db');
    await assert.rejects(open('mysql://app:topsecret@h/'), (error: Error) => !error.message.includes('topsecret'));
  });
});

describe('openDatabase refusals', () => {
  it('an unreachable MySQL server: a clear message with host and port and what to do', async () => {
    await assert.rejects(open('mysql://root@127.0.0.1:1/orderflow'), (error: unknown) => {
      assert.ok(isDbError(error, 'DB_UNREACHABLE'));
      assert.equal(
        error.message,
        'cannot reach MySQL/MariaDB at 127.0.0.1:1 (ECONNREFUSED): start the server, or fix host and port in ORDERFLOW_DB, or use ORDERFLOW_DB=sqlite',
      );
      assert.equal(error.retriable, true);
      return true;
    });
  });

  it('a system name that cannot be a file, database and table name', async () => {
    for (const system of ['', 'Order', '../etc', 'a b', 'x'.repeat(24)]) {
      await assert.rejects(
        open('sqlite', system),
        (error: unknown) => isDbError(error, 'DB_INVALID_ARGUMENT') && error.message.includes(`system '${system}'`),
      );
    }
  });

  it('a SQLite file that cannot be opened: a clear message naming the file', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'orderflow-db-open-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'order.sqlite'), 'this is not a database file, but it is long enough to be read as one');
    writeFileSync(join(dir, 'not-a-dir'), '');
    await assert.rejects(openDatabase({ url: 'sqlite', dataDir: dir, system: 'order' }), (error: unknown) => {
      assert.ok(isDbError(error, 'DB_OPEN_FAILED'));
      assert.match(error.message, /cannot open the SQLite file .*order\.sqlite of system 'order': file is not a database/);
      return true;
    });
    await assert.rejects(openDatabase({ url: 'sqlite', dataDir: join(dir, 'not-a-dir'), system: 'order' }), (error: unknown) =>
      isDbError(error, 'DB_OPEN_FAILED'),
    );
  });

  it('a pool size that is not a positive whole number', async () => {
    await assert.rejects(openDatabase({ url: 'sqlite', dataDir: '/nonexistent', system: 'order', pool: 0 }), /pool must be a whole number/);
  });
});
