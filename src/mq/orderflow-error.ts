/**
 * The base of every error orderflow throws on purpose: the messaging API's, the storage layer's, the
 * vendors', the configuration's and the application's errors all derive from it. It carries a stable
 * string `code` (what callers and the HTTP layer branch on), `retriable` (whether the same call may
 * succeed later: a dependency down, a lost race) and the `cause` it wraps. Anything else that reaches a
 * caller is a bug.
 *
 * It lives in src/mq because the messaging API is published on its own (`orderflow/mq`) and imports
 * nothing outside src/mq; the rest of orderflow imports it from here (re-exported by src/errors.ts).
 */
export interface OrderflowErrorOptions {
  cause?: unknown;
  /** True when the same call may succeed later. */
  retriable?: boolean;
  /** Facts about the failure a caller may show or act on (ids, the setting at fault, ...). */
  details?: Record<string, unknown>;
}

export class OrderflowError<Code extends string = string> extends Error {
  override readonly name: string = 'OrderflowError';
  readonly code: Code;
  readonly retriable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: Code, message: string, options: OrderflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }
}

export function isOrderflowError(error: unknown): error is OrderflowError {
  return error instanceof OrderflowError;
}
