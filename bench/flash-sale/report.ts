/** The flash-sale benchmark's arithmetic and its table (bench/flash-sale/index.ts runs it). */
import type { ServerProcess } from '../server-process.js';
import type { Design, DesignResult, Options } from './types.js';

export const UNITS = 500;

/** Most creation times in any window [t, t + 1 s), wherever it falls. */
export function maxInOneSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j] - sorted[i] >= 1_000) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
}

/** Prometheus text → `name{labels}` → value. */
export async function metrics(server: ServerProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(orderflow_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}

export function empty(design: Design): DesignResult {
  const nan = Number.NaN;
  const none = { p50: nan, p99: nan, p999: nan, max: nan };
  return {
    design,
    responses: {},
    ordersCreated: nan,
    oversold: nan,
    sku: { available: nan, reserved: nan, sold: nan },
    latency: none,
    latencyWhileCreating: none,
    latencyAfter: none,
    p99ByHalfSecond: [],
    achievedPerSecond: nan,
    loadSeconds: nan,
    ordersDoneSeconds: nan,
    maxOrdersInOneSecond: nan,
    orderDbWrites: nan,
    flashSaleDbWrites: nan,
    brokerWrites: nan,
    loadAverage: [nan, nan],
    loadGeneratorDelay: [nan, nan],
  };
}

export function printComparison(results: DesignResult[], options: Options): void {
  const num = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en', { maximumFractionDigits: digits }) : '—');
  const rows: [string, (r: DesignResult) => string, string][] = [
    ['orders created', (r) => num(r.ordersCreated), `must be ${UNITS}`],
    ['oversold units', (r) => num(r.oversold), 'must be 0'],
    [
      'flash SKU stock after (available/reserved/sold)',
      (r) => (r.skipped ? '—' : `${r.sku.available}/${r.sku.reserved}/${r.sku.sold}`),
      '',
    ],
    ['request latency p50 (ms)', (r) => num(r.latency.p50, 2), "from each request's due time (open loop)"],
    ['request latency p99 (ms)', (r) => num(r.latency.p99, 2), 'gate target ≤ 20'],
    ['request latency p99.9 / max (ms)', (r) => `${num(r.latency.p999, 1)} / ${num(r.latency.max, 1)}`, ''],
    [
      '  p50 / p99 while orders were being created',
      (r) => `${num(r.latencyWhileCreating.p50, 1)} / ${num(r.latencyWhileCreating.p99, 1)}`,
      'requests due before the last order',
    ],
    ['  p50 / p99 after', (r) => `${num(r.latencyAfter.p50, 1)} / ${num(r.latencyAfter.p99, 1)}`, 'refusals only'],
    ['requests/s answered', (r) => num(r.achievedPerSecond), `${options.offered}/s offered`],
    [
      'responses',
      (r) =>
        Object.entries(r.responses)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || '—',
      '',
    ],
    ['order inserts/s, max over any 1 s window', (r) => num(r.maxOrdersInOneSecond), `configured rate ${options.rate}/s (new way)`],
    ['first request → last order (s)', (r) => num(r.ordersDoneSeconds, 2), ''],
    ['order DB writes attempted', (r) => num(r.orderDbWrites), 'old: one order transaction per request'],
    ['flash-sale DB writes', (r) => num(r.flashSaleDbWrites), 'tickets written and settled'],
    ['broker writes', (r) => num(r.brokerWrites), 'old: a pay-deadline message per attempt'],
    [
      'machine 1 min load average, start → end',
      (r) => `${num(r.loadAverage[0], 2)} → ${num(r.loadAverage[1], 2)}`,
      'other work shares the machine',
    ],
    [
      'load generator event-loop delay p99 / max (ms)',
      (r) => `${num(r.loadGeneratorDelay[0], 1)} / ${num(r.loadGeneratorDelay[1], 1)}`,
      'the bench process stalling: counted as latency',
    ],
  ];
  const header = ['', ...results.map((r) => (r.design === 'old' ? 'old way (no gate)' : `${r.design} gate`)), 'note'];
  const table = [header, ...rows.map(([name, cell, note]) => [name, ...results.map((r) => (r.skipped ? 'skipped' : cell(r))), note])];
  const widths = header.map((_, c) => Math.min(90, Math.max(...table.map((row) => row[c].length))));
  console.log(
    `flash sale: ${options.requests.toLocaleString('en')} requests for ${UNITS} units, ${options.connections} connections, ${options.users.toLocaleString('en')} buyers`,
  );
  for (const row of table)
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    );
  for (const r of results) if (r.skipped) console.log(`${r.design}: skipped — ${r.skipped}`);
  console.log('\np99 (ms) of the requests due in each half second:');
  for (const r of results) if (!r.skipped) console.log(`  ${r.design.padEnd(10)} ${r.p99ByHalfSecond.join(' ')}`);
}
