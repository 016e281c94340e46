import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { route } from '../../http/index.js';
import type { AnalyticsSystem } from './analytics-system.js';

const SummaryReply = z.object({
  gmvByDay: z.array(z.object({ day: z.string(), gmvCents: z.number().int(), orders: z.number().int() })),
  countsByStatus: z.record(z.string(), z.number().int()),
  orders: z.number().int(),
  lastEventAt: z.string().nullable(),
});

/** The analytics system's HTTP API (admin token): what it built from the change stream. */
export function analyticsRoutes(analytics: Pick<AnalyticsSystem, 'summary'>): RouteOptions[] {
  return [
    route({
      method: 'GET',
      url: '/analytics/summary',
      auth: 'admin',
      tags: ['analytics'],
      summary: 'GMV per day and orders per status, built from the order change stream (never from the order database)',
      schema: { response: { 200: SummaryReply } },
      handler: () => analytics.summary(),
    }),
  ];
}
