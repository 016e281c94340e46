import { request as undiciRequest } from 'undici';
import { VendorError, VendorErrorCode } from './errors.js';

/** undici's own timeouts (its timers tick once a second, so they only back up ours). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface ExchangeRequest {
  vendor: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: Record<string, unknown>;
  idempotencyKey?: string;
  /** Sent as `Authorization: Bearer <token>`: a vendor's API key, or the vendors process's admin token. */
  bearerToken?: string;
  timeoutMs: number;
}

/**
 * One HTTP round trip, every way it can go wrong mapped to a VendorError in this one function, so
 * callers switch on `code`/`retriable` and never on undici's own errors.
 */
export async function exchange<T>(request: ExchangeRequest): Promise<T> {
  const { vendor, method, url, timeoutMs } = request;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  if (request.bearerToken !== undefined) headers.authorization = `Bearer ${request.bearerToken}`;

  let status: number;
  let text: string;
  // One timer for the whole call, body included: a vendor that stalls mid-answer still times out.
  // A plain AbortController: AbortSignal.timeout costs ~25× more per call in Node 20.
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  try {
    // undici's request, not fetch: a vendor call per consumed message is the consumers' hot path, and
    // fetch (web streams on top of the same client) costs several times the CPU.
    const response = await undiciRequest(url, {
      method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: abort.signal,
    });
    status = response.statusCode;
    text = await response.body.text(); // always read: an unread body pins the keep-alive connection
  } catch (error) {
    if (timedOut || TIMEOUT_CODES.has(errorCode(error) ?? '')) {
      throw new VendorError(VendorErrorCode.TIMEOUT, vendor, `${vendor}: ${method} ${url} timed out after ${timeoutMs} ms`, {
        retriable: true,
        cause: error,
      });
    }
    const reason = networkCode(error);
    throw new VendorError(VendorErrorCode.DOWN, vendor, `${vendor}: ${method} ${url} unreachable (${reason})`, {
      retriable: true,
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }

  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      // Retriable: our writes carry idempotency keys, so asking again is safe and may get a clean answer.
      throw new VendorError(
        VendorErrorCode.BAD_RESPONSE,
        vendor,
        `${vendor}: ${method} ${url} answered ${status} with a body that is not JSON`,
        {
          retriable: true,
          status,
          cause: error,
        },
      );
    }
  }
  const { code: vendorCode, message } = vendorErrorBody(text);
  const detail = `${vendor}: ${method} ${url} answered ${status}${vendorCode ? ` ${vendorCode}` : ''}${message ? `: ${message}` : ''}`;
  if (status >= 400 && status < 500) {
    throw new VendorError(VendorErrorCode.REJECTED, vendor, detail, { retriable: false, status, vendorCode });
  }
  if (status >= 500) {
    const code = vendorCode === 'VENDOR_DOWN' ? VendorErrorCode.DOWN : VendorErrorCode.FAILURE;
    throw new VendorError(code, vendor, detail, { retriable: true, status, vendorCode });
  }
  throw new VendorError(VendorErrorCode.BAD_RESPONSE, vendor, `${detail} (unexpected status)`, { retriable: true, status, vendorCode });
}

/** Reads `{error:{code, message}}` when the vendor sent one; anything else yields nothing. */
function vendorErrorBody(text: string): { code?: string; message?: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return {
      code: typeof error?.code === 'string' ? error.code : undefined,
      message: typeof error?.message === 'string' ? error.message : undefined,
    };
  } catch {
    return {};
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A socket error's code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), else its message. */
function networkCode(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
