import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify, stripVTControlCharacters } from 'node:util';
import { logFormatOf } from './logger.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./logger.fixture.ts', import.meta.url));
const node = [process.execPath, '--import', 'tsx', fixture];
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('stdout piped: JSON lines from the main thread and from a worker thread', async () => {
  const { stdout } = await run(node[0] as string, node.slice(1));
  const records = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(records.map((r) => r.msg).sort(), ['hello from a worker thread', 'hello from the main thread']);
  assert.equal(records.find((r) => r.msg === 'hello from the main thread')?.orderId, 'o-1');
  assert.ok(
    records.every((r) => r.level === 30 && typeof r.pid === 'number'),
    'pino records',
  );
});

test('stdout a terminal: readable lines, in the worker thread too', {
  skip: hasScript ? false : 'the script command (util-linux), which gives a process a terminal, is not installed',
}, async () => {
  // script(1) runs the command on a pseudo-terminal and copies what it printed.
  const { stdout } = await run('script', ['-qec', node.map((a) => `'${a}'`).join(' '), '/dev/null']);
  const text = stripVTControlCharacters(stdout).replace(/\r/g, '');
  const lines = text.trim().split('\n');
  assert.equal(lines.filter((l) => l.trimStart().startsWith('{')).length, 0, `no JSON line:\n${text}`);
  assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello from the main thread$/m);
  assert.match(text, /^\s+orderId: "o-1"$/m);
  assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello from a worker thread$/m);
  assert.notEqual(stdout, text, 'coloured');
});

test('a file is not a terminal: JSON', () => {
  const fd = fs.openSync('/dev/null', 'w');
  try {
    assert.equal(logFormatOf(fd), 'json');
  } finally {
    fs.closeSync(fd);
  }
});
