/** The dashboard's in-browser reading of GET /metrics (src/http/dashboard/prometheus.js), run in Node. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

// A plain browser module without types: imported by URL, so TypeScript takes it as `any` instead of
// asking for declarations the dashboard does not need.
const moduleUrl = new URL('../../../src/http/dashboard/prometheus.js', import.meta.url).href;
const prom = await import(moduleUrl);

const scrape = (paid: number, buckets: [string, number][]) =>
  [
    '# HELP orderflow_orders_paid_total Orders paid',
    '# TYPE orderflow_orders_paid_total counter',
    `orderflow_orders_paid_total ${paid}`,
    ...buckets.map(([le, n]) => `orderflow_pay_duration_seconds_bucket{le="${le}"} ${n}`),
    'http_request_duration_seconds_count{method="GET",route="/api/orders/:id",status_code="200"} 7',
    'http_request_duration_seconds_count{method="POST",route="/api/orders",status_code="409"} 2',
    '',
  ].join('\n');

test('counters and labelled samples are read and summed', () => {
  const samples = prom.parsePrometheus(
    scrape(12, [
      ['0.01', 1],
      ['+Inf', 1],
    ]),
  );
  assert.equal(prom.sumOf(samples, 'orderflow_orders_paid_total'), 12);
  assert.equal(prom.sumOf(samples, 'http_request_duration_seconds_count'), 9);
  assert.equal(
    prom.sumOf(samples, 'http_request_duration_seconds_count', (l: Record<string, string>) => l.status_code.startsWith('4')),
    2,
  );
  assert.equal(prom.sumOf(samples, 'absent_metric'), undefined);
  assert.equal(prom.ratePerSecond(15, 12, 1.5), 2);
  assert.equal(prom.ratePerSecond(3, 12, 1.5), null, 'a counter that went down (restart) is unknown, not negative');
});

test('quantiles come from the buckets observed in the interval only', () => {
  const before = prom.histogramBuckets(
    prom.parsePrometheus(
      scrape(0, [
        ['0.01', 100],
        ['0.025', 100],
        ['0.05', 100],
        ['+Inf', 100],
      ]),
    ),
    'orderflow_pay_duration_seconds',
  );
  // 10 payments in the interval: 5 at ≤ 10 ms, 4 in (10, 25] ms, 1 in (25, 50] ms.
  const now = prom.histogramBuckets(
    prom.parsePrometheus(
      scrape(0, [
        ['0.01', 105],
        ['0.025', 109],
        ['0.05', 110],
        ['+Inf', 110],
      ]),
    ),
    'orderflow_pay_duration_seconds',
  );
  assert.deepEqual(
    now.map((b: { le: number }) => b.le),
    [0.01, 0.025, 0.05, Infinity],
  );
  const interval = prom.bucketIncrease(now, before);
  assert.deepEqual(
    interval.map((b: { count: number }) => b.count),
    [5, 9, 10, 10],
  );
  assert.equal(prom.quantile(interval, 0.5), 0.01); // rank 5: the top of the first bucket
  assert.ok(Math.abs(prom.quantile(interval, 0.99) - (0.025 + 0.025 * 0.9)) < 1e-9); // rank 9.9: 90 % into (25, 50]
  assert.equal(prom.quantile(prom.bucketIncrease(before, before), 0.5), null, 'nothing observed: no point');
  assert.equal(prom.bucketIncrease(before, now), null, 'buckets that went down: unknown interval');
});

test('a quantile beyond the last finite bucket is that bound', () => {
  const buckets = [
    { le: 0.1, count: 1 },
    { le: Infinity, count: 10 },
  ];
  assert.equal(prom.quantile(buckets, 0.99), 0.1);
});
