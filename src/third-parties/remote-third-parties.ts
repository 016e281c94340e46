import { z } from 'zod';
import { VendorError, VendorErrorCode } from './errors.js';
import { parseKnobsPatch } from './knobs.js';
import { knownThirdParty, type ThirdPartiesHandle } from './third-parties-handle.js';
import type { Knobs, ThirdPartyName, ThirdPartyStats } from './types.js';
import { exchange } from './vendor-exchange.js';

/** An admin call, not a vendor call: a vendors process that takes longer than this is as good as down. */
export const VENDORS_ADMIN_TIMEOUT_MS = 3_000;
const WHO = 'vendors process';

const knobsSchema = z.object({
  latencyMs: z.number(),
  jitterMs: z.number(),
  failureRate: z.number(),
  down: z.boolean(),
  // The payment provider's callbacks only.
  callbackDelayMs: z.number().optional(),
  callbackReorderMs: z.number().optional(),
  callbackDuplicateRate: z.number().optional(),
  callbackDropRate: z.number().optional(),
});
const count = z.number().int().nonnegative();
const statsSchema = z.object({
  requests: count,
  successes: count,
  rejected: count,
  failures: count,
  inFlight: count,
  executed: count,
  callbacks: z
    .object({ events: count, dropped: count, duplicated: count, delivered: count, failedAttempts: count, abandoned: count })
    .optional(),
});

export interface RemoteThirdPartiesOptions {
  /** Base URL of `orderflow vendors` (ORDERFLOW_VENDORS_URL), e.g. http://127.0.0.1:3900. */
  adminUrl: string;
  /** The deployment's ORDERFLOW_ADMIN_TOKEN: the vendors process guards its knobs with the same token. */
  adminToken: string;
  /** Where this process calls each vendor (ORDERFLOW_SMS_URL, …). */
  urls: Readonly<Record<ThirdPartyName, string>>;
  timeoutMs?: number;
}

/**
 * The vendors of a standalone `orderflow vendors` process, driven over HTTP through its admin API
 * (the same `GET|PUT /api/admin/third-parties/:name` as orderflow's own): every orderflow process of a
 * deployment reads and turns the same knobs and counters. A vendors process that cannot be reached
 * makes these calls fail with a retriable VendorError (VENDOR_DOWN / VENDOR_TIMEOUT); the vendors'
 * own endpoints are called directly by the systems and are not affected by this handle.
 */
export function remoteThirdParties(options: RemoteThirdPartiesOptions): ThirdPartiesHandle {
  const root = options.adminUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? VENDORS_ADMIN_TIMEOUT_MS;

  async function call(method: 'GET' | 'PUT', name: ThirdPartyName, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = `${root}/api/admin/third-parties/${encodeURIComponent(knownThirdParty(name))}`;
    try {
      return await exchange<Record<string, unknown>>({ vendor: WHO, method, url, body, bearerToken: options.adminToken, timeoutMs });
    } catch (error) {
      if (error instanceof VendorError && (error.status === 401 || error.status === 403)) {
        // The one misconfiguration worth spelling out: the operator sees it in the admin answer.
        throw new VendorError(
          error.code,
          WHO,
          `${error.message} (this process's ORDERFLOW_ADMIN_TOKEN is not the vendors process's: set the same on both)`,
          {
            retriable: false,
            status: error.status,
            vendorCode: error.vendorCode,
          },
        );
      }
      throw error;
    }
  }

  function parsed<T>(schema: z.ZodType<T>, value: unknown, url: string): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new VendorError(
      VendorErrorCode.BAD_RESPONSE,
      WHO,
      `${WHO}: ${url} answered an unexpected shape (${result.error.issues[0]?.message})`,
      { retriable: true },
    );
  }

  return {
    urls: Object.freeze({ ...options.urls }),
    knobsAt: root,
    async getKnobs(name) {
      return parsed(knobsSchema, await call('GET', name), root) as Knobs;
    },
    async setKnobs(name, patch) {
      // Checked here first: a bad value is the caller's 400, not a round trip.
      return parsed(knobsSchema, await call('PUT', name, parseKnobsPatch(patch, { callsBack: name === 'payment' })), root) as Knobs;
    },
    async stats(name) {
      const answer = await call('GET', name);
      return parsed(statsSchema, answer.stats, root) as ThirdPartyStats;
    },
    close: async () => {},
  };
}
