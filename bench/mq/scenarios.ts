/**
 * The messaging benchmark's scenarios, each on a fresh engine instance: send modes, consumption,
 * delay lateness. Figures use the same shape as the peers' (bench/peers/types.ts).
 */
import type { Messaging, Producer } from '../../src/mq/index.js';
import { summarize } from '../peers/stats.js';
import type { Figure } from '../peers/types.js';

export interface ScenarioOptions {
  messages: number;
  bodyBytes: number;
  concurrency: number;
  delayed: number;
  delayMs: number;
  log: (line: string) => void;
  /** Warm-up sends before the sync-send measurement (2,000). */
  warmup?: number;
  /** Messages for the single-sender sync send (min(20,000, messages)). */
  singleSender?: number;
  /** Messages per event-loop turn in the one-way send (1,000). */
  onewayChunk?: number;
  /** Pause between one-way chunks, ms (none: the next event-loop turn). RocketMQ sends every one-way message as a
   * gRPC request with a 3-s timeout, so an unpaced burst of tens of thousands mostly times out. */
  onewayPauseMs?: number;
  /** Offered rate and duration of the push end-to-end phase (5,000 msg/s for 3 s). */
  liveRate?: number;
  liveSeconds?: number;
  /** Messages per receive() in the pull phase (256; at most 32 on RocketMQ). */
  pullBatch?: number;
  /** The first delayed message is due this long after scheduling starts (3 s). */
  delayLeadMs?: number;
  /** Prefix of group names (so every run and scenario has its own groups). */
  groupPrefix?: string;
}

export type EngineFactory = () => Promise<Messaging>;

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
let topicSeq = 0;
const group = (o: ScenarioOptions, kind: string) => `${o.groupPrefix ?? 'bench'}_${kind}_${Date.now().toString(36)}_${++topicSeq}`;

async function freshTopic(mq: Messaging, type: 'NORMAL' | 'DELAY' = 'NORMAL'): Promise<string> {
  const name = `bench_${type.toLowerCase()}_${Date.now().toString(36)}_${++topicSeq}`;
  await mq.admin.createTopic({ name, type, queues: 8 });
  return name;
}

async function withEngine<T>(factory: EngineFactory, run: (mq: Messaging) => Promise<T>): Promise<T> {
  const mq = await factory();
  try {
    return await run(mq);
  } finally {
    await mq.close();
  }
}

/** `senders` loops, each awaiting its send before the next. */
async function closedLoop(
  producer: Producer,
  topic: string,
  body: Buffer | string,
  n: number,
  senders: number,
): Promise<{ ms: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < n) {
        next++;
        const t = performance.now();
        await producer.send({ topic, body });
        lat.push(performance.now() - t);
      }
    }),
  );
  return { ms: performance.now() - started, lat };
}

export async function syncSend(factory: EngineFactory, o: ScenarioOptions): Promise<Figure[]> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const producer = await mq.producer({ topics: [topic] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    await closedLoop(producer, topic, body, o.warmup ?? 2_000, o.concurrency); // warm-up
    o.log(`sync send: ${o.messages} messages, ${o.concurrency} concurrent senders`);
    const { ms, lat } = await closedLoop(producer, topic, body, o.messages, o.concurrency);
    const s = summarize(lat);
    const single = o.singleSender ?? Math.min(20_000, o.messages);
    o.log(`sync send: ${single} messages, 1 sender`);
    const one = await closedLoop(producer, topic, body, single, 1);
    const s1 = summarize(one.lat);
    return [
      { name: `sync send, ${o.concurrency} senders`, unit: 'msg/s', value: rate(o.messages, ms), p50Ms: s.p50, p99Ms: s.p99 },
      { name: 'sync send, 1 sender', unit: 'msg/s', value: rate(one.lat.length, one.ms), p50Ms: s1.p50, p99Ms: s1.p99 },
    ];
  });
}

/** A JSON text of exactly `bytes` UTF-8 bytes, shaped like the events orderflow's systems send. */
export function jsonBody(bytes: number): string {
  const event = {
    type: 'order_paid',
    orderId: 'O-00000000000001',
    userId: 'user1',
    amountCents: 12_900,
    items: [{ skuId: 'SKU-1003', quantity: 1 }],
    note: '',
  };
  const bare = JSON.stringify(event).length;
  if (bare > bytes) throw new Error(`a JSON body of ${bytes} bytes is too small for the event (${bare})`);
  event.note = 'x'.repeat(bytes - bare);
  return JSON.stringify(event);
}

/**
 * Sync send with a string body (JSON of `bodyBytes`, what orderflow's systems send) and with a Buffer of the same
 * size, on one broker, in alternated blocks (Buffer, string, string, Buffer) so that a drift of the machine's speed
 * weighs on both alike. Also this process's CPU time per message, steadier than the rate on a shared machine.
 */
export async function syncSendBodies(factory: EngineFactory, o: ScenarioOptions): Promise<Figure[]> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const producer = await mq.producer({ topics: [topic] });
    const kinds = { Buffer: Buffer.alloc(o.bodyBytes, 7), string: jsonBody(o.bodyBytes) };
    const block = Math.max(500, Math.round(o.messages / 4));
    for (const body of Object.values(kinds)) await closedLoop(producer, topic, body, o.warmup ?? 2_000, o.concurrency); // warm-up
    o.log(`sync send, string vs Buffer bodies: blocks of ${block} messages, ${o.concurrency} senders, Buffer, string, string, Buffer`);
    const totals = { Buffer: { ms: 0, cpuUs: 0, n: 0 }, string: { ms: 0, cpuUs: 0, n: 0 } };
    for (const kind of ['Buffer', 'string', 'string', 'Buffer'] as const) {
      const cpu = process.cpuUsage();
      const { ms } = await closedLoop(producer, topic, kinds[kind], block, o.concurrency);
      const used = process.cpuUsage(cpu);
      totals[kind].ms += ms;
      totals[kind].cpuUs += used.user + used.system;
      totals[kind].n += block;
    }
    const figure = (kind: keyof typeof totals): Figure => ({
      name: `sync send, ${o.concurrency} senders, ${kind === 'string' ? 'string (JSON)' : 'Buffer'} body, alternated`,
      unit: 'msg/s',
      value: rate(totals[kind].n, totals[kind].ms),
      note: `${(totals[kind].cpuUs / totals[kind].n).toFixed(1)} µs of this process's CPU per message; ${totals[kind].n} messages in 2 blocks`,
    });
    const cpuRatio = totals.string.cpuUs / totals.string.n / (totals.Buffer.cpuUs / totals.Buffer.n);
    return [
      figure('string'),
      figure('Buffer'),
      {
        name: 'string body ÷ Buffer body, sync send rate',
        unit: '×',
        value: rate(totals.string.n, totals.string.ms) / rate(totals.Buffer.n, totals.Buffer.ms),
        note: `CPU per message string ÷ Buffer ${cpuRatio.toFixed(3)}×; same broker, same run`,
      },
    ];
  });
}

/** Open loop at a fixed offered rate; latency counted from each message's planned start (no coordinated omission). */
export async function syncSendAtRate(factory: EngineFactory, o: ScenarioOptions, perSecond: number, seconds: number): Promise<Figure> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const producer = await mq.producer({ topics: [topic] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    const total = perSecond * seconds;
    o.log(`sync send at ${perSecond} msg/s offered for ${seconds} s`);
    const lat: number[] = [];
    const pending: Promise<unknown>[] = [];
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond) + 1);
      while (sent < due) {
        const planned = started + (sent / perSecond) * 1000;
        sent++;
        pending.push(producer.send({ topic, body }).then(() => lat.push(performance.now() - planned)));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    const s = summarize(lat);
    return {
      name: `sync send at ${perSecond} msg/s offered`,
      unit: 'ms',
      value: s.p99,
      p50Ms: s.p50,
      p99Ms: s.p99,
      note: `p99.9 ${s.p999.toFixed(2)} ms, max ${s.max.toFixed(1)} ms`,
    };
  });
}

export async function asyncSend(factory: EngineFactory, o: ScenarioOptions, window = 10_000): Promise<Figure> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const producer = await mq.producer({ topics: [topic] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    const n = o.messages * 2;
    o.log(`async send: ${n} messages, at most ${window} in flight`);
    const lat: number[] = [];
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      let issued = 0;
      let done = 0;
      const pump = () => {
        while (issued < n && issued - done < window) {
          const t = performance.now();
          issued++;
          producer.sendAsync(
            { topic, body },
            {
              onSuccess: () => {
                lat.push(performance.now() - t);
                if (++done === n) resolve();
                else if (issued < n && issued - done < window / 2) setImmediate(pump);
              },
              onException: reject,
            },
          );
        }
      };
      pump();
    });
    const ms = performance.now() - started;
    const s = summarize(lat);
    return { name: `async send (≤${window} in flight)`, unit: 'msg/s', value: rate(n, ms), p50Ms: s.p50, p99Ms: s.p99 };
  });
}

export async function onewaySend(factory: EngineFactory, o: ScenarioOptions): Promise<Figure> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const producer = await mq.producer({ topics: [topic] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    const n = o.messages * 2;
    const chunk = o.onewayChunk ?? 1_000;
    const pause = o.onewayPauseMs;
    const pacing = pause ? `${chunk.toLocaleString('en-US')} every ${pause} ms` : `${chunk.toLocaleString('en-US')} per event-loop turn`;
    o.log(`one-way send: ${n} messages, in chunks of ${pacing}`);
    const started = performance.now();
    let callsMs = 0;
    for (let i = 0; i < n; i += chunk) {
      const t = performance.now();
      for (let j = 0; j < Math.min(chunk, n - i); j++) producer.sendOneway({ topic, body });
      callsMs += performance.now() - t;
      await new Promise((r) => (pause ? setTimeout(r, pause) : setImmediate(r)));
    }
    await producer.close(); // waits until every one-way message is stored (or has failed)
    const ms = performance.now() - started;
    const failures = producer.onewayFailures;
    return {
      name: 'one-way send (until all stored)',
      unit: 'msg/s',
      value: rate(n - failures, ms), // stored messages only
      note: `each call returned in ${((callsMs / n) * 1000).toFixed(1)} µs on average; failures ${failures}${pause ? `; chunks of ${pacing}` : ''}`,
    };
  });
}

async function prefill(mq: Messaging, topic: string, n: number, bodyBytes: number, log: (l: string) => void): Promise<void> {
  const producer = await mq.producer({ topics: [topic] });
  const body = Buffer.alloc(bodyBytes, 7);
  log(`  pre-filling ${n} messages`);
  await closedLoop(producer, topic, body, n, 256);
}

export async function pushConsume(factory: EngineFactory, o: ScenarioOptions): Promise<Figure[]> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const n = o.messages * 2;
    await prefill(mq, topic, n, o.bodyBytes, o.log);
    o.log(`push consume: ${n} messages, listener concurrency ${o.concurrency}`);
    let got = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      void mq.pushConsumer({
        group: group(o, 'push'),
        subscriptions: { [topic]: '*' },
        concurrency: o.concurrency,
        listener: () => {
          if (++got === n) resolve();
          return 'SUCCESS';
        },
      });
    });
    const drain = {
      name: `push consume, backlog drained (concurrency ${o.concurrency})`,
      unit: 'msg/s' as const,
      value: rate(n, performance.now() - started),
    };

    // End to end: send → listener, at a steady offered rate.
    const live = await freshTopic(mq);
    const lat: number[] = [];
    await mq.pushConsumer({
      group: group(o, 'live'),
      subscriptions: { [live]: '*' },
      concurrency: o.concurrency,
      listener: (m) => (lat.push(Date.now() - Number(m.properties.t)), 'SUCCESS'),
    });
    const producer = await mq.producer({ topics: [live] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    const liveRate = o.liveRate ?? 5_000;
    const liveSeconds = o.liveSeconds ?? 3;
    const perTick = Math.max(1, Math.round(liveRate / 1_000));
    const tickMs = Math.max(1, Math.round((1_000 * perTick) / liveRate));
    const ticks = Math.round((liveRate * liveSeconds) / perTick);
    const liveTotal = ticks * perTick;
    o.log(`push end-to-end latency at ${liveRate.toLocaleString('en-US')} msg/s for ${liveSeconds} s`);
    for (let i = 0; i < ticks; i++) {
      for (let j = 0; j < perTick; j++) producer.sendOneway({ topic: live, body, properties: { t: String(Date.now()) } });
      await new Promise((r) => setTimeout(r, tickMs));
    }
    const deadline = Date.now() + 10_000;
    while (lat.length < liveTotal && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const s = summarize(lat);
    return [
      drain,
      {
        name: 'push end to end, send → listener',
        unit: 'ms',
        value: s.p99,
        p50Ms: s.p50,
        p99Ms: s.p99,
        note: `${lat.length} messages, offered ~${liveRate.toLocaleString('en-US')} msg/s${slow(lat)}`,
      },
    ];
  });
}

/** How many latencies reached 100 ms and 500 ms (said only when some did). */
function slow(lat: number[]): string {
  const over100 = lat.filter((l) => l >= 100).length;
  return over100 === 0 ? '' : `; ${over100} took ≥ 100 ms, ${lat.filter((l) => l >= 500).length} ≥ 500 ms`;
}

export async function pullConsume(factory: EngineFactory, o: ScenarioOptions): Promise<Figure> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq);
    const n = o.messages * 2;
    await prefill(mq, topic, n, o.bodyBytes, o.log);
    const batchSize = o.pullBatch ?? 256;
    o.log(`pull consume: ${n} messages, receive(${batchSize}) then ack each`);
    const pull = await mq.pullConsumer({ group: group(o, 'pull'), subscriptions: { [topic]: '*' } });
    let got = 0;
    const started = performance.now();
    while (got < n) {
      const batch = await pull.receive(batchSize, 1_000);
      for (const m of batch) await pull.ack(m);
      got += batch.length;
    }
    return { name: `pull consume, receive(${batchSize}) + ack`, unit: 'msg/s', value: rate(n, performance.now() - started) };
  });
}

/** Lateness of delayed messages with `delayed` pending, plus one far-future message per 10 (head-of-line check). */
export async function delayLateness(factory: EngineFactory, o: ScenarioOptions): Promise<Figure> {
  return withEngine(factory, async (mq) => {
    const topic = await freshTopic(mq, 'DELAY');
    const producer = await mq.producer({ topics: [topic] });
    const body = Buffer.alloc(o.bodyBytes, 7);
    const lateness: number[] = [];
    await mq.pushConsumer({
      group: group(o, 'delay'),
      subscriptions: { [topic]: '*' },
      concurrency: o.concurrency,
      listener: (m) => (lateness.push(Date.now() - (m.deliverAt?.getTime() ?? NaN)), 'SUCCESS'),
    });
    const leadMs = o.delayLeadMs ?? 3_000;
    const start = Date.now() + leadMs; // all are scheduled before the first is due
    o.log(`delay: ${o.delayed} messages due over ${o.delayMs} ms from now + ${leadMs / 1000} s, plus ${o.delayed / 10} due in 1 h`);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < o.delayed; i++) {
      sends.push(producer.send({ topic, body, deliverAt: start + Math.floor((i * o.delayMs) / o.delayed) }));
      if (i % 10 === 0) sends.push(producer.send({ topic, body, deliverAt: Date.now() + 3_600_000 }));
      if (sends.length >= 512) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
    if (Date.now() > start)
      o.log(`  warning: scheduling took longer than ${leadMs / 1000} s; early messages were due while still being sent`);
    const deadline = start + o.delayMs + 15_000;
    while (lateness.length < o.delayed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const s = summarize(lateness);
    const early = lateness.filter((l) => l < 0).length;
    return {
      name: `delay lateness, ${o.delayed} + ${o.delayed / 10} pending`,
      unit: 'ms',
      value: s.p99,
      p50Ms: s.p50,
      p99Ms: s.p99,
      note: `max ${s.max} ms; delivered ${lateness.length}/${o.delayed}; early ${early}`,
      ...(lateness.length < o.delayed || early > 0
        ? { violation: `delayed messages: ${o.delayed - lateness.length} of ${o.delayed} not delivered, ${early} delivered early` }
        : {}),
    };
  });
}
