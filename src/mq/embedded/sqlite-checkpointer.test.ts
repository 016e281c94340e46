import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CheckpointingThread } from './sqlite-checkpointer.js';

/** A SQLite file in WAL mode that never checkpoints by itself, with about 1 MiB written to its WAL. */
function writer(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (b BLOB)');
  db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(1 << 20, 7));
  return db;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('one checkpointing thread copies the WAL of each file it watches into the file, and ends with the last one stopped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-checkpoint-'));
  const files = ['a.sqlite', 'b.sqlite'].map((name) => path.join(dir, name));
  const dbs = files.map(writer);
  try {
    const thread = new CheckpointingThread();
    assert.equal(thread.running, false, 'no thread before a file is watched');
    const errors: string[] = [];
    const [a, b] = files.map((file) => thread.watch(file, 20, (message) => errors.push(message)));
    assert.equal(thread.running, true);
    // Checkpointed: the 1 MiB is in the database file itself, not only in its WAL.
    await until(() => files.every((file) => fs.statSync(file).size >= 1 << 20), 'both files hold their data');
    await a.stop();
    assert.equal(thread.running, true, 'the thread serves the other file still');
    await b.stop();
    assert.equal(thread.running, false, 'the last file stopped ends the thread');
    // Watching again starts a new thread, which checkpoints as the first did.
    dbs[0].prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(1 << 20, 8));
    const again = thread.watch(files[0], 20, (message) => errors.push(message));
    assert.equal(thread.running, true);
    await until(() => fs.statSync(files[0]).size >= 2 << 20, 'the new thread checkpoints');
    await again.stop();
    assert.equal(thread.running, false);
    assert.deepEqual(errors, []);
  } finally {
    for (const db of dbs) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
