/**
 * Health as orchestrators and load balancers read it:
 * - `GET /api/health/live` (liveness): the process answers HTTP; nothing else is asked, so a database outage never
 *   gets a healthy process restarted;
 * - `GET /api/health/ready` (readiness): 200 UP when every dependency answered its probe, else 503 DOWN, with each
 *   dependency's state;
 * - `GET /api/health`: the same as ready, as it always answered (the dashboard and load balancers read it).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type HealthCheck = () => Promise<{ ok: boolean; details: Record<string, unknown> }>;

const dependencyState = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['UP', 'DOWN'] },
    latencyMs: { type: 'number', description: 'how long the probe took (the timeout when it did not answer)' },
    error: { type: 'string', description: "why it is DOWN: 'no answer within … ms' or the failure's code" },
  },
  required: ['status', 'latencyMs'],
};

const readiness = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['UP', 'DOWN'] },
    dependencies: {
      type: 'object',
      description: 'one entry per dependency: db.<system>, mq, redis (when REDIS_URL is set), worker (the consumers’ thread)',
      additionalProperties: dependencyState,
    },
  },
  required: ['status'],
  additionalProperties: true,
};

export function installHealth(app: FastifyInstance, health: HealthCheck): void {
  const ready = async (request: FastifyRequest, reply: FastifyReply) => {
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
  };
  const readySchema = (summary: string) => ({
    summary,
    tags: ['ops'],
    response: {
      200: { description: 'every dependency answered', ...readiness },
      503: { description: 'a dependency did not answer (or the check failed)', ...readiness },
    },
  });
  app.get('/api/health', { schema: readySchema('Readiness: every dependency answers (the same as /api/health/ready)') }, ready);
  app.get('/api/health/ready', { schema: readySchema('Readiness: every dependency answers (503 when one does not)') }, ready);
  app.get(
    '/api/health/live',
    {
      schema: {
        summary: 'Liveness: the process answers (no dependency is asked)',
        tags: ['ops'],
        response: { 200: { description: 'the process answers', type: 'object', properties: { status: { type: 'string', enum: ['UP'] } } } },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'UP' };
    },
  );
}
