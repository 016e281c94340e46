import type { Check } from './invariants.js';

export interface FaultRecord {
  at: number;
  name: string;
  recoveryMs: number;
  violations: string[];
  note?: string;
}

/** p50 and max of the recovery times, in ms. */
export function recoverySummary(faults: FaultRecord[]): { p50: number; max: number } {
  const times = faults.map((f) => f.recoveryMs).sort((a, b) => a - b);
  return { p50: times[Math.floor((times.length - 1) / 2)] ?? 0, max: times.at(-1) ?? 0 };
}

/** The run's tables: faults injected, then every invariant with what it checked and what it found. */
export function printReport(faults: FaultRecord[], checks: Check[]): number {
  console.log('\nfaults injected');
  console.log(
    table(
      ['#', 'at (s)', 'fault', 'recovery (ms)', 'note'],
      faults.map((f, i) => [String(i + 1), (f.at / 1000).toFixed(1), f.name, String(f.recoveryMs), f.note ?? '']),
    ),
  );
  console.log('\ninvariants');
  console.log(
    table(
      ['invariant', 'checked', 'violations'],
      checks.map((c) => [c.name, String(c.checked), String(c.violations.length)]),
    ),
  );
  let violations = 0;
  for (const c of checks) {
    violations += c.violations.length;
    for (const v of c.violations.slice(0, 5)) console.log(`  VIOLATION ${c.name}: ${v}`);
    if (c.violations.length > 5) console.log(`  … and ${c.violations.length - 5} more`);
  }
  return violations;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
