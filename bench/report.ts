/** Printing and recording benchmark results: a table on stdout, JSON under bench/results/. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './peers/stats.js';
import type { Figure } from './peers/types.js';

export interface Section {
  title: string;
  durability?: string;
  figures: Figure[];
}

export function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

/**
 * Milliseconds one core takes for a fixed loop (best of three): the VMs this runs on change speed from
 * minute to minute (the same loop took 0.79 s and 1.38 s on one machine within an hour), so a figure
 * is printed with the speed it was measured at. Lower is faster.
 */
export function cpuSpeedProbeMs(): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    let x = 0;
    for (let i = 0; i < 50_000_000; i++) x += i % 7;
    if (x < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
    best = Math.min(best, performance.now() - started);
  }
  return Math.round(best);
}

export function printTable(sections: Section[]): void {
  const rows: string[][] = [['', 'figure', 'value', 'p50 ms', 'p99 ms', 'note']];
  for (const section of sections) {
    rows.push([section.title, '', '', '', '', section.durability ? `durability: ${section.durability}` : '']);
    for (const f of section.figures) {
      rows.push(['', f.name, `${round(f.value)} ${f.unit}`, fmt(f.p50Ms), fmt(f.p99Ms), f.note ?? '']);
    }
  }
  const widths = rows[0].map((_, c) => Math.min(70, Math.max(...rows.map((r) => r[c].length))));
  for (const row of rows)
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
}

const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : String(round(v)));

/** The code a result was measured on: the commit, and whether the tree had changes not in it. */
export function gitState(): { commit: string; dirty: boolean } | { commit: 'unknown'; reason: string } {
  const cwd = path.dirname(fileURLToPath(import.meta.url));
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch (error) {
    return { commit: 'unknown', reason: (error as Error).message.split('\n')[0] };
  }
}

export function saveResults(scenario: string, payload: object): string {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const recorded = { scenario, date: new Date().toISOString(), machine: machine(), git: gitState(), loadAverage: os.loadavg(), ...payload };
  fs.writeFileSync(file, JSON.stringify(recorded, null, 2));
  return file;
}
