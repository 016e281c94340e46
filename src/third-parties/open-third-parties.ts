import { remoteThirdParties } from './remote-third-parties.js';
import { vendorsWithoutKnobs, type ThirdPartiesHandle } from './third-parties-handle.js';
import type { ThirdPartyName } from './types.js';
import { startThirdPartiesInWorker } from './worker-host.js';

/** Vendors that run outside this process (config: ORDERFLOW_SMS_URL, …, ORDERFLOW_VENDORS_URL). */
export interface ExternalVendors {
  urls: Readonly<Record<ThirdPartyName, string>>;
  /** Sent as `Authorization: Bearer <key>` to the vendor that has one. */
  apiKeys: Readonly<Partial<Record<ThirdPartyName, string>>>;
  /** The `orderflow vendors` process serving their knobs and counters; absent for real vendors. */
  adminUrl?: string;
}

/**
 * The vendors this process calls: the simulators in a worker thread of its own when none is configured
 * (the one-process default), else the configured ones, whose knobs are forwarded to the vendors process.
 */
export async function openThirdParties(options: {
  external?: ExternalVendors;
  adminToken: string;
  /** The secret the simulated payment provider signs its callbacks with (ORDERFLOW_PAYMENT_CALLBACK_SECRET). */
  paymentCallbackSecret?: string;
}): Promise<ThirdPartiesHandle> {
  const { external } = options;
  // In a worker thread: the simulated vendors get the other core instead of the systems' one.
  if (!external) return startThirdPartiesInWorker({ paymentCallback: { secret: options.paymentCallbackSecret } });
  if (!external.adminUrl) return vendorsWithoutKnobs(external.urls);
  return remoteThirdParties({ adminUrl: external.adminUrl, adminToken: options.adminToken, urls: external.urls });
}
