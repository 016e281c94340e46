/** Helpers shared by the peer benchmark modules (progress, payloads, stand-alone runner, table). */
import { realpathSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';
import type { Figure, PeerOptions, PeerResult } from './types.js';

export const DEFAULT_OPTIONS: Omit<PeerOptions, 'onProgress'> = {
  messages: 50_000,
  bodyBytes: 1024,
  concurrency: 64,
  delayed: 10_000,
  delayMs: 5_000,
};

/** Upper bound for any single phase; a phase that hits it stops early and says so in its figure note. */
export const PHASE_BUDGET_MS = 120_000;

/** A printable body of exactly `bytes` ASCII characters (1 char = 1 byte in UTF-8/JSON). */
export function makeBody(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < bytes; i++) s += alphabet[(i * 7 + 3) % alphabet.length];
  return s;
}

/**
 * Returns tick(done): calls onProgress each time `done` crosses another 10% of `total`.
 * Cheap enough to call on every job.
 */
export function progress(onProgress: PeerOptions['onProgress'], phase: string, total: number): (done: number) => void {
  const started = performance.now();
  let nextStep = 1;
  return (done: number) => {
    if (!onProgress || total <= 0 || nextStep > 10 || done < (total * nextStep) / 10) return;
    while (nextStep <= 10 && done >= (total * nextStep) / 10) nextStep++;
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(done / secs) : 0;
    onProgress(`${phase}: ${Math.min(100, Math.floor((done / total) * 100))}% (${done}/${total}) ${secs.toFixed(1)}s, ${rate}/s`);
  };
}

/** Version of an installed package, read from its package.json next to its resolved entry point. */
export function packageVersion(fromUrl: string, name: string): string {
  const require = createRequire(fromUrl);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      /* keep walking up */
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves true when `done` settles first, false after `ms`; the timer never keeps the process alive. */
export async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([done.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when the module at `moduleUrl` is the script node/tsx was started with. */
export function isMain(moduleUrl: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Parses --messages=N --bodyBytes=N --concurrency=N --delayed=N --delayMs=N (and --json). */
export function parseArgs(argv: string[]): { opts: Omit<PeerOptions, 'onProgress'>; json: boolean } {
  const opts = { ...DEFAULT_OPTIONS };
  let json = false;
  for (const arg of argv) {
    if (arg === '--json') {
      json = true;
      continue;
    }
    const m = /^--([A-Za-z]+)=(\d+)$/.exec(arg);
    if (!m || !(m[1] in opts))
      throw new Error(`unknown argument ${arg} (use --messages=N --bodyBytes=N --concurrency=N --delayed=N --delayMs=N --json)`);
    (opts as Record<string, number>)[m[1]] = Number(m[2]);
  }
  return { opts, json };
}

function fmt(value: number | undefined, unit?: string): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (unit === 'msg/s') return Math.round(value).toLocaleString('en-US');
  return String(round(value, 3));
}

/** Plain-text table of one peer's figures. */
export function formatTable(result: PeerResult): string {
  const header = ['figure', 'value', 'unit', 'p50 ms', 'p99 ms', 'note'];
  const rows = result.figures.map((f: Figure) => [f.name, fmt(f.value, f.unit), f.unit, fmt(f.p50Ms), fmt(f.p99Ms), f.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 5 ? 0 : r[i].length))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 5 ? c : i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [
    `${result.peer} ${result.version}`,
    `durability: ${result.durability}`,
    '',
    line(header),
    line(widths.map((w, i) => (i === 5 ? '----' : '-'.repeat(w)))),
    ...rows.map(line),
  ].join('\n');
}

/** Runs a peer benchmark from the command line: progress on stderr, table (or JSON) on stdout. */
export async function runStandalone(bench: (opts: PeerOptions) => Promise<PeerResult>): Promise<void> {
  const { opts, json } = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const onProgress = (line: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
  onProgress(`options ${JSON.stringify(opts)}`);
  try {
    const result = await bench({ ...opts, onProgress });
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatTable(result)}\n`);
    process.exitCode = 0;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
