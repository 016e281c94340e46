/**
 * Application errors shared by every system. Each error carries a stable string `code`; its HTTP
 * status comes from `ERROR_STATUS` below and nowhere else, so a route never picks a status by hand
 * and the HTTP layer maps every error in one place (`src/http/error-handler.ts`).
 *
 * Every error orderflow throws on purpose derives from `OrderflowError` (code, retriable, cause), re-exported here.
 */
import type { MqErrorCode } from './mq/errors.js';
import { OrderflowError, type OrderflowErrorOptions } from './mq/orderflow-error.js';
import type { ThirdPartyErrorCode, VendorErrorCode } from './third-parties/errors.js';

/** The one place an application error code gets its HTTP status. */
const ERROR_STATUS = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  /** A payment callback without a valid signature (missing, malformed, forged) or outside the tolerance window. */
  SIGNATURE_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  SKU_NOT_FOUND: 404,
  FLASH_SALE_NOT_FOUND: 404,
  TICKET_NOT_FOUND: 404,
  /** A payment callback about a payment this shop never created. */
  PAYMENT_NOT_FOUND: 404,
  /** The client took too long to send its request (Node's request timeout). */
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  STOCK_INSUFFICIENT: 409,
  /** An order transition that the order's current status does not allow. */
  INVALID_STATE: 409,
  SOLD_OUT: 409,
  ALREADY_HAS_TICKET: 409,
  /** A flash sale that has not started yet or is over. */
  FLASH_SALE_NOT_RUNNING: 409,
  COUPON_INVALID: 409,
  /** A payment callback whose order or amount differs from the payment the shop created. */
  PAYMENT_MISMATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** A path parameter longer than the router accepts (no id is that long). */
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** Request headers over Node's limit (16 KB by default). */
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** `ErrorCode.ORDER_NOT_FOUND === 'ORDER_NOT_FOUND'`; derived from the status table so a code cannot lack a status. */
export const ErrorCode = Object.freeze(Object.fromEntries(Object.keys(ERROR_STATUS).map((code) => [code, code]))) as {
  readonly [C in ErrorCode]: C;
};

/**
 * Statuses of codes carried by other modules' own errors (MqError, ThirdPartyError, VendorError), so they
 * need not know HTTP. `satisfies` makes a new code there a compile error here rather than a silent 500.
 * Broker or vendor trouble is 503 so clients know to retry; a vendor answering nonsense is 502.
 */
const EXTERNAL_ERROR_STATUS = {
  MQ_INVALID_ARGUMENT: 400,
  MQ_WRONG_MESSAGE_TYPE: 400,
  MQ_TOPIC_NOT_FOUND: 404,
  MQ_MESSAGE_NOT_FOUND: 404,
  MQ_TOPIC_EXISTS: 409,
  MQ_RECEIPT_EXPIRED: 409,
  MQ_MESSAGE_TOO_LARGE: 413,
  MQ_STORE_FAILURE: 500,
  MQ_UNSUPPORTED: 501,
  MQ_CLOSED: 503,
  MQ_STORE_LOCKED: 503,
  MQ_UNAVAILABLE: 503,
  MQ_TIMEOUT: 503,
  THIRD_PARTY_INVALID_KNOB: 400,
  THIRD_PARTY_INVALID_OPTION: 400,
  THIRD_PARTY_NOT_FOUND: 404,
  THIRD_PARTY_NO_KNOBS: 503,
  VENDOR_REJECTED: 502,
  VENDOR_BAD_RESPONSE: 502,
  VENDOR_TIMEOUT: 503,
  VENDOR_FAILURE: 503,
  VENDOR_DOWN: 503,
  CIRCUIT_OPEN: 503,
} as const satisfies Record<MqErrorCode | ThirdPartyErrorCode | VendorErrorCode, number>;

/** HTTP status of an application code or of another module's error code; undefined for a code nobody declared. */
export function statusOf(code: string): number | undefined {
  return Object.hasOwn(ERROR_STATUS, code) ? ERROR_STATUS[code as ErrorCode] : externalStatusOf(code);
}

/** Status of a code from another module's error (`MQ_TIMEOUT`, `THIRD_PARTY_NOT_FOUND`, `VENDOR_DOWN`, ...). */
export function externalStatusOf(code: string): number | undefined {
  return Object.hasOwn(EXTERNAL_ERROR_STATUS, code) ? EXTERNAL_ERROR_STATUS[code as keyof typeof EXTERNAL_ERROR_STATUS] : undefined;
}

/** `retriable`: true when the same request may succeed later (a dependency down, a lost race). */
export type AppErrorOptions = OrderflowErrorOptions;

/**
 * @example
 * throw new AppError(ErrorCode.COUPON_INVALID, 'coupon c-1 has expired', { details: { couponId: 'c-1' } });
 */
export class AppError extends OrderflowError<ErrorCode> {
  override readonly name: string = 'AppError';
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(code, message, options);
    this.status = ERROR_STATUS[code];
  }
}

/** A broken invariant of our own (a bug, not the caller's fault): a 500 whose message stays in the log. */
export const internalError = (message: string, details?: Record<string, unknown>) => new AppError(ErrorCode.INTERNAL, message, { details });

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}

export interface FieldIssue {
  /** Dotted path of the bad field, e.g. `items.0.quantity`; empty for the value itself. */
  path: string;
  message: string;
}

export const validationFailed = (issues: FieldIssue[], message = 'request is not valid') =>
  new AppError(ErrorCode.VALIDATION_FAILED, message, { details: { issues } });

/**
 * `notFound('order', 'o-1')` is ORDER_NOT_FOUND; a thing without its own code is plain NOT_FOUND.
 * @example throw notFound('sku', skuId);
 */
export function notFound(what: string, id: string | number): AppError {
  const specific = `${what.replace(/[\s-]+/g, '_').toUpperCase()}_NOT_FOUND`;
  const code = Object.hasOwn(ERROR_STATUS, specific) ? (specific as ErrorCode) : ErrorCode.NOT_FOUND;
  return new AppError(code, `${what} '${id}' not found`, { details: { [`${camel(what)}Id`]: String(id) } });
}

export const invalidState = (orderId: string, status: string, action: string) =>
  new AppError(ErrorCode.INVALID_STATE, `cannot ${action} order '${orderId}' in status ${status}`, {
    details: { orderId, status, action },
  });

export const stockInsufficient = (skuId: string, requested: number, available: number) =>
  new AppError(ErrorCode.STOCK_INSUFFICIENT, `sku '${skuId}': ${requested} requested, ${available} available`, {
    details: { skuId, requested, available },
  });

export const soldOut = (flashSaleId: string) =>
  new AppError(ErrorCode.SOLD_OUT, `flash sale '${flashSaleId}' is sold out`, { details: { flashSaleId } });

export const alreadyHasTicket = (flashSaleId: string, userId: string, ticketId?: string) =>
  new AppError(ErrorCode.ALREADY_HAS_TICKET, `user '${userId}' already has a ticket for flash sale '${flashSaleId}'`, {
    details: { flashSaleId, userId, ...(ticketId === undefined ? {} : { ticketId }) },
  });

export const couponInvalid = (couponId: string, reason: string) =>
  new AppError(ErrorCode.COUPON_INVALID, `coupon '${couponId}' cannot be used: ${reason}`, {
    details: { couponId, reason },
  });

export const unauthorized = (message = 'authentication required') => new AppError(ErrorCode.UNAUTHORIZED, message);

export const forbidden = (message = 'not allowed') => new AppError(ErrorCode.FORBIDDEN, message);

export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.CONFLICT, message, { details, retriable: true });

/** `retryAfterMs` becomes the response's `Retry-After` header. */
export const rateLimited = (retryAfterMs?: number) =>
  new AppError(ErrorCode.RATE_LIMITED, 'too many requests, retry later', {
    details: retryAfterMs === undefined ? undefined : { retryAfterMs },
    retriable: true,
  });

export const serviceUnavailable = (what: string, cause?: unknown) =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, `${what} is unavailable, retry later`, { cause, retriable: true });

function camel(words: string): string {
  return words.toLowerCase().replace(/[\s_-]+(\w)/g, (_, c: string) => c.toUpperCase());
}

export { isOrderflowError, OrderflowError, type OrderflowErrorOptions } from './mq/orderflow-error.js';
