import { CircuitBreaker, DEFAULT_FAILURE_THRESHOLD, DEFAULT_OPEN_MS, type CircuitState } from './circuit-breaker.js';
import { ThirdPartyError, ThirdPartyErrorCode, VendorError, VendorErrorCode } from './errors.js';
import { exchange } from './vendor-exchange.js';
import { silentLogger, type ThirdPartyLogger } from './types.js';

export interface VendorClientOptions {
  /** Names the vendor in errors and logs ('sms', 'logistics', 'payment'). */
  name: string;
  /** e.g. `thirdParties.urls.payment`; paths are appended to it. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set (ORDERFLOW_SMS_API_KEY, …): what a real vendor asks for. */
  apiKey?: string;
  /** Whole-call budget (connect, request, response body): past it the call fails VENDOR_TIMEOUT. */
  timeoutMs: number;
  breaker?: {
    /** Consecutive failures that open the circuit (default 5). */
    failureThreshold?: number;
    /** How long an open circuit fails fast before letting one trial call through (default 5000). */
    openMs?: number;
  };
  logger?: ThirdPartyLogger;
  /** Clock of the breaker (default Date.now), so a test can move time. */
  now?: () => number;
}

export interface VendorClient {
  readonly name: string;
  /**
   * POSTs `{...body, idempotencyKey}` (the key also goes in the `Idempotency-Key` header) and returns
   * the parsed JSON answer. The answer is not validated: parse it if you depend on its shape.
   * A failure throws VendorError; retry it with the SAME idempotencyKey when `retriable`.
   */
  post<T>(path: string, body: Record<string, unknown>, options: { idempotencyKey: string }): Promise<T>;
  get<T>(path: string): Promise<T>;
  state(): CircuitState;
}

/**
 * A client for one third party: real HTTP over undici (its global agent pools keep-alive
 * connections per origin by default), a timeout on every call, and a circuit breaker so a dead vendor
 * costs callers nothing but a fast VendorError('CIRCUIT_OPEN'). It never retries by itself: retry
 * belongs to the MQ consumer (RETRY_LATER, back-off, DLQ), in one place.
 *
 * @example
 * const payment = createVendorClient({ name: 'payment', baseUrl: thirdParties.urls.payment, timeoutMs: 2000 });
 * const refund = await payment.post<{ refundId: string }>('/refunds', { paymentId, amount }, { idempotencyKey: `refund:${refundId}` });
 */
export function createVendorClient(options: VendorClientOptions): VendorClient {
  const { name, baseUrl, timeoutMs } = options;
  const logger = options.logger ?? silentLogger;
  const failureThreshold = options.breaker?.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  const openMs = options.breaker?.openMs ?? DEFAULT_OPEN_MS;
  check(typeof name === 'string' && name !== '', 'name', 'must be a non-empty string', name);
  check(isHttpUrl(baseUrl), 'baseUrl', 'must be an http(s) URL', baseUrl);
  check(
    options.apiKey === undefined || (typeof options.apiKey === 'string' && options.apiKey !== ''),
    'apiKey',
    'must be a non-empty string when given',
    '(hidden)',
  );
  check(Number.isInteger(timeoutMs) && timeoutMs > 0, 'timeoutMs', 'must be a positive integer', timeoutMs);
  check(
    Number.isInteger(failureThreshold) && failureThreshold >= 1,
    'breaker.failureThreshold',
    'must be an integer >= 1',
    failureThreshold,
  );
  check(Number.isInteger(openMs) && openMs >= 0, 'breaker.openMs', 'must be an integer >= 0', openMs);

  const root = baseUrl.replace(/\/+$/, '');
  const breaker = new CircuitBreaker({
    failureThreshold,
    openMs,
    now: options.now ?? Date.now,
    onStateChange: (to, { consecutiveFailures }) => {
      if (to === 'OPEN') logger.warn({ vendor: name, consecutiveFailures, openMs }, 'vendor circuit opened: failing fast');
      else logger.info({ vendor: name }, to === 'CLOSED' ? 'vendor circuit closed' : 'vendor circuit half-open: trial call');
    },
  });

  async function call<T>(method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, idempotencyKey?: string): Promise<T> {
    const permit = breaker.acquire();
    if (!permit) {
      throw new VendorError(
        VendorErrorCode.CIRCUIT_OPEN,
        name,
        `${name}: circuit open, not calling the vendor (next trial in ${breaker.retryInMs()} ms)`,
        {
          retriable: true,
        },
      );
    }
    const url = root + (path.startsWith('/') ? path : `/${path}`);
    try {
      const result = await exchange<T>({ vendor: name, method, url, body, idempotencyKey, bearerToken: options.apiKey, timeoutMs });
      breaker.success(permit);
      return result;
    } catch (error) {
      // A 4xx means the vendor is up and refused this request: not a sign of an unhealthy vendor.
      if (error instanceof VendorError && error.code === VendorErrorCode.REJECTED) breaker.success(permit);
      else breaker.failure(permit);
      logger.debug({ vendor: name, method, path, err: error }, 'vendor call failed');
      throw error;
    }
  }

  return {
    name,
    post<T>(path: string, body: Record<string, unknown>, { idempotencyKey }: { idempotencyKey: string }) {
      check(typeof idempotencyKey === 'string' && idempotencyKey !== '', 'idempotencyKey', 'must be a non-empty string', idempotencyKey);
      check(
        body.idempotencyKey === undefined || body.idempotencyKey === idempotencyKey,
        'body.idempotencyKey',
        'differs from options.idempotencyKey',
        body.idempotencyKey,
      );
      return call<T>('POST', path, { ...body, idempotencyKey }, idempotencyKey);
    },
    get: <T>(path: string) => call<T>('GET', path),
    state: () => breaker.state(),
  };
}

function check(ok: boolean, field: string, problem: string, value: unknown): void {
  if (!ok)
    throw new ThirdPartyError(ThirdPartyErrorCode.INVALID_OPTION, field, `${field} ${problem} (got ${JSON.stringify(value)})`, { value });
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
