/**
 * `npm run bench -- mq [--engine embedded] [--messages N] [--no-peers]`: the messaging benchmark.
 * Measures our engine's send modes, consumption and delay lateness, then BullMQ (local Redis)
 * and plainjobs (SQLite) with the same message size and concurrency, and prints the ratios.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMessaging } from '../../src/mq/index.js';
import { benchBullmq } from '../peers/bullmq.js';
import { benchPlainjobs } from '../peers/plainjobs.js';
import type { Figure, PeerResult } from '../peers/types.js';
import { printTable, saveResults, type Section } from '../report.js';
import * as s from './scenarios.js';

export async function runMqBench(args: Map<string, string | true>): Promise<void> {
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const messages = Number(args.get('messages') ?? 100_000);
  const o: s.ScenarioOptions = { messages, bodyBytes: 1024, concurrency: 64, delayed: Number(args.get('delayed') ?? 100_000), delayMs: 10_000, log };
  const dirs: string[] = [];
  const embedded: s.EngineFactory = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
    dirs.push(dir);
    return createMessaging({ engine: 'embedded', dataDir: dir });
  };
  const figures: Figure[] = [];
  try {
    figures.push(...(await s.syncSend(embedded, o)));
    figures.push(await s.syncSendAtRate(embedded, o, 10_000, 5));
    figures.push(await s.asyncSend(embedded, o));
    figures.push(await s.onewaySend(embedded, o));
    figures.push(...(await s.pushConsume(embedded, o)));
    figures.push(await s.pullConsume(embedded, o));
    figures.push(await s.delayLateness(embedded, o));
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  const sections: Section[] = [
    { title: 'orderflow embedded', durability: 'every acknowledged send survives kill -9 (SQLite WAL, synchronous=NORMAL)', figures },
  ];
  const peers: PeerResult[] = [];
  if (!args.has('no-peers')) {
    const peerOptions = { messages: Math.min(messages, 50_000), bodyBytes: 1024, concurrency: 64, delayed: 10_000, delayMs: 5_000, onProgress: log };
    for (const [name, run] of [['BullMQ', benchBullmq], ['plainjobs', benchPlainjobs]] as const) {
      log(`peer: ${name}`);
      try {
        peers.push(await run(peerOptions));
      } catch (error) {
        log(`peer ${name} failed: ${(error as Error).message}`);
      }
    }
    for (const p of peers) sections.push({ title: `${p.peer} ${p.version}`, durability: p.durability, figures: p.figures });
  }
  const ratios = compare(figures, peers);
  if (ratios.length > 0) sections.push({ title: 'ratios (orderflow / peer)', figures: ratios });
  console.log('');
  printTable(sections);
  const file = saveResults('mq', { engine: 'embedded', options: { ...o, log: undefined }, sections });
  console.log(`\nresults: ${file}`);
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
