/** `GET /api/health`: 200 UP once every system says it is ready, else 503 DOWN (load balancers read the status). */
import type { FastifyInstance } from 'fastify';

export type HealthCheck = () => Promise<{ ok: boolean; details: Record<string, unknown> }>;

export function installHealth(app: FastifyInstance, health: HealthCheck): void {
  app.get('/api/health', { schema: { summary: 'Readiness of every system', tags: ['ops'] } }, async (request, reply) => {
    let ok = false;
    let details: Record<string, unknown>;
    try {
      ({ ok, details } = await health());
    } catch (error) {
      // A check that throws is a DOWN answer, not a 500: the reason goes to the log, not to the caller.
      request.log.error({ err: error }, 'health check failed');
      details = { error: 'health check failed' };
    }
    const status = ok ? 'UP' : 'DOWN';
    reply.code(ok ? 200 : 503).header('cache-control', 'no-store');
    // `status` first in the JSON and never overridden by a detail of the same name.
    return Object.assign({ status }, details, { status });
  });
}
