/**
 * Prometheus metrics of the HTTP layer. The route label is the route's pattern (`/api/orders/:id`),
 * never the raw URL, so order ids cannot blow up the number of series.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const HTTP_DURATION_METRIC = 'http_request_duration_seconds';
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Label for requests that matched no route: one series for all of them. */
const UNMATCHED_ROUTE = 'unmatched';

/** Adds default process metrics and the request histogram to `registry` (reusing them if already there). */
export function installMetrics(app: FastifyInstance, registry: Registry): void {
  // A registry shared by two servers (tests, or the app's own metrics) must not register twice: prom-client throws.
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
  const duration =
    (registry.getSingleMetric(HTTP_DURATION_METRIC) as Histogram<'method' | 'route' | 'status_code'> | undefined) ??
    new Histogram({
      name: HTTP_DURATION_METRIC,
      help: 'HTTP request duration in seconds, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });

  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) };
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  const scrape = async (_request: unknown, reply: FastifyReply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  };
  app.get('/metrics', { schema: { hide: true } }, scrape);
  app.get('/api/metrics', { schema: { hide: true } }, scrape);
}
