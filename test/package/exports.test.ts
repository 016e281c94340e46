import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

/**
 * A script outside the project imports `orderflow/mq` as a user would (the built package through
 * its `exports`), type-checks against the shipped declarations, and runs every part of the API.
 */
test('package: an outside script can import { createMessaging } from "orderflow/mq", with types, and use it', () => {
  const root = path.resolve('.');
  assert.ok(fs.existsSync(path.join(root, 'dist/mq/index.js')), 'dist/ is built by `npm run build` (npm test runs it first)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-user-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'orderflow'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          outDir: 'out',
          skipLibCheck: true,
          types: [],
          typeRoots: [path.join(root, 'node_modules/@types')],
        },
      }),
    );
    fs.writeFileSync(path.join(dir, 'app.ts'), USER_SCRIPT.replaceAll('DATA_DIR', JSON.stringify(path.join(dir, 'data'))));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, `types: ${tsc.stdout}${tsc.stderr}`);
    const run = spawnSync(process.execPath, [path.join(dir, 'out', 'app.js')], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    assert.equal(run.status, 0, `run: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /sync ok\nasync ok\noneway ok\nbatch ok\ntx ok\npush ok\npull ok\nadmin ok\n/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const USER_SCRIPT = `import { createMessaging, isMqError } from 'orderflow/mq';
import type { MessageView } from 'orderflow/mq';
const seen: MessageView[] = [];
const mq = await createMessaging({ engine: 'embedded', dataDir: DATA_DIR });
await mq.admin.createTopic({ name: 'demo', type: 'NORMAL', queues: 4 });
await mq.admin.createTopic({ name: 'demo_tx', type: 'TRANSACTION' });
const producer = await mq.producer({ transactionChecker: () => 'COMMIT' });
const result = await producer.send({ topic: 'demo', tag: 'A', body: 'hello' });
if (typeof result.messageId === 'string') console.log('sync ok');
await new Promise<void>((resolve, reject) => producer.sendAsync({ topic: 'demo', tag: 'B', body: 'later' }, { onSuccess: () => resolve(), onException: reject }));
console.log('async ok');
producer.sendOneway({ topic: 'demo', tag: 'C', body: 'fire' });
console.log('oneway ok');
await producer.sendBatch([{ topic: 'demo', tag: 'A', body: 'b1' }, { topic: 'demo', tag: 'B', body: 'b2' }]);
console.log('batch ok');
const tx = await producer.sendInTransaction({ topic: 'demo_tx', body: 'paid' }, () => 'COMMIT');
if (tx.resolution === 'COMMIT') console.log('tx ok');
const pushed: string[] = [];
await mq.pushConsumer({ group: 'g1', subscriptions: { demo: '*' }, listener: async (m) => {
  pushed.push(m.body.toString());
  seen.push(m);
  return 'SUCCESS';
} });
while (pushed.length < 5) await new Promise((r) => setTimeout(r, 20));
console.log('push ok');
const pull = await mq.pullConsumer({ group: 'g2', subscriptions: { demo: 'A || B' } });
const batch = await pull.receive(16, 1000);
for (const m of batch) await pull.ack(m);
if (batch.length === 4) console.log('pull ok');
const trace = await mq.admin.findMessage(result.messageId);
try { await producer.send({ topic: 'nope', body: 'x' }); } catch (e) { if (isMqError(e) && trace && (await mq.admin.backlog()).length > 0) console.log('admin ok'); }
await mq.close();
`;
