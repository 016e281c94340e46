/**
 * Every error that leaves the HTTP layer goes through `toErrorReply`, so the response shape
 * `{error:{code,message,details?}}` and the code → status mapping live in one place.
 * A 5xx never carries the original message or a stack: it is logged, and the client gets a generic text.
 */
import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode, externalStatusOf, isAppError, isOrderflowError, statusOf } from '../errors.js';
import { isZodError, zodToAppError } from './validation.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Whether this is a fault of ours (log it loudly) rather than of the request. */
  isServerFault: boolean;
}

/** Fastify's request-shape errors that deserve their own code. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.BAD_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.BAD_JSON,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
};

/** A 4xx from Fastify or a plugin (http-errors style `statusCode`) without a code of ours. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
};

const GENERIC_5XX_MESSAGE = 'internal error';
const MQ_5XX_MESSAGE = 'message queue unavailable, retry later';
const DEPENDENCY_5XX_MESSAGE = 'a dependency is unavailable, retry later';

export function toErrorReply(error: unknown): ErrorReply {
  if (isZodError(error)) return fromAppError(zodToAppError(error));
  if (isAppError(error)) return fromAppError(error);

  const code = codeOf(error);
  // Another module's error (MqError, ThirdPartyError, VendorError): its code is kept, its status is declared in errors.ts.
  const external = code === undefined ? undefined : externalStatusOf(code);
  if (code !== undefined && (external !== undefined || code.startsWith('MQ_'))) {
    const status = external ?? 500;
    const foreign = error as { message?: unknown; details?: unknown };
    const details = isRecord(foreign.details) ? foreign.details : undefined;
    if (status < 500) return reply(status, code, messageOf(error), details);
    // Broker and vendor internals (hosts, vendor bodies) stay in the log.
    return reply(status, code, code.startsWith('MQ_') ? MQ_5XX_MESSAGE : DEPENDENCY_5XX_MESSAGE, undefined, true);
  }

  const ours = code === undefined ? undefined : FASTIFY_CODES[code];
  if (ours !== undefined) return reply(statusOf(ours)!, ours, messageOf(error));

  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const generic = CODE_BY_STATUS[statusCode] ?? ErrorCode.BAD_REQUEST;
    return reply(statusOf(generic)!, generic, messageOf(error));
  }
  // Any other error of ours that says the same call may succeed later (a database unreachable, a lost race
  // inside a consumer's store): the client is told to retry, the details stay in the log.
  if (isOrderflowError(error) && error.retriable) return reply(503, ErrorCode.SERVICE_UNAVAILABLE, DEPENDENCY_5XX_MESSAGE, undefined, true);
  return reply(500, ErrorCode.INTERNAL, GENERIC_5XX_MESSAGE, undefined, true);
}

/** Installs the one error handler and the 404 handler on the root instance (children inherit them). */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, res) => {
    const out = toErrorReply(error);
    if (out.isServerFault) request.log.error({ err: error }, 'request failed');
    // 4xx are the caller's business and can be frequent (sold out under a flash sale): keep them quiet.
    else request.log.debug({ code: out.body.error.code }, 'request refused');
    return res.code(out.status).headers(out.headers).send(out.body);
  });
  app.setNotFoundHandler((request, res) => {
    const out = fromAppError(noRoute(request));
    return res.code(out.status).send(out.body);
  });
}

/** Paths echoed in a 404 are cut here: a client's kilobytes of URL are not worth sending back. */
const ECHOED_PATH_LENGTH = 120;

/** 404 NOT_FOUND for a request no route (or dashboard file) answers, naming its method and path (cut short). */
export function noRoute(request: { method: string; url: string }): AppError {
  const path = request.url.split('?')[0];
  const shown = path.length > ECHOED_PATH_LENGTH ? `${path.slice(0, ECHOED_PATH_LENGTH)}…` : path;
  return new AppError(ErrorCode.NOT_FOUND, `no route ${request.method} ${shown}`);
}

function fromAppError(error: AppError): ErrorReply {
  // An AppError's message is written by us for the client, so it is kept even on a 503.
  const out = reply(error.status, error.code, error.message, error.details, error.status >= 500);
  const retryAfterMs = error.details?.retryAfterMs;
  if (error.code === ErrorCode.RATE_LIMITED && typeof retryAfterMs === 'number') {
    out.headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  return out;
}

function reply(status: number, code: string, message: string, details?: Record<string, unknown>, isServerFault = false): ErrorReply {
  const error: ErrorBody['error'] = { code, message };
  if (details !== undefined) error.details = details;
  return { status, body: { error }, headers: {}, isServerFault };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error && error.message !== '' ? error.message : 'bad request';
}
