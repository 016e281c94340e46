import { VendorError, VendorErrorCode } from './errors.js';

export interface ExchangeRequest {
  vendor: string;
  method: 'GET' | 'POST';
  url: string;
  body?: Record<string, unknown>;
  idempotencyKey?: string;
  timeoutMs: number;
}

/**
 * One HTTP round trip, every way it can go wrong mapped to a VendorError in this one function, so
 * callers switch on `code`/`retriable` and never on fetch's or undici's own errors.
 */
export async function exchange<T>(request: ExchangeRequest): Promise<T> {
  const { vendor, method, url, timeoutMs } = request;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;

  let status: number;
  let text: string;
  try {
    // One signal for the whole call, body included: a vendor that stalls mid-answer still times out.
    const response = await fetch(url, {
      method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text(); // always read: an unread body pins the keep-alive connection
  } catch (error) {
    if (errorName(error) === 'TimeoutError') {
      throw new VendorError(VendorErrorCode.TIMEOUT, vendor, `${vendor}: ${method} ${url} timed out after ${timeoutMs} ms`, {
        retriable: true,
        cause: error,
      });
    }
    const reason = networkCode(error);
    throw new VendorError(VendorErrorCode.DOWN, vendor, `${vendor}: ${method} ${url} unreachable (${reason})`, { retriable: true, cause: error });
  }

  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      // Retriable: our writes carry idempotency keys, so asking again is safe and may get a clean answer.
      throw new VendorError(VendorErrorCode.BAD_RESPONSE, vendor, `${vendor}: ${method} ${url} answered ${status} with a body that is not JSON`, {
        retriable: true,
        status,
        cause: error,
      });
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

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined;
}

/** fetch wraps socket errors: `TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })`. */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
