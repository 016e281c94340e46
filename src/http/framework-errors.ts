/**
 * Requests that never reach a route answered in the API's one error shape, `{error:{code,message}}`, instead of
 * Fastify's or Node's own: a path the router cannot decode (a malformed percent-escape) or whose parameter is longer
 * than the router takes (414), and bytes Node's HTTP parser refuses (headers over its 16 KB limit: 431, a malformed
 * request: 400). None of them echoes what was sent: a 414's URL or a 431's headers can be kilobytes long, and
 * whatever a client sent is not ours to print back.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, type ErrorCode as Code } from '../errors.js';
import { toErrorReply } from './error-handler.js';

/** The router's limit on one path parameter (Fastify's default, made explicit: the 414's message states it). */
export const MAX_PARAM_LENGTH = 100;

/** For Fastify's `frameworkErrors`: errors raised while routing, before any route or hook runs. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTING_ERRORS[error.code];
  const out = toErrorReply(known ? new AppError(known.code, known.message) : error);
  if (out.isServerFault) request.log.error({ err: error }, 'routing failed');
  void reply.code(out.status).headers(out.headers).send(out.body);
}

const ROUTING_ERRORS: Record<string, { code: Code; message: string }> = {
  FST_ERR_BAD_URL: { code: ErrorCode.BAD_REQUEST, message: 'the URL path is not valid (a malformed percent-escape)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: ErrorCode.URI_TOO_LONG, message: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` },
};

/** What Node's parser reports, by error code; anything else is a malformed request (400). */
const CLIENT_ERRORS: Record<string, { status: number; code: Code; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: ErrorCode.HEADERS_TOO_LARGE,
    message: `the request's headers are larger than the server accepts (${http.maxHeaderSize} bytes)`,
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: ErrorCode.REQUEST_TIMEOUT, message: 'the request was not received in time' },
};
const MALFORMED = { status: 400, code: ErrorCode.BAD_REQUEST, message: 'the request is not valid HTTP' };

/**
 * For Fastify's `clientErrorHandler` (Node's `clientError`): the parser gave up on the connection, so there is no
 * request to reply to; the answer is written on the socket, which is then closed, as Node does by default.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, code, message } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
