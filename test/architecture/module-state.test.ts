/**
 * No module-level mutable state outside an entry file: a `let` or a Map at a module's top level is shared by every
 * caller in the thread, outlives whoever filled it and cannot be told apart in a test. State lives in what a
 * factory returns or a class holds, created by the entry that runs the process or the thread. Constant tables
 * (a ReadonlyMap, a Set of codes) are not state.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.join(import.meta.dirname, '../..');

/** Where a process or a thread starts: its state is the process's or the thread's own. */
const ENTRY_FILES = new Set([
  'src/cli.ts',
  'src/app.ts',
  'src/vendors-app.ts',
  'src/workers/downstream-worker.ts',
  'src/third-parties/simulators-worker.ts',
]);

const TOP_LEVEL_STATE = /^(?:export\s+)?(?:(?:let|var)\s+\w+|const\s+\w+\s*(?::(?!\s*Readonly)[^=]+)?=\s*new\s+(?:Map|WeakMap)\b)/;

/** Each top-level declaration of mutable state, as `file:line: text`. Template literals (code run elsewhere) are skipped. */
function moduleState(file: string, text: string): string[] {
  const withoutTemplates = text.replace(/`[^`]*`/g, (template) => template.replace(/[^\n]/g, ' '));
  return withoutTemplates
    .split('\n')
    .flatMap((line, i) => (TOP_LEVEL_STATE.test(line) ? [`${file}:${i + 1}: ${text.split('\n')[i].trim()}`] : []));
}

test('no module-level let or Map under src/ outside the entry files', () => {
  const files = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name) && !/\.(test|fixture|cases)\.ts$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !ENTRY_FILES.has(file));
  assert.ok(files.length > 100, `read ${files.length} files`);
  assert.deepEqual(
    files.flatMap((file) => moduleState(file, readFileSync(path.join(ROOT, file), 'utf8'))),
    [],
  );
});

test('the check finds a top-level let, var and Map, and leaves constants, nested state and template code alone', () => {
  const source = [
    'let shared: Worker | undefined;',
    'export let count = 0;',
    'var legacy = 1;',
    'const cache = new Map<string, number>();',
    'const byAdapter: WeakMap<object, string> = new WeakMap();',
    'const TABLE: ReadonlyMap<string, number> = new Map([["a", 1]]);',
    "const CODES = new Set(['A']);",
    'function f() {',
    '  let local = 1;',
    '  const seen = new Map();',
    '}',
    'const WORKER = `',
    'let inTheWorker = 0;',
    '`;',
  ].join('\n');
  assert.deepEqual(moduleState('x.ts', source), [
    'x.ts:1: let shared: Worker | undefined;',
    'x.ts:2: export let count = 0;',
    'x.ts:3: var legacy = 1;',
    'x.ts:4: const cache = new Map<string, number>();',
    'x.ts:5: const byAdapter: WeakMap<object, string> = new WeakMap();',
  ]);
});
