/**
 * Runs the core-flow benchmark's floor (floor-server.ts) with the load the benchmark puts on orderflow: pays at the
 * fixed rate over the same 100 connections of the same generator (bench/flash-sale/crowd.ts), after the same warm-up,
 * then a saturation of 64 connections (autocannon, as the callbacks' saturation).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopServerProcess } from '../server-process.js';
import autocannon from 'autocannon';
import { Connections, runCrowd } from '../flash-sale/crowd.js';
import { summarize } from '../peers/stats.js';
import type { Figure } from '../peers/types.js';
import type { Section } from '../report.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface FloorOptions {
  rate: number;
  seconds: number;
  warmup: number;
  saturation: number;
  log: (line: string) => void;
}

export interface FloorResult {
  fixed: { p50: number; p99: number; p999: number; max: number; achieved: number; non2xx: number; errors: number };
  saturated: { paidPerSecond: number; p50: number; p99: number; paid: number; non2xx: number; errors: number };
}

export async function runFloor(o: FloorOptions): Promise<FloorResult> {
  const warm = Math.round(o.rate * o.warmup);
  const fixed = Math.round(o.rate * o.seconds);
  const server = await startFloorServer(warm + fixed + o.saturation);
  try {
    const { url } = server;
    o.log(`  floor warm-up: ${o.rate} pays/s for ${o.warmup} s (not measured)`);
    await paysEvenly(url, 0, warm, o.rate);
    o.log(`  floor: ${o.rate} pays/s for ${o.seconds} s, evenly spaced over 100 connections`);
    const at = await paysEvenly(url, warm, fixed, o.rate);
    o.log(`    floor pays: p50 ${at.p50.toFixed(2)} ms, p99 ${at.p99.toFixed(2)} ms`);
    o.log(`  floor saturation: ${o.saturation} pays, 64 connections, as fast as they go`);
    const saturated = await paysSaturated(url, warm + fixed, o.saturation);
    o.log(`    floor saturation: ${saturated.paidPerSecond} paid/s`);
    return { fixed: at, saturated };
  } finally {
    await server.stop();
  }
}

async function paysEvenly(url: string, first: number, total: number, rate: number) {
  const connections = new Connections(100);
  let non2xx = 0;
  try {
    const result = await runCrowd(connections, {
      url,
      total,
      rate,
      request: (i) => ({ path: `/api/orders/F-${first + i}/pay`, headers: { 'content-type': 'application/json' }, body: '{}' }),
      onResponse: (_i, status) => {
        if (status < 200 || status >= 300) non2xx++;
      },
    });
    const s = summarize(result.latenciesMs);
    return { p50: s.p50, p99: s.p99, p999: s.p999, max: s.max, achieved: total / result.seconds, non2xx, errors: result.errors };
  } finally {
    connections.close();
  }
}

function paysSaturated(url: string, first: number, total: number): Promise<FloorResult['saturated']> {
  let next = first;
  let paid = 0;
  let non2xx = 0;
  let lastPaidAt = 0;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: 64,
        amount: total,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => ({
              ...request,
              path: `/api/orders/F-${next++}/pay`,
              headers: { 'content-type': 'application/json' },
              body: '{}',
            }),
          },
        ],
      },
      (error, result) =>
        error
          ? reject(error)
          : resolve({
              paidPerSecond: paid > 0 ? Math.round(paid / ((lastPaidAt - startedAt) / 1000)) : 0,
              p50: result.latency.p50,
              p99: result.latency.p99,
              paid,
              non2xx,
              errors: result.errors + result.timeouts,
            }),
    );
    instance.on('response', (_client, statusCode) => {
      if (statusCode < 200 || statusCode >= 300) return void non2xx++;
      paid++;
      lastPaidAt = performance.now();
    });
  });
}

async function startFloorServer(orders: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-floor-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'floor-server.ts')], {
    env: { ...process.env, FLOOR_DATA_DIR: dataDir, FLOOR_ORDERS: String(orders) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const deadline = Date.now() + 60_000;
  let up: RegExpMatchArray | null;
  while (!(up = output.match(/floor is up at (\S+)/))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`the floor server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: up[1],
    stop: () => stopServerProcess(child, dataDir),
  };
}

/**
 * The floor's figures, then each scenario's callback and pay latencies at the fixed rate and the saturation's paid/s
 * divided by the floor's (latency: how many times the floor; paid/s: the share of the floor's rate reached).
 */
export function floorFigures(sections: Section[], floor: FloorResult, rate: number): Figure[] {
  const { fixed, saturated } = floor;
  const out: Figure[] = [
    {
      name: `floor: pay's writes at ${rate}/s offered`,
      unit: 'ms',
      value: fixed.p99,
      p50Ms: fixed.p50,
      p99Ms: fixed.p99,
      note: `p99.9 ${fixed.p999.toFixed(2)} ms, max ${fixed.max.toFixed(1)} ms; achieved ${Math.round(fixed.achieved)}/s; non-2xx ${fixed.non2xx}, errors ${fixed.errors}`,
    },
    {
      name: "floor: pay's writes at saturation (64 connections)",
      unit: 'msg/s',
      value: saturated.paidPerSecond,
      p50Ms: saturated.p50,
      p99Ms: saturated.p99,
      note: `paid/s (${saturated.paid} paid); non-2xx ${saturated.non2xx}, errors ${saturated.errors}`,
    },
  ];
  for (const section of sections) {
    for (const f of section.figures) {
      const what = f.name.startsWith('callback to PAID at') ? 'callback' : f.name.startsWith('pay (') ? 'pay' : undefined;
      if (what && f.unit === 'ms') {
        out.push({
          name: `${section.title}: ${what} ÷ floor at ${rate}/s, p50 | p99`,
          unit: '×',
          value: (f.p99Ms ?? NaN) / fixed.p99,
          note: `p50 ${((f.p50Ms ?? NaN) / fixed.p50).toFixed(1)}×, p99 ${((f.p99Ms ?? NaN) / fixed.p99).toFixed(1)}× (value: p99)${what === 'pay' ? "; the pay includes the simulated provider's latency" : ''}`,
        });
      }
      if (f.name.startsWith('callback to PAID at saturation'))
        out.push({
          name: `${section.title}: paid/s at saturation ÷ floor's`,
          unit: '×',
          value: f.value / saturated.paidPerSecond,
          note: `${f.value} ÷ ${saturated.paidPerSecond} paid/s`,
        });
    }
  }
  return out;
}
