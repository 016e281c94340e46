/**
 * Typed errors of src/third-parties. Two families:
 * - ThirdPartyError: a caller mistake (bad knob, unknown simulator, bad client option), never retriable;
 *   http/ maps THIRD_PARTY_INVALID_KNOB → 400 and THIRD_PARTY_NOT_FOUND → 404; THIRD_PARTY_NO_KNOBS (external
 *   vendors, nothing to turn) → 503.
 * - VendorError: a call to a vendor went wrong; `retriable` tells the consumer whether to ask for
 *   RETRY_LATER (timeout, 5xx, outage, open circuit) or to give up at once (4xx: the same request
 *   will be refused again, so retrying only delays the dead-letter queue).
 */
import { OrderflowError } from '../mq/orderflow-error.js';

export const ThirdPartyErrorCode = {
  INVALID_KNOB: 'THIRD_PARTY_INVALID_KNOB',
  NOT_FOUND: 'THIRD_PARTY_NOT_FOUND',
  INVALID_OPTION: 'THIRD_PARTY_INVALID_OPTION',
  /** The vendors are external and no vendors process (ORDERFLOW_VENDORS_URL) serves their knobs. */
  NO_KNOBS: 'THIRD_PARTY_NO_KNOBS',
} as const;
export type ThirdPartyErrorCode = (typeof ThirdPartyErrorCode)[keyof typeof ThirdPartyErrorCode];

export class ThirdPartyError extends OrderflowError<ThirdPartyErrorCode> {
  override readonly name = 'ThirdPartyError';
  /** The knob, option or parameter that was refused (e.g. 'failureRate'). */
  readonly field: string;
  declare readonly details: Record<string, unknown>;

  constructor(code: ThirdPartyErrorCode, field: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details: { field, ...details } });
    this.field = field;
  }
}

export function isThirdPartyError(error: unknown, code?: ThirdPartyErrorCode): error is ThirdPartyError {
  return error instanceof ThirdPartyError && (code === undefined || error.code === code);
}

export const VendorErrorCode = {
  TIMEOUT: 'VENDOR_TIMEOUT',
  FAILURE: 'VENDOR_FAILURE',
  DOWN: 'VENDOR_DOWN',
  /** The vendor refused the request with a 4xx (bad body, not found, key reused): do not retry. */
  REJECTED: 'VENDOR_REJECTED',
  /** A success status whose body is not the JSON we expect, or a status we do not understand. */
  BAD_RESPONSE: 'VENDOR_BAD_RESPONSE',
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
} as const;
export type VendorErrorCode = (typeof VendorErrorCode)[keyof typeof VendorErrorCode];

export interface VendorErrorOptions {
  retriable: boolean;
  status?: number;
  /** The vendor's own error code from its `{error:{code}}` body, e.g. 'INVALID_REQUEST'. */
  vendorCode?: string;
  cause?: unknown;
}

export class VendorError extends OrderflowError<VendorErrorCode> {
  override readonly name = 'VendorError';
  /** Which vendor failed ('sms', 'logistics', 'payment', …). */
  readonly vendor: string;
  readonly status?: number;
  readonly vendorCode?: string;

  constructor(code: VendorErrorCode, vendor: string, message: string, options: VendorErrorOptions) {
    super(code, message, { cause: options.cause, retriable: options.retriable });
    this.vendor = vendor;
    this.status = options.status;
    this.vendorCode = options.vendorCode;
  }
}

export function isVendorError(error: unknown, code?: VendorErrorCode): error is VendorError {
  return error instanceof VendorError && (code === undefined || error.code === code);
}
