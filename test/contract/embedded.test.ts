import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { createMessaging, retryDelayMs, type Messaging } from '../../src/mq/index.js';
import { sendThenKill } from '../support/kill-child.js';
import { consumeCases } from './cases-consume.js';
import { crashCases } from './cases-crash.js';
import { pingCases } from './cases-ping.js';
import { sendCases } from './cases-send.js';
import { traceCases } from './cases-trace.js';
import { typedCases } from './cases-typed.js';
import type { ContractContext } from './context.js';

const SCALE = 0.01; // retries after 100 ms, 300 ms, 600 ms, …
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-mq-'));
  dirs.push(dir);
  return dir;
};
const options = (dataDir: string) => ({
  engine: 'embedded' as const,
  dataDir,
  retryBackoffScale: SCALE,
  transactionCheckIntervalMs: 200,
  transactionCheckImmunityMs: 200,
});

describe('messaging contract: embedded engine', () => {
  let mq: Messaging;
  before(async () => {
    mq = await createMessaging(options(tempDir()));
  });
  after(async () => {
    await mq.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const ctx: ContractContext = {
    mq: () => mq,
    open: async () => createMessaging(options(tempDir())).then((m) => (closeLater.push(m), m)),
    skipReason: (capability) => `the embedded engine declares no ${capability}`,
    emptyReceiveMs: 200,
    invisibleMs: 300,
    delayPrecisionMs: 100,
    retryDelayMs: (n) => retryDelayMs(n, SCALE),
    retryWaitMs: (n) => Array.from({ length: n }, (_, i) => retryDelayMs(i, SCALE)).reduce((a, b) => a + b, 0) + 3_000,
    txCheckWaitMs: 5_000,
    adminLagMs: 1_000,
    async killTest(topic, count) {
      const dir = tempDir();
      const acked = await sendThenKill(options(dir), topic, count);
      return { acked, reopen: async () => createMessaging(options(dir)).then((m) => (closeLater.push(m), m)) };
    },
    forChild() {
      const dir = tempDir();
      return { options: options(dir), reopen: async () => createMessaging(options(dir)).then((m) => (closeLater.push(m), m)) };
    },
    handBackMs: 1_000, // nothing is handed back: what is not taken stays in the store, for the next member at once
    abandonedRedeliveryMs: 10_000, // the store is reopened: what was in flight is delivered again at once
    transactionCheckMax: {
      max: 3,
      open: async () => createMessaging({ ...options(tempDir()), transactionCheckMax: 3 }).then((m) => (closeLater.push(m), m)),
      intervalMs: 200,
      waitMs: 5_000,
    },
  };
  const closeLater: Messaging[] = [];
  after(async () => {
    for (const m of closeLater) await m.close();
  });

  sendCases(ctx);
  consumeCases(ctx);
  typedCases(ctx);
  traceCases(ctx);
  pingCases(ctx);
  crashCases(ctx);
});
