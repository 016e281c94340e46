import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';
import { route } from '../http/index.js';
import {
  isThirdPartyError,
  isVendorError,
  knobsPatchSchema,
  THIRD_PARTY_NAMES,
  ThirdPartyErrorCode,
  type ThirdPartiesHandle,
  type ThirdPartyName,
} from '../third-parties/index.js';

const NameParams = z.object({ name: z.enum(THIRD_PARTY_NAMES as unknown as [ThirdPartyName, ...ThirdPartyName[]]) });

/**
 * `GET|PUT /admin/third-parties/:name`: a vendor's knobs and counters. Served the same way by every
 * orderflow process (simulators in-process, or forwarded to the vendors process) and by `orderflow
 * vendors` itself, so the dashboard and the benchmark work against any of them.
 */
export function thirdPartyRoutes(thirdParties: () => ThirdPartiesHandle): RouteOptions[] {
  return [
    route({
      method: 'GET',
      url: '/admin/third-parties/:name',
      auth: 'admin',
      tags: ['admin'],
      summary: "A simulated vendor's knobs and counters",
      schema: { params: NameParams },
      handler: ({ params }) =>
        explained(async () => {
          const parties = thirdParties();
          const [knobs, stats] = await Promise.all([parties.getKnobs(params.name), parties.stats(params.name)]);
          return { name: params.name, ...knobs, stats };
        }),
    }),
    route({
      method: 'PUT',
      url: '/admin/third-parties/:name',
      auth: 'admin',
      tags: ['admin'],
      summary: 'Change latency, jitter, failure rate or outage of a simulated vendor',
      schema: { params: NameParams, body: knobsPatchSchema },
      handler: ({ params, body }) => explained(async () => ({ name: params.name, ...(await thirdParties().setKnobs(params.name, body)) })),
    }),
  ];
}

/**
 * Knobs that live elsewhere fail in ways the operator must read: the vendors process is unreachable,
 * refuses our admin token, or there is none. The error handler hides 5xx messages of vendor errors
 * (they may carry a vendor's internals); these are about our own deployment, so they are said as is.
 */
async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isVendorError(error) || isThirdPartyError(error, ThirdPartyErrorCode.NO_KNOBS)) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, error.message, {
        retriable: isVendorError(error) && error.retriable,
        cause: error,
      });
    }
    throw error;
  }
}
