// Reads GET /metrics (Prometheus text format) in the browser: counters become rates between two scrapes,
// a histogram's bucket increments between two scrapes give the quantiles of that interval alone.

/** text → Map(name → [{ labels, value }]) */
export function parsePrometheus(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, labelText, valueText] = match;
    const labels = {};
    for (const pair of (labelText ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (!samples.has(name)) samples.set(name, []);
    samples.get(name).push({ labels, value });
  }
  return samples;
}

/** Sum of a metric's samples whose labels pass `where`; undefined when the metric is absent. */
export function sumOf(samples, name, where = () => true) {
  const list = samples.get(name);
  if (!list) return undefined;
  return list.filter((s) => where(s.labels)).reduce((total, s) => total + s.value, 0);
}

/** A histogram's cumulative buckets, summed over its other labels: [{ le, count }] sorted by le. */
export function histogramBuckets(samples, name) {
  const byLe = new Map();
  for (const { labels, value } of samples.get(`${name}_bucket`) ?? []) {
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/**
 * What was observed between two scrapes: bucket by bucket increments. Null when the buckets differ or
 * a count went down (the server restarted): that interval is unknown rather than negative.
 */
export function bucketIncrease(now, before) {
  if (!before || now.length !== before.length) return null;
  const increase = now.map((bucket, i) => ({ le: bucket.le, count: bucket.count - before[i].count }));
  return increase.some((b, i) => b.count < 0 || b.le !== before[i].le) ? null : increase;
}

/**
 * The q-quantile (0..1) of cumulative buckets, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; null when nothing was observed. Beyond the last finite bound: that bound.
 */
export function quantile(buckets, q) {
  if (!buckets || buckets.length === 0) return null;
  const total = buckets[buckets.length - 1].count;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** Per-second rate of a counter between two readings; null when unknown (first reading, or a reset). */
export function ratePerSecond(now, before, seconds) {
  if (now === undefined || before === undefined || !(seconds > 0) || now < before) return null;
  return (now - before) / seconds;
}
