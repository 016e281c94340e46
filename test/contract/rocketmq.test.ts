import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { createMessaging, retryDelayMs, type Messaging, type MessagingOptions } from '../../src/mq/index.js';
import { sendThenKill } from '../support/kill-child.js';
import { consumeCases } from './cases-consume.js';
import { crashCases } from './cases-crash.js';
import { pingCases } from './cases-ping.js';
import { sendCases } from './cases-send.js';
import { traceCases } from './cases-trace.js';
import { typedCases } from './cases-typed.js';
import type { ContractContext } from './context.js';

const endpoints = process.env.ROCKETMQ_ENDPOINTS;
// Push consumers retry after RocketMQ's delay levels, scaled: 1 s, 3 s, 6 s, 12 s …
const SCALE = 0.1;
// Our local proxy (scripts/rocketmq) allows 1 s invisible times and long polls; a stock proxy needs 10 s / 5 s.
const options: MessagingOptions = {
  engine: 'rocketmq',
  endpoints,
  namesrv: process.env.ROCKETMQ_NAMESRV_ADDR ?? '127.0.0.1:9876',
  minInvisibleMs: 1_000,
  longPollMs: 1_000,
  retryBackoffScale: SCALE,
  // The suite runs in a namespace of its own, as a deployment sharing the broker would: every case then goes through
  // the namespace's mapping of names, and nothing another suite left on the broker reaches these groups.
  namespace: `contract-${randomBytes(3).toString('hex')}`,
};
const GAPS: Record<string, string> = {
  broadcasting: 'RocketMQ 5.x gRPC consumers have no broadcasting (the protocol and the Node client lack it)',
};

describe('messaging contract: RocketMQ engine', {
  skip: endpoints ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start, then ROCKETMQ_ENDPOINTS=127.0.0.1:8081)',
}, () => {
  let mq: Messaging;
  const reopened: Messaging[] = [];
  before(async () => {
    mq = await createMessaging(options);
  });
  after(async () => {
    for (const m of reopened) await m.close();
    await mq?.close();
  });
  const ctx: ContractContext = {
    mq: () => mq,
    open: async () => createMessaging(options).then((m) => (reopened.push(m), m)),
    skipReason: (capability) => GAPS[capability] ?? `the RocketMQ engine declares no ${capability}`,
    emptyReceiveMs: 1_500,
    invisibleMs: 3_000,
    delayPrecisionMs: 1_500,
    retryDelayMs: (n) => retryDelayMs(n, SCALE),
    // A failed message comes back through the broker's retry topic, which a receive reads only now and then: measured, the
    // back-offs of 1 s, 3 s, 6 s gave redeliveries 5 s, 10 s, 10 s apart, and the dead-lettering came 15 s after the last.
    retryWaitMs: (n) => Array.from({ length: n }, (_, i) => retryDelayMs(i, SCALE) + 10_000).reduce((a, b) => a + b, 0) + 15_000,
    txCheckWaitMs: 40_000,
    adminLagMs: 15_000,
    async killTest(topic, count) {
      const acked = await sendThenKill(options, topic, count);
      return {
        acked,
        reopen: async () => {
          const m = await createMessaging(options);
          reopened.push(m);
          return m;
        },
      };
    },
    // The shared broker is never killed here: a child's kill ends its clients only (a broker's kill is not a test
    // of a shared server; the embedded suite kills its broker).
    forChild: () => ({
      options,
      reopen: async () => {
        const m = await createMessaging(options);
        reopened.push(m);
        return m;
      },
    }),
    // A closing push consumer makes what it hands back visible after its long poll and a request timeout (5 s + 3 s here);
    // the other member's next receive then takes it: seen ~12 s after the close.
    handBackMs: 20_000,
    // A push consumer's message stays invisible for the proxy's invisible time (60 s by default) after its consumer died.
    abandonedRedeliveryMs: 90_000,
    // scripts/rocketmq/start.sh: transactionCheckMax=15, a check every 5 s once the half message is 6 s old.
    transactionCheckMax: { max: 15, open: async () => mq, intervalMs: 5_000, waitMs: 6_000 + 16 * 5_000 + 10_000 },
  };
  sendCases(ctx);
  consumeCases(ctx);
  typedCases(ctx);
  traceCases(ctx);
  pingCases(ctx);
  crashCases(ctx);
});
