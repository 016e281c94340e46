// Calls to orderflow's HTTP API, and the two tokens the dashboard holds (in localStorage, so a reload
// keeps them). Every failure becomes an ApiError whose message is meant to be shown as is.

const USER_KEY = 'orderflow.user';
const ADMIN_KEY = 'orderflow.adminToken';

export const session = {
  /** { userId, token } or null */
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');
    } catch {
      return null;
    }
  },
  set user(value) {
    if (value) localStorage.setItem(USER_KEY, JSON.stringify(value));
    else localStorage.removeItem(USER_KEY);
  },
  get adminToken() {
    return localStorage.getItem(ADMIN_KEY) ?? '';
  },
  set adminToken(value) {
    if (value) localStorage.setItem(ADMIN_KEY, value);
    else localStorage.removeItem(ADMIN_KEY);
  },
};

export class ApiError extends Error {
  constructor(message, { status = 0, code = 'NETWORK', details } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// What each error code means for the person in front of the dashboard; the server's own message follows.
const PLAIN_WORDS = {
  BAD_REQUEST: 'The request was not understood',
  BAD_JSON: 'The request was not understood',
  VALIDATION_FAILED: 'Some input is not valid',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  ORDER_NOT_FOUND: 'Order not found',
  SKU_NOT_FOUND: 'Product not found',
  FLASH_SALE_NOT_FOUND: 'Flash sale not found',
  TICKET_NOT_FOUND: 'Ticket not found',
  CONFLICT: 'Conflict, try again',
  STOCK_INSUFFICIENT: 'Not enough stock',
  INVALID_STATE: "Not possible in the order's current state",
  SOLD_OUT: 'Sold out',
  ALREADY_HAS_TICKET: 'You already have a ticket for this sale (one unit per user)',
  FLASH_SALE_NOT_RUNNING: 'This flash sale is not running',
  COUPON_INVALID: 'The coupon cannot be used',
  RATE_LIMITED: 'Too many requests right now, try again in a moment',
  SERVICE_UNAVAILABLE: 'A service is unavailable, try again in a moment',
  INTERNAL: 'The server failed (a bug: see its log)',
};

function explain(status, body, auth) {
  const error = body && typeof body === 'object' ? body.error : undefined;
  if (!error || typeof error.code !== 'string')
    return new ApiError(`The server answered HTTP ${status} without an explanation`, { status, code: `HTTP_${status}` });
  let lead = PLAIN_WORDS[error.code];
  if (error.code === 'UNAUTHORIZED') {
    lead = auth === 'admin' ? 'The admin token is missing or wrong' : 'You are not logged in, or your session expired: log in again';
  } else if (error.code === 'FORBIDDEN' && auth === 'admin') {
    lead = 'A user token is not an admin token';
  }
  const issues = Array.isArray(error.details?.issues) ? error.details.issues.map((i) => i.message).filter(Boolean) : [];
  const said = issues.length > 0 ? issues.join('; ') : error.message;
  const message = lead ? `${lead}${said ? ` (${said})` : ''}` : `${error.code}: ${said}`;
  return new ApiError(message, { status, code: error.code, details: error.details });
}

/**
 * api('POST', '/api/orders', { body, auth: 'user' }) → the parsed JSON answer, or throws ApiError.
 * auth: 'none' | 'user' (the logged-in user's token) | 'admin' (the stored admin token).
 */
export async function api(method, path, { body, auth = 'none', token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const bearer = token ?? (auth === 'user' ? session.user?.token : auth === 'admin' ? session.adminToken : undefined);
  if (auth === 'user' && !bearer) throw new ApiError('Log in first (Shop demo, top left)', { code: 'UNAUTHORIZED', status: 401 });
  if (auth === 'admin' && !bearer) throw new ApiError('Enter the admin token first (Operations)', { code: 'UNAUTHORIZED', status: 401 });
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError('The server did not answer: is orderflow still running?');
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401 && auth === 'user' && !token) {
      // The stored token is no good any more: forget it so the shop asks to log in again.
      session.user = null;
      window.dispatchEvent(new Event('orderflow:session-ended'));
    }
    throw explain(response.status, parsed, auth);
  }
  if (text && parsed === undefined)
    throw new ApiError(`The server answered HTTP ${response.status} with something that is not JSON`, {
      status: response.status,
      code: 'NOT_JSON',
    });
  return parsed;
}

/** GET /metrics as text (Prometheus exposition format). */
export async function fetchMetricsText() {
  let response;
  try {
    response = await fetch('/metrics', { headers: { accept: 'text/plain' } });
  } catch {
    throw new ApiError('The server did not answer /metrics: is orderflow still running?');
  }
  if (!response.ok)
    throw new ApiError(`GET /metrics answered HTTP ${response.status}`, { status: response.status, code: `HTTP_${response.status}` });
  return response.text();
}
