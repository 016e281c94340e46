/** Latency helpers shared by the peer benchmarks and the main benchmark program. */

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Nearest-rank percentile of an ascending-sorted array of milliseconds.
 * `p` is in percent (0..100). Returns NaN for an empty array.
 */
export function percentile(sortedMs: ArrayLike<number>, p: number): number {
  const n = sortedMs.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sortedMs[0];
  if (p >= 100) return sortedMs[n - 1];
  const rank = Math.ceil((p / 100) * n); // 1-based nearest rank
  return sortedMs[Math.min(n, Math.max(1, rank)) - 1];
}

/** p50 / p99 / p99.9 / max of unsorted latencies (milliseconds). The input is not modified. */
export function summarize(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/** Round to a sensible number of significant digits for display. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const mag = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - mag);
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
