import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';
import { route } from '../http/index.js';
import type { Messaging } from '../mq/index.js';
import type { ThirdPartiesHandle } from '../third-parties/index.js';
import { thirdPartyRoutes } from './third-party-routes.js';

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
    ...thirdPartyRoutes(parties),
    route({
      method: 'GET',
      url: '/admin/queues',
      auth: 'admin',
      tags: ['admin'],
      summary: 'Backlog per topic and consumer group',
      handler: async () => ({ engine: deps.mq.engine, queues: await deps.mq.admin.backlog() }),
    }),
    route({
      method: 'GET',
      url: '/admin/dlq',
      auth: 'admin',
      tags: ['admin'],
      summary: 'Dead-lettered messages',
      schema: { querystring: DlqQuery },
      handler: async ({ query }) => {
        const letters = await deps.mq.admin.listDeadLetters({ group: query.group, limit: query.limit });
        return letters.map((l) => ({ ...l, body: l.body.toString('utf8') }));
      },
    }),
    route({
      method: 'POST',
      url: '/admin/dlq/:messageId/replay',
      auth: 'admin',
      status: 202,
      tags: ['admin'],
      summary: 'Redeliver a dead-lettered message to its group',
      schema: { params: ReplayParams, body: ReplayBody },
      handler: async ({ params, body }) => {
        await deps.mq.admin.replayDeadLetter(params.messageId, body.group);
        return { messageId: params.messageId, replayed: true };
      },
    }),
  ];
}
