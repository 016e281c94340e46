import type { IncomingMessage, ServerResponse } from 'node:http';
import { OrderflowError } from '../mq/orderflow-error.js';

/** Our requests are a few hundred bytes; a cap keeps a runaway client from filling memory. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Reply {
  status: number;
  body: unknown;
}

/** The error shape of every orderflow HTTP answer, simulators included: `{error:{code, message, details?}}`. */
export function errorReply(status: number, code: string, message: string, details?: Record<string, unknown>): Reply {
  return { status, body: { error: details === undefined ? { code, message } : { code, message, details } } };
}

/** A request body past the simulators' limit (answered 413). */
export class BodyTooLargeError extends OrderflowError<'PAYLOAD_TOO_LARGE'> {
  override readonly name = 'BodyTooLargeError';
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { details: { limit } });
  }
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return; // the server is closing, or the client went away
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
