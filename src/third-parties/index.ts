/**
 * src/third-parties — the SMS vendor, logistics company and payment provider simulators
 * (docs/architecture.md, "Third-party vendors") and the client every system calls them with.
 */
export { startThirdParties } from './start-third-parties.js';
export { urlHost } from './simulator.js';
export type { ThirdParties, ThirdPartiesOptions } from './start-third-parties.js';
export { createVendorClient } from './vendor-client.js';
export type { VendorClient, VendorClientOptions } from './vendor-client.js';
export { DEFAULT_FAILURE_THRESHOLD, DEFAULT_OPEN_MS } from './circuit-breaker.js';
export type { CircuitState } from './circuit-breaker.js';
export { DEFAULT_KNOBS, MAX_LATENCY_MS, knobsPatchSchema, parseKnobsPatch } from './knobs.js';
export type { KnobsPatch } from './knobs.js';
export { THIRD_PARTY_NAMES, isThirdPartyName } from './types.js';
export type { Knobs, ThirdPartyLogger, ThirdPartyName, ThirdPartyStats } from './types.js';
export type { PaymentEvent, PaymentIntent, Refund } from './payment-provider.js';
export {
  PAYMENT_SIGNATURE_HEADER,
  PAYMENT_SIGNATURE_TOLERANCE_S,
  signPaymentCallback,
  verifyPaymentCallback,
} from './payment-signature.js';
export type { SignatureVerdict } from './payment-signature.js';
export { VendorLedger } from './vendor-ledger.js';
export type { LedgerEffect, LedgerEntry } from './vendor-ledger.js';
export {
  ThirdPartyError,
  ThirdPartyErrorCode,
  VendorError,
  VendorErrorCode,
  isThirdPartyError,
  isVendorError,
} from './errors.js';
export type { VendorErrorOptions } from './errors.js';
export { startThirdPartiesInWorker } from './worker-host.js';
export type { ThirdPartiesHandle } from './third-parties-handle.js';
export { sameThreadHandle, vendorsWithoutKnobs } from './third-parties-handle.js';
export { remoteThirdParties, VENDORS_ADMIN_TIMEOUT_MS } from './remote-third-parties.js';
export type { RemoteThirdPartiesOptions } from './remote-third-parties.js';
export { openThirdParties } from './open-third-parties.js';
export type { ExternalVendors } from './open-third-parties.js';
