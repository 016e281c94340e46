import type { IncomingMessage, ServerResponse } from 'node:http';

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

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body exceeds ${limit} bytes`);
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
