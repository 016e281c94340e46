/**
 * `npm run bench -- mq [--engine embedded|rocketmq|both] [--messages N] [--no-peers] [--peers]`: the messaging benchmark.
 * Measures our engine's send modes, consumption and delay lateness, then BullMQ (local Redis)
 * and plainjobs (SQLite) with the same message size and concurrency, and prints the ratios.
 *
 * - `--engine embedded` (default): as it always was (100,000 messages per phase, peers unless `--no-peers`).
 * - `--engine rocketmq`: the same scenarios on Apache RocketMQ 5.x (proxy `--endpoints`, NameServer `--namesrv`),
 *   with counts it can do in reasonable time: `--rocketmq-messages` (20,000), `--rocketmq-delayed` (10,000 due over 10 s),
 *   receive(32) for pull; peers only with `--peers`.
 * - `--engine both`: both engines with the RocketMQ counts (the embedded broker runs the same reduced scenarios),
 *   one table with a column per engine and the ratio; peers only with `--peers`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessaging } from '../../src/mq/index.js';
import { benchBullmq } from '../peers/bullmq.js';
import { benchPlainjobs } from '../peers/plainjobs.js';
import { round } from '../peers/stats.js';
import type { Figure, PeerResult } from '../peers/types.js';
import { machine, printTable, saveResults, type Section } from '../report.js';
import * as s from './scenarios.js';
import { againstFloor, fasterFloor, type Floor, sqliteInsertFloor } from './sqlite-floor.js';

type Engine = 'embedded' | 'rocketmq';
type Log = (line: string) => void;

const EMBEDDED_DURABILITY = 'every acknowledged send survives kill -9 (SQLite WAL, synchronous=NORMAL)';

export async function runMqBench(args: Map<string, string | true>): Promise<void> {
  const baseLog: Log = (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const mode = String(args.get('engine') ?? 'embedded');
  if (mode !== 'embedded' && mode !== 'rocketmq' && mode !== 'both') {
    console.error(`--engine must be embedded, rocketmq or both, not '${mode}'`);
    process.exit(2);
  }
  if (mode === 'embedded') return runEmbeddedOnly(args, baseLog);

  const o = rocketmqOptions(args, baseLog);
  const engines: Engine[] = mode === 'both' ? ['embedded', 'rocketmq'] : ['rocketmq'];
  const results = new Map<Engine, Figure[]>();
  const started = Date.now();
  for (const engine of engines) {
    const log: Log = (line) => baseLog(`${engine}: ${line}`);
    log(`start (${describeCounts(o)})`);
    results.set(engine, await runEngine(engine, args, { ...o, log, groupPrefix: `bench_${engine === 'embedded' ? 'emb' : 'rmq'}` }));
    log(
      `done after ${((Date.now() - started) / 1000).toFixed(0)} s in all; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  }
  const durability: Record<Engine, string> = { embedded: EMBEDDED_DURABILITY, rocketmq: rocketmqDurability() };
  const peers = args.has('peers') ? await runPeers(o.messages, baseLog) : [];

  console.log('');
  const sections: Section[] = [];
  if (mode === 'both') {
    printSideBySide(results.get('embedded')!, results.get('rocketmq')!, o, durability);
  } else {
    console.log(`counts: ${describeCounts(o)}`);
  }
  for (const engine of engines)
    sections.push({ title: `orderflow ${engine}`, durability: durability[engine], figures: results.get(engine)! });
  for (const p of peers) sections.push({ title: `${p.peer} ${p.version}`, durability: p.durability, figures: p.figures });
  for (const engine of engines) {
    const ratios = compare(results.get(engine)!, peers);
    if (ratios.length > 0) sections.push({ title: `ratios (orderflow ${engine} / peer)`, figures: ratios });
  }
  // In `both` mode the side-by-side table is the result; the sectioned table is printed only for peers or one engine.
  if (mode !== 'both' || peers.length > 0) {
    if (mode === 'both') console.log('');
    printTable(mode === 'both' ? sections.filter((x) => !x.title.startsWith('orderflow ')) : sections);
  }
  const file = saveResults('mq', {
    engine: mode,
    options: { ...o, log: undefined },
    counts: describeCounts(o),
    sections,
    ...(mode === 'both' ? { sideBySide: sideBySideRows(results.get('embedded')!, results.get('rocketmq')!) } : {}),
  });
  console.log(`\nresults: ${file}`);
  failOnViolations(sections);
}

/** The default run, unchanged: the embedded broker with 100,000 messages per phase, then the peers. */
async function runEmbeddedOnly(args: Map<string, string | true>, log: Log): Promise<void> {
  const messages = Number(args.get('messages') ?? 100_000);
  const o: s.ScenarioOptions = {
    messages,
    bodyBytes: 1024,
    concurrency: 64,
    delayed: Number(args.get('delayed') ?? 100_000),
    delayMs: 10_000,
    log,
  };
  const floorBefore = measureFloor(o, log);
  const figures = await runEngine('embedded', args, o);
  figures.push(...(await s.syncSendBodies(embeddedFactory(), o)));
  const sections: Section[] = [{ title: 'orderflow embedded', durability: EMBEDDED_DURABILITY, figures }];
  sections.push(floorSection(figures, floorBefore, measureFloor(o, log)));
  const peers = args.has('no-peers') ? [] : await runPeers(messages, log);
  for (const p of peers) sections.push({ title: `${p.peer} ${p.version}`, durability: p.durability, figures: p.figures });
  const ratios = compare(figures, peers);
  if (ratios.length > 0) sections.push({ title: 'ratios (orderflow / peer)', figures: ratios });
  console.log('');
  printTable(sections);
  const m = machine();
  console.log(
    `\nmachine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const file = saveResults('mq', { engine: 'embedded', options: { ...o, log: undefined }, sections });
  console.log(`\nresults: ${file}`);
  failOnViolations(sections);
}

/** A store opened in a directory of its own, removed when the engine closes. */
function embeddedFactory(): s.EngineFactory {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
    const mq = await createMessaging({ engine: 'embedded', dataDir: dir });
    const close = mq.close.bind(mq);
    mq.close = async () => {
      await close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return mq;
  };
}

/** The SQLite insert floor (sqlite-floor.ts) with this run's message count and size, or why it could not run. */
function measureFloor(o: s.ScenarioOptions, log: Log): Floor | Error {
  try {
    const floor = sqliteInsertFloor({ rows: o.messages, bodyBytes: o.bodyBytes, batch: o.concurrency, largeBatch: 1_000, log });
    const failed = [floor.single, floor.batched, floor.large].filter((f) => !(f.value > 0));
    return failed.length > 0 ? new Error(`${failed.map((f) => f.name).join(', ')}: no rate measured`) : floor;
  } catch (error) {
    return error as Error;
  }
}

/**
 * The floor, measured before and after the sends of this run, and every send rate divided by it. A floor that could
 * not be measured is a violation: the ratios are what this benchmark reports, and without the floor there are none.
 */
function floorSection(figures: Figure[], before: Floor | Error, after: Floor | Error): Section {
  const title = "floor: raw SQLite inserts with the broker's store settings, and send ÷ floor";
  if (before instanceof Error || after instanceof Error) {
    const message = `the SQLite insert floor could not run: ${(before instanceof Error ? before : (after as Error)).message}`;
    return { title, figures: [{ name: 'SQLite insert floor', unit: 'msg/s', value: 0, violation: message }] };
  }
  const floor = fasterFloor(before, after);
  return { title, figures: [floor.single, floor.batched, floor.large, ...againstFloor(figures, floor)] };
}

/** Prints every broken invariant the figures carry and makes the run exit 1 (after its figures were printed and kept). */
function failOnViolations(sections: Section[]): void {
  const violations = sections.flatMap((section) =>
    section.figures.flatMap((f) => (f.violation ? [`${section.title}: ${f.violation}`] : [])),
  );
  for (const v of violations) console.error(`VIOLATION ${v}`);
  if (violations.length > 0) process.exitCode = 1;
}

/** Counts RocketMQ can do in reasonable time (also used for the embedded column in `both`). */
function rocketmqOptions(
  args: Map<string, string | true>,
  log: Log,
): s.ScenarioOptions & { atRate: number; atRateSeconds: number; asyncWindow: number } {
  const num = (name: string, fallback: number) => {
    const v = args.get(name);
    return v === undefined || v === true ? fallback : Number(v);
  };
  const messages = num('rocketmq-messages', num('messages', 20_000));
  return {
    messages,
    bodyBytes: 1024,
    concurrency: 64,
    delayed: num('rocketmq-delayed', num('delayed', 10_000)),
    delayMs: 10_000,
    log,
    warmup: Math.min(2_000, Math.max(200, Math.round(messages / 10))),
    singleSender: num('rocketmq-single', Math.min(1_000, messages)),
    // Paced: an unpaced burst of 40,000 one-way sends lost 79 % of them to the 3-s request timeout on RocketMQ.
    onewayChunk: num('rocketmq-oneway-chunk', 30),
    onewayPauseMs: num('rocketmq-oneway-pause-ms', 10),
    liveRate: num('rocketmq-live-rate', 500),
    liveSeconds: 3,
    pullBatch: 32,
    delayLeadMs: num('rocketmq-delay-lead-ms', 10_000),
    atRate: num('rocketmq-rate', 1_000),
    atRateSeconds: 5,
    asyncWindow: num('rocketmq-async-window', 1_000),
  };
}

function describeCounts(o: ReturnType<typeof rocketmqOptions>): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return [
    `sync send ${n(o.messages)} (64 senders, after ${n(o.warmup ?? 0)} warm-up) + ${n(o.singleSender ?? 0)} (1 sender)`,
    `open loop ${n(o.atRate)} msg/s for ${o.atRateSeconds} s`,
    `async ${n(o.messages * 2)} (≤${n(o.asyncWindow)} in flight)`,
    `one-way ${n(o.messages * 2)} (chunks of ${n(o.onewayChunk ?? 0)} every ${o.onewayPauseMs} ms)`,
    `push drain ${n(o.messages * 2)}`,
    `push end to end ${n(o.liveRate ?? 0)} msg/s for ${o.liveSeconds} s`,
    `pull ${n(o.messages * 2)} with receive(${o.pullBatch})`,
    `delay ${n(o.delayed)} due over ${o.delayMs / 1000} s (+${n(o.delayed / 10)} due in 1 h), scheduled ${(o.delayLeadMs ?? 0) / 1000} s ahead`,
    '1 KiB bodies',
  ].join('; ');
}

async function runEngine(
  engine: Engine,
  args: Map<string, string | true>,
  o: s.ScenarioOptions & { atRate?: number; atRateSeconds?: number; asyncWindow?: number },
): Promise<Figure[]> {
  const dirs: string[] = [];
  const factory: s.EngineFactory =
    engine === 'embedded'
      ? async () => {
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
          dirs.push(dir);
          return createMessaging({ engine: 'embedded', dataDir: dir });
        }
      : () =>
          createMessaging({
            engine: 'rocketmq',
            endpoints: String(args.get('endpoints') ?? process.env.ROCKETMQ_ENDPOINTS ?? '127.0.0.1:8081'),
            namesrv: String(args.get('namesrv') ?? process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876'),
            minInvisibleMs: 1_000,
            longPollMs: 1_000,
          });
  const figures: Figure[] = [];
  try {
    figures.push(...(await s.syncSend(factory, o)));
    figures.push(await s.syncSendAtRate(factory, o, o.atRate ?? 10_000, o.atRateSeconds ?? 5));
    figures.push(await s.asyncSend(factory, o, o.asyncWindow ?? 10_000));
    figures.push(await s.onewaySend(factory, o));
    figures.push(...(await s.pushConsume(factory, o)));
    figures.push(await s.pullConsume(factory, o));
    figures.push(await s.delayLateness(factory, o));
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

async function runPeers(messages: number, log: Log): Promise<PeerResult[]> {
  const peers: PeerResult[] = [];
  const peerOptions = {
    messages: Math.min(messages, 50_000),
    bodyBytes: 1024,
    concurrency: 64,
    delayed: 10_000,
    delayMs: 5_000,
    onProgress: log,
  };
  for (const [name, run] of [
    ['BullMQ', benchBullmq],
    ['plainjobs', benchPlainjobs],
  ] as const) {
    log(`peer: ${name}`);
    try {
      peers.push(await run(peerOptions));
    } catch (error) {
      log(`peer ${name} failed: ${(error as Error).message}`);
    }
  }
  return peers;
}

/** What the local broker's config says about durability (read from the broker.conf that start.sh writes). */
function rocketmqDurability(): string {
  const home = process.env.ROCKETMQ_HOME ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '.rocketmq');
  const file = path.join(home, 'conf', 'broker.conf');
  let conf: string;
  try {
    conf = fs.readFileSync(file, 'utf8');
  } catch {
    return `unknown (no ${file})`;
  }
  const get = (key: string) => conf.match(new RegExp(`^\\s*${key}\\s*=\\s*(\\S+)`, 'm'))?.[1];
  const flush = get('flushDiskType') ?? 'ASYNC_FLUSH (not set: the default)';
  const role = get('brokerRole') ?? 'ASYNC_MASTER (not set: the default)';
  const meaning = flush.startsWith('SYNC_FLUSH')
    ? 'a send is acknowledged after the commit log is flushed to disk'
    : 'a send is acknowledged once in the commit log’s page cache (mmap), flushed to disk in the background: survives kill -9 of the broker, not an OS crash or power loss';
  return `broker.conf: flushDiskType=${flush}, brokerRole=${role}, one broker, no slave: ${meaning}`;
}

interface SideRow {
  figure: string;
  embedded?: Figure;
  rocketmq?: Figure;
  ratio?: number;
}

/** Rows pair figures by position (both engines run the same scenarios with the same options, so names match). */
function sideBySideRows(embedded: Figure[], rocketmq: Figure[]): SideRow[] {
  return embedded.map((e, i) => {
    const r = rocketmq[i];
    const ratio = r && e.value > 0 ? r.value / e.value : undefined;
    return { figure: e.name, embedded: e, rocketmq: r, ratio };
  });
}

function cell(f: Figure | undefined): string {
  if (!f) return '—';
  const lat = f.unit === 'msg/s' && f.p50Ms !== undefined ? ` (p50 ${round(f.p50Ms)}, p99 ${round(f.p99Ms ?? NaN)} ms)` : '';
  const latOnly = f.unit === 'ms' ? `p50 ${round(f.p50Ms ?? NaN)}, p99 ${round(f.p99Ms ?? NaN)} ms` : '';
  return f.unit === 'ms' ? latOnly : `${round(f.value).toLocaleString('en-US')} ${f.unit}${lat}`;
}

function printSideBySide(
  embedded: Figure[],
  rocketmq: Figure[],
  o: ReturnType<typeof rocketmqOptions>,
  durability: Record<Engine, string>,
): void {
  console.log(`counts (both engines): ${describeCounts(o)}`);
  console.log(`durability, embedded: ${durability.embedded}`);
  console.log(`durability, rocketmq: ${durability.rocketmq}`);
  console.log('ratio = rocketmq / embedded (msg/s: < 1 means RocketMQ is slower; ms: > 1 means RocketMQ is later)');
  console.log('');
  const rows: string[][] = [['figure', 'embedded', 'rocketmq', 'ratio', 'notes (embedded | rocketmq)']];
  for (const r of sideBySideRows(embedded, rocketmq)) {
    const ratio = r.ratio === undefined || !Number.isFinite(r.ratio) ? '—' : `${round(r.ratio)}×`;
    const notes = [r.embedded?.note, r.rocketmq?.note].some(Boolean) ? `${r.embedded?.note ?? ''} | ${r.rocketmq?.note ?? ''}` : '';
    rows.push([r.figure, cell(r.embedded), cell(r.rocketmq), ratio, notes]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows)
    console.log(
      row
        .map((text, c) => text.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
}

/** Our sync send (64 senders) vs their add with 64 in flight; our push drain vs their processing. */
function compare(ours: Figure[], peers: PeerResult[]): Figure[] {
  const find = (list: Figure[], re: RegExp) => list.find((f) => re.test(f.name));
  const sync = find(ours, /^sync send, 64 senders/);
  const push = find(ours, /^push consume, backlog/);
  const out: Figure[] = [];
  for (const p of peers) {
    const add = find(p.figures, /add with 64 in flight/);
    const proc = find(p.figures, /^process/);
    if (sync && add?.value) out.push({ name: `sync send vs ${p.peer} add (64 in flight)`, unit: '×', value: sync.value / add.value });
    if (push && proc?.value) out.push({ name: `push consume vs ${p.peer} process`, unit: '×', value: push.value / proc.value });
  }
  return out;
}
