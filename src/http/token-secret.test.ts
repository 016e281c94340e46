import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../config.js';
import { loadOrCreateTokenSecret, TOKEN_SECRET_FILE } from './token-secret.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-secret-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('token secret: made once (64 hex, file mode 0600, no temporary file left), then read back unchanged', (t) => {
  const dir = tempDir(t);
  const first = loadOrCreateTokenSecret(dir);
  assert.equal(first.created, true);
  assert.match(first.secret, /^[0-9a-f]{64}$/);
  assert.equal(first.file, path.join(dir, TOKEN_SECRET_FILE));
  if (process.platform !== 'win32') assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), [TOKEN_SECRET_FILE]);
  const second = loadOrCreateTokenSecret(dir);
  assert.deepEqual([second.secret, second.created], [first.secret, false]);
});

test('token secret: an existing file is read as it is, never replaced', (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, TOKEN_SECRET_FILE), 'written-by-the-other-process\n', { mode: 0o600 });
  assert.deepEqual(loadOrCreateTokenSecret(dir), {
    secret: 'written-by-the-other-process',
    file: path.join(dir, TOKEN_SECRET_FILE),
    created: false,
  });
  assert.equal(fs.readFileSync(path.join(dir, TOKEN_SECRET_FILE), 'utf8'), 'written-by-the-other-process\n');
});

test('token secret: a file with no usable secret stops start-up with one line naming the file and the setting', (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, TOKEN_SECRET_FILE), '\n');
  assert.throws(
    () => loadOrCreateTokenSecret(dir),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.variable === 'ORDERFLOW_TOKEN_SECRET' &&
      error.message.includes(path.join(dir, TOKEN_SECRET_FILE)),
  );
});
