/**
 * BullMQ 5 against the local Redis: the queue a Node user would most likely pick instead of our broker.
 *
 *   npx tsx bench/peers/bullmq.ts [--messages=50000 --bodyBytes=1024 --concurrency=64 --delayed=10000 --delayMs=5000] [--json]
 *
 * Redis address: REDIS_HOST / REDIS_PORT (default 127.0.0.1:6379). Every phase uses its own queue
 * named orderflow-bench-<run>-<phase>, obliterated when the phase ends (also on failure).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { PHASE_BUDGET_MS, isMain, makeBody, packageVersion, progress, runStandalone, within } from './common.js';
import { round, summarize } from './stats.js';
import type { Figure, PeerOptions, PeerResult } from './types.js';

interface BenchData {
  body: string;
  dueAt?: number;
}

const connection = {
  host: process.env.REDIS_HOST ?? '127.0.0.1',
  port: Number(process.env.REDIS_PORT ?? 6379),
};

const BULK_CHUNK = 1000;
/** Smaller batches for the delayed phase: one addBulk is one MULTI that holds Redis while due jobs wait. */
const DELAYED_CHUNK = 100;

function latencyNote(lat: number[], extra?: string): { p50Ms: number; p99Ms: number; note: string } {
  const s = summarize(lat);
  const note = `p99.9 ${round(s.p999)} ms, max ${round(s.max)} ms` + (extra ? `; ${extra}` : '');
  return { p50Ms: round(s.p50), p99Ms: round(s.p99), note };
}

/** Cross-checks that Redis really holds what we think we added (figures are worthless otherwise). */
async function countNote(queue: Queue<BenchData>, expected: number): Promise<string | undefined> {
  const held = await queue.count();
  return held === expected ? undefined : `Redis holds ${held} jobs, expected ${expected}`;
}

function budgetNote(done: number, total: number): string | undefined {
  return done < total ? `stopped at the ${PHASE_BUDGET_MS / 1000}s phase budget after ${done} of ${total}` : undefined;
}

interface RedisFacts {
  version: string;
  appendonly: string;
  save: string;
  appendfsync: string;
  hz: string;
}

/** Reads the settings that decide durability and timer resolution from the Redis we talk to. */
async function redisFacts(): Promise<RedisFacts> {
  const client = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const get = async (key: string): Promise<string> => {
      const reply = (await client.config('GET', key)) as unknown as string[];
      return reply[1] ?? '?';
    };
    const info = await client.info('server');
    return {
      version: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
      appendonly: await get('appendonly'),
      save: await get('save'),
      appendfsync: await get('appendfsync'),
      hz: await get('hz'),
    };
  } finally {
    client.disconnect();
  }
}

/** Describes what the Redis actually keeps, from CONFIG GET (not from assumptions). */
function describeDurability(f: RedisFacts): string {
  const observed = `Redis ${f.version}: appendonly=${f.appendonly}, save="${f.save}", appendfsync=${f.appendfsync}`;
  if (f.appendonly !== 'yes' && f.save.trim() === '') {
    return `${observed} -> no AOF and no RDB: jobs live only in Redis memory; a Redis crash or restart loses all jobs. add() resolves once the job is in Redis memory.`;
  }
  if (f.appendonly !== 'yes') {
    return `${observed} -> RDB snapshots only: a Redis crash loses every job added since the last snapshot.`;
  }
  const fsync =
    f.appendfsync === 'always'
      ? 'AOF fsynced on every write: an acknowledged add survives a crash'
      : f.appendfsync === 'everysec'
        ? 'AOF fsynced once a second: a Redis process crash keeps acknowledged adds, an OS crash or power loss can lose about the last second'
        : 'AOF written but fsync left to the OS: an OS crash or power loss can lose recent adds';
  return `${observed} -> ${fsync}.`;
}

export async function benchBullmq(opts: PeerOptions): Promise<PeerResult> {
  const { messages, bodyBytes, concurrency, delayed, delayMs } = opts;
  const log = opts.onProgress ?? (() => {});
  const run = `orderflow-bench-${Date.now().toString(36)}-${process.pid}`;
  const body = makeBody(bodyBytes);
  const figures: Figure[] = [];
  const facts = await redisFacts();
  const durability = describeDurability(facts);

  /** Opens a queue for one phase and always obliterates + closes it afterwards. */
  async function withQueue<T>(phase: string, fn: (q: Queue<BenchData>) => Promise<T>): Promise<T> {
    const queue = new Queue<BenchData>(`${run}-${phase}`, { connection });
    await queue.waitUntilReady();
    try {
      return await fn(queue);
    } finally {
      try {
        await queue.obliterate({ force: true });
      } catch (err) {
        log(`bullmq ${phase}: obliterate failed: ${String(err)}`);
      }
      await queue.close();
    }
  }

  // (a) sequential awaited adds
  await withQueue('add1', async (queue) => {
    log(`bullmq: queue prefix ${run}; ${durability}`);
    const tick = progress(log, 'bullmq add one by one', messages);
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      if (performance.now() - t0 > PHASE_BUDGET_MS) break;
      const s = performance.now();
      await queue.add('bench', { body });
      lat.push(performance.now() - s);
      tick(i + 1);
    }
    const secs = (performance.now() - t0) / 1000;
    const extra = [budgetNote(lat.length, messages), await countNote(queue, lat.length)].filter(Boolean).join('; ');
    figures.push({ name: 'add one by one', unit: 'msg/s', value: lat.length / secs, ...latencyNote(lat, extra) });
  });

  // (b) `concurrency` adds in flight
  await withQueue('addc', async (queue) => {
    const tick = progress(log, `bullmq add with ${concurrency} in flight`, messages);
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (next < messages && performance.now() - t0 <= PHASE_BUDGET_MS) {
        next++;
        const s = performance.now();
        await queue.add('bench', { body });
        lat.push(performance.now() - s);
        tick(lat.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
    const secs = (performance.now() - t0) / 1000;
    const extra = [budgetNote(lat.length, messages), await countNote(queue, lat.length)].filter(Boolean).join('; ');
    figures.push({ name: `add with ${concurrency} in flight`, unit: 'msg/s', value: lat.length / secs, ...latencyNote(lat, extra) });
  });

  // (c) pre-fill with addBulk, then one Worker with `concurrency` drains it
  await withQueue('proc', async (queue) => {
    const fillTick = progress(log, 'bullmq pre-fill (addBulk)', messages);
    for (let i = 0; i < messages; i += BULK_CHUNK) {
      const n = Math.min(BULK_CHUNK, messages - i);
      await queue.addBulk(Array.from({ length: n }, () => ({ name: 'bench', data: { body }, opts: { removeOnComplete: true } })));
      fillTick(i + n);
    }
    const fillProblem = await countNote(queue, messages);
    const tick = progress(log, `bullmq process (concurrency ${concurrency})`, messages);
    let completed = 0;
    let failed = 0;
    let lastAt = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const worker = new Worker<BenchData>(queue.name, async () => {}, { connection, concurrency, autorun: false });
    worker.on('completed', () => {
      completed++;
      lastAt = performance.now();
      tick(completed);
      if (completed + failed >= messages) resolveDone();
    });
    worker.on('failed', () => {
      failed++;
      if (completed + failed >= messages) resolveDone();
    });
    worker.on('error', (err) => log(`bullmq worker error: ${String(err)}`));
    await worker.waitUntilReady();
    const t0 = performance.now();
    const running = worker.run();
    const timedOut = !(await within(done, PHASE_BUDGET_MS));
    await worker.close();
    await running;
    const secs = ((lastAt || performance.now()) - t0) / 1000;
    const notes = [`N / (worker start -> last completion), removeOnComplete: true`];
    if (fillProblem) notes.push(`pre-fill: ${fillProblem}`);
    if (failed) notes.push(`${failed} failed`);
    const left = await queue.getJobCounts('wait', 'active', 'delayed', 'completed');
    const leftTotal = Object.values(left).reduce((a, b) => a + b, 0);
    if (!timedOut && leftTotal > 0) notes.push(`left in Redis after the run: ${JSON.stringify(left)}`);
    if (timedOut) notes.push(`stopped at the ${PHASE_BUDGET_MS / 1000}s phase budget after ${completed} of ${messages}`);
    figures.push({ name: 'process', unit: 'msg/s', value: completed / secs, note: notes.join('; ') });
  });

  // (d) delayed jobs due spread over the next delayMs; lateness = processedAt - dueAt
  if (delayed > 0) {
    await withQueue('delay', async (queue) => {
      const lateness: number[] = [];
      const dueAts: number[] = [];
      let resolveDone!: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));
      const tick = progress(log, `bullmq delayed jobs processed`, delayed);
      const worker = new Worker<BenchData>(
        queue.name,
        async (job: Job<BenchData>) => {
          const processedAt = Date.now();
          const dueAt = job.data.dueAt ?? processedAt;
          lateness.push(processedAt - dueAt);
          dueAts.push(dueAt);
          tick(lateness.length);
          if (lateness.length >= delayed) resolveDone();
        },
        { connection, concurrency },
      );
      worker.on('error', (err) => log(`bullmq worker error: ${String(err)}`));
      await worker.waitUntilReady();
      // Job i is due delay_i = i * delayMs / delayed after the moment it is added (the same definition
      // BullMQ uses: timestamp + delay); dueAt is carried in the payload so the processor can measure.
      const addTick = progress(log, `bullmq delayed add (addBulk of ${DELAYED_CHUNK})`, delayed);
      const addsStartedAt = Date.now();
      for (let i = 0; i < delayed; i += DELAYED_CHUNK) {
        const n = Math.min(DELAYED_CHUNK, delayed - i);
        const now = Date.now();
        await queue.addBulk(
          Array.from({ length: n }, (_, k) => {
            const delay = Math.round(((i + k) * delayMs) / delayed);
            return { name: 'bench', data: { body, dueAt: now + delay }, opts: { delay, removeOnComplete: true } };
          }),
        );
        addTick(i + n);
      }
      const addsDoneAt = Date.now();
      const timedOut = !(await within(done, delayMs + PHASE_BUDGET_MS));
      await worker.close();
      const s = summarize(lateness);
      const notes = [
        `value = max; ${lateness.length} jobs due over ${delayMs} ms, worker concurrency ${concurrency}, p99.9 ${round(s.p999)} ms`,
        // The worker waits for the next due job with BZPOPMIN and a timeout; Redis serves blocking
        // timeouts on its 1/hz housekeeping tick, so lateness of roughly 0..1000/hz ms is expected.
        `Redis hz=${facts.hz} (blocking timeouts fire on a ${Math.round(1000 / Number(facts.hz || 10))} ms tick)`,
      ];
      // Jobs due while the producer was still adding compete with the adds for Redis and the event loop;
      // show the jobs due after the last add separately so the two effects can be told apart.
      const afterAdds = lateness.filter((_, k) => dueAts[k] > addsDoneAt);
      if (afterAdds.length && afterAdds.length < lateness.length) {
        const a = summarize(afterAdds);
        notes.push(
          `${lateness.length - afterAdds.length} jobs were due before the last add returned (adding took ${addsDoneAt - addsStartedAt} ms); ` +
            `the ${afterAdds.length} due after it: p50 ${round(a.p50)}, p99 ${round(a.p99)}, max ${round(a.max)} ms`,
        );
      }
      if (timedOut) notes.push(`only ${lateness.length} of ${delayed} processed before the timeout`);
      figures.push({
        name: 'delayed-job lateness',
        unit: 'ms',
        value: round(s.max),
        p50Ms: round(s.p50),
        p99Ms: round(s.p99),
        note: notes.join('; '),
      });
    });
  }

  return { peer: 'BullMQ', version: packageVersion(import.meta.url, 'bullmq'), durability, figures };
}

if (isMain(import.meta.url)) {
  await runStandalone(benchBullmq);
}
