// The live charts fed by GET /metrics (public, no token): orders per second, the pay latency of each
// interval, HTTP responses per second. Each scrape is compared with the one before it.
import { fetchMetricsText } from './api.js';
import { every, showError } from './dom.js';
import { createLineChart } from './line-chart.js';
import { bucketIncrease, histogramBuckets, parsePrometheus, quantile, ratePerSecond, sumOf } from './prometheus.js';

export const METRICS_POLL_MS = 1500;
const WINDOW_POINTS = 80; // 2 minutes at 1.5 s

const perSecond = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + '/s';
const millis = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ms';
const WINDOW_LABEL = `last ${Math.round((WINDOW_POINTS * METRICS_POLL_MS) / 60_000)} min`;

function read(samples) {
  const status = (prefix) => (labels) => String(labels.status_code ?? '').startsWith(prefix);
  const http = 'http_request_duration_seconds_count';
  return {
    at: performance.now(),
    paid: sumOf(samples, 'orderflow_orders_paid_total'),
    placed: sumOf(samples, 'orderflow_orders_placed_total'),
    payBuckets: histogramBuckets(samples, 'orderflow_pay_duration_seconds'),
    ok: sumOf(samples, http, (l) => status('2')(l) || status('3')(l)),
    refused: sumOf(samples, http, status('4')),
    failed: sumOf(samples, http, status('5')),
  };
}

/** Adds the charts to `container` and starts polling; returns a stop function. */
export function startLiveCharts(container, errorNode) {
  const orders = createLineChart(container, {
    id: 'orders',
    title: 'Orders per second',
    windowLabel: WINDOW_LABEL,
    points: WINDOW_POINTS,
    format: perSecond,
    subtitle: 'from the counters orderflow_orders_paid_total and orderflow_orders_placed_total',
    series: [
      { key: 'paid', label: 'paid' },
      { key: 'placed', label: 'placed' },
    ],
  });
  const latency = createLineChart(container, {
    id: 'pay-latency',
    title: 'Pay latency (the core flow)',
    windowLabel: WINDOW_LABEL,
    points: WINDOW_POINTS,
    format: millis,
    minTop: 10,
    subtitle: 'p50 and p99 of the payments in each interval (histogram orderflow_pay_duration_seconds); a gap: no payment',
    series: [
      { key: 'p50', label: 'p50' },
      { key: 'p99', label: 'p99' },
    ],
  });
  const http = createLineChart(container, {
    id: 'http',
    title: 'HTTP responses per second',
    windowLabel: WINDOW_LABEL,
    points: WINDOW_POINTS,
    format: perSecond,
    subtitle: "by status class, this dashboard's own polling included",
    series: [
      { key: 'ok', label: '2xx/3xx' },
      { key: 'refused', label: '4xx' },
      { key: 'failed', label: '5xx' },
    ],
  });

  let previous = null;
  return every(METRICS_POLL_MS, async () => {
    let now;
    try {
      now = read(parsePrometheus(await fetchMetricsText()));
      showError(errorNode, null);
    } catch (error) {
      showError(errorNode, error);
      previous = null; // the next interval would span the outage: start again
      return;
    }
    if (previous) {
      const seconds = (now.at - previous.at) / 1000;
      const rate = (key) => ratePerSecond(now[key], previous[key], seconds);
      orders.add({ paid: rate('paid'), placed: rate('placed') });
      const interval = bucketIncrease(now.payBuckets, previous.payBuckets);
      const inMs = (q) => {
        const value = quantile(interval, q);
        return value === null ? null : value * 1000;
      };
      latency.add({ p50: inMs(0.5), p99: inMs(0.99) });
      http.add({ ok: rate('ok'), refused: rate('refused'), failed: rate('failed') });
    }
    previous = now;
  });
}
