/**
 * Login attempts limited per user id and per client address (@fastify/rate-limit's counters, one window a
 * minute): a password guesser trying one user from many addresses, or many users from one address, is answered
 * 429 RATE_LIMITED with Retry-After in the API's error shape, before any password is checked. Every attempt
 * counts, a successful one too: a person logs in a few times a minute at most.
 *
 * The counters live in this process (a deployment with several order-system processes allows the limit on each),
 * the most recent 5,000 keys of each kind (the plugin's store; evicting one user's counter takes 5,000 other user
 * ids in a minute, which the per-address limit stands in the way of),
 * and the address is the connection's: behind a proxy every client shares the proxy's, so raise or turn off
 * ORDERFLOW_LOGIN_ADDRESS_RATE there.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../errors.js';

export interface LoginLimits {
  /** Attempts a minute for one user id; 0: no limit. */
  perUser: number;
  /** Attempts a minute from one client address; 0: no limit. */
  perAddress: number;
}

export type LimitLogin = (request: FastifyRequest, userId: string) => Promise<void>;

const WINDOW_MS = 60_000;

/** The check the login route runs first; `app` must have @fastify/rate-limit registered. */
export function loginRateLimit(app: FastifyInstance, limits: LoginLimits): LimitLogin {
  const userIds = new WeakMap<FastifyRequest, string>();
  const checks = [
    limits.perAddress > 0 && {
      per: 'address',
      max: limits.perAddress,
      check: app.createRateLimit({ max: limits.perAddress, timeWindow: WINDOW_MS }),
    },
    limits.perUser > 0 && {
      per: 'user',
      max: limits.perUser,
      check: app.createRateLimit({ max: limits.perUser, timeWindow: WINDOW_MS, keyGenerator: (request) => `user:${userIds.get(request)}` }),
    },
  ].filter((c) => c !== false);
  return async (request, userId) => {
    userIds.set(request, userId);
    for (const { per, max, check } of checks) {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) continue;
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `too many login attempts ${per === 'user' ? 'for this user' : 'from this address'}: at most ${max} a minute; retry in ${result.ttlInSeconds} s`,
        {
          details: { retryAfterMs: result.ttl, per, limitPerMinute: max },
          retriable: true,
        },
      );
    }
  };
}
