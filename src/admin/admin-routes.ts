import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';
import { route } from '../http/index.js';
import type { Messaging } from '../mq/index.js';
import { THIRD_PARTY_NAMES, knobsPatchSchema, type ThirdPartiesHandle, type ThirdPartyName } from '../third-parties/index.js';

const NameParams = z.object({ name: z.enum(THIRD_PARTY_NAMES as unknown as [ThirdPartyName, ...ThirdPartyName[]]) });
const DlqQuery = z.object({ group: z.string().min(1).max(255).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const ReplayParams = z.object({ messageId: z.string().min(1).max(64) });
const ReplayBody = z.object({ group: z.string().min(1).max(255).optional() });

/** Admin API (token required): third-party knobs, queue backlogs, the dead-letter queue. */
export function adminRoutes(deps: { mq: Messaging; thirdParties?: ThirdPartiesHandle }): RouteOptions[] {
  const parties = () => {
    if (!deps.thirdParties) throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'the third-party simulators do not run in this process');
    return deps.thirdParties;
  };
  return [
    route({
      method: 'GET', url: '/admin/third-parties/:name', auth: 'admin', tags: ['admin'], summary: "A simulated vendor's knobs and counters",
      schema: { params: NameParams },
      handler: async ({ params }) => ({ name: params.name, ...parties().getKnobs(params.name), stats: await parties().stats(params.name) }),
    }),
    route({
      method: 'PUT', url: '/admin/third-parties/:name', auth: 'admin', tags: ['admin'], summary: 'Change latency, jitter, failure rate or outage of a simulated vendor',
      schema: { params: NameParams, body: knobsPatchSchema },
      handler: ({ params, body }) => ({ name: params.name, ...parties().setKnobs(params.name, body) }),
    }),
    route({
      method: 'GET', url: '/admin/queues', auth: 'admin', tags: ['admin'], summary: 'Backlog per topic and consumer group',
      handler: async () => ({ engine: deps.mq.engine, queues: await deps.mq.admin.backlog() }),
    }),
    route({
      method: 'GET', url: '/admin/dlq', auth: 'admin', tags: ['admin'], summary: 'Dead-lettered messages',
      schema: { querystring: DlqQuery },
      handler: async ({ query }) => {
        const letters = await deps.mq.admin.listDeadLetters({ group: query.group, limit: query.limit });
        return letters.map((l) => ({ ...l, body: l.body.toString('utf8') }));
      },
    }),
    route({
      method: 'POST', url: '/admin/dlq/:messageId/replay', auth: 'admin', status: 202, tags: ['admin'], summary: 'Redeliver a dead-lettered message to its group',
      schema: { params: ReplayParams, body: ReplayBody },
      handler: async ({ params, body }) => {
        await deps.mq.admin.replayDeadLetter(params.messageId, body.group);
        return { messageId: params.messageId, replayed: true };
      },
    }),
  ];
}
