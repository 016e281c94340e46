/**
 * The import graph's direction, held against the source (every import under src/, tests included):
 *
 * - src/mq is the published package `orderflow/mq`: its files import nothing of ours outside src/mq;
 * - no system imports the thread plumbing above it (src/workers), nor the HTTP layer's internals: its routes use
 *   the small API of src/http/index.ts (route(), signToken);
 * - a system's files are its own: from outside src/systems/X, only src/systems/X/index.ts is imported.
 *   src/systems/shared/ (topics, message bodies, the consumer plumbing) is what systems agree on: anyone may
 *   import it, and it imports no system.
 *
 * Imports are read with a regex over `from '…'`, `import '…'` and `import('…')`: plain, and enough for this code.
 * To look by hand: grep -rn "from '\.\./" src/systems
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.join(import.meta.dirname, '../..');

interface SourceFile {
  /** Relative to the repository, with forward slashes: `src/systems/order/pay-order.ts`. */
  file: string;
  text: string;
}

function sourcesUnder(dir: string): SourceFile[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}dashboard${path.sep}`)) // browser code: ES modules served as they are
    .map((file) => ({ file: path.relative(ROOT, file).split(path.sep).join('/'), text: readFileSync(file, 'utf8') }));
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** The repository path a relative import resolves to (`.js` read as the `.ts` it is built from), or undefined for a package. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.js$/, '.ts');
}

/** `order` for src/systems/order/…, `shared` for src/systems/shared/…, undefined outside a system's folder. */
function systemOf(file: string): string | undefined {
  return /^src\/systems\/([^/]+)\//.exec(file)?.[1];
}

/** Every import that breaks a rule, as `file → target: rule`. */
function importViolations(sources: SourceFile[]): string[] {
  const found: string[] = [];
  for (const { file, text } of sources) {
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      const target = resolve(file, specifier);
      if (!target) continue;
      const report = (rule: string) => found.push(`${file} → ${target}: ${rule}`);
      if (file.startsWith('src/mq/') && !target.startsWith('src/mq/')) report('orderflow/mq imports nothing outside src/mq');
      const system = systemOf(file);
      if (system && target.startsWith('src/workers/')) report('a system does not import the worker plumbing');
      if (system && target.startsWith('src/http/') && target !== 'src/http/index.ts')
        report('a system uses src/http through its index.ts only');
      const targetSystem = systemOf(target);
      if (!targetSystem || targetSystem === system) continue;
      if (system === 'shared') report('src/systems/shared imports no system');
      else if (targetSystem !== 'shared' && target !== `src/systems/${targetSystem}/index.ts`) {
        report(`from outside, a system is reached through its index.ts only (src/systems/${targetSystem}/index.ts)`);
      }
    }
  }
  return found;
}

test('imports under src/ point one way: mq self-contained, systems above no worker, systems and http through their index.ts', () => {
  const sources = sourcesUnder('src');
  assert.ok(sources.length > 100, `read ${sources.length} files under src/`);
  assert.deepEqual(importViolations(sources), []);
});

test('the check catches each kind of wrong import (so an empty list above means something)', () => {
  const violations = importViolations([
    { file: 'src/mq/embedded/broker.ts', text: "import { startCheckpointer } from '../../db/sqlite-checkpointer.js';" },
    { file: 'src/mq/index.ts', text: "export { x } from './types.js';\nimport fs from 'node:fs';" },
    { file: 'src/systems/push/push-system.ts', text: "import type { ConsumingMessaging } from '../../workers/mq-bridge.js';" },
    {
      file: 'src/systems/order/routes.ts',
      text: "import { route } from '../../http/index.js';\nimport { replyError } from '../../http/error-handler.js';",
    },
    { file: 'src/systems/coupons/coupons-system.ts', text: "import type { CouponsForOrders } from '../order/context.js';" },
    {
      file: 'src/systems/refund/refund-worker.ts',
      text: "import { OrderStatus } from '../order/index.js';\nimport { Topics } from '../shared/topics.js';",
    },
    { file: 'src/systems/shared/topics.ts', text: "import { OrderStatus } from '../order/index.js';" },
    {
      file: 'src/app.ts',
      text: "const m = await import('./systems/flash-sale/routes.js');\nimport { x } from './systems/order/index.js';",
    },
    { file: 'src/workers/compose.ts', text: "import { createPushSystem } from '../systems/push/push-system.js';" },
  ]);
  assert.deepEqual(violations, [
    'src/mq/embedded/broker.ts → src/db/sqlite-checkpointer.ts: orderflow/mq imports nothing outside src/mq',
    'src/systems/push/push-system.ts → src/workers/mq-bridge.ts: a system does not import the worker plumbing',
    'src/systems/order/routes.ts → src/http/error-handler.ts: a system uses src/http through its index.ts only',
    'src/systems/coupons/coupons-system.ts → src/systems/order/context.ts: from outside, a system is reached through its index.ts only (src/systems/order/index.ts)',
    'src/systems/shared/topics.ts → src/systems/order/index.ts: src/systems/shared imports no system',
    'src/app.ts → src/systems/flash-sale/routes.ts: from outside, a system is reached through its index.ts only (src/systems/flash-sale/index.ts)',
    'src/workers/compose.ts → src/systems/push/push-system.ts: from outside, a system is reached through its index.ts only (src/systems/push/index.ts)',
  ]);
});
