import type { z } from 'zod';
import { errorReply, type Reply } from './http-json.js';

export type Method = 'GET' | 'POST';

export interface RouteInput<B> {
  body: B;
  params: Record<string, string>;
  /** The query string's parameters (the last value of a repeated one). */
  query: Record<string, string>;
}

/** One endpoint of a simulator. `handle` is synchronous so that effects stay atomic (see IdempotencyStore). */
export interface Route {
  method: Method;
  /** Segments starting with ':' are parameters: '/refunds/:idempotencyKey'. */
  path: string;
  /** Parses the JSON body; a failure is answered 400 INVALID_REQUEST naming the field. */
  parseBody(body: unknown): { ok: true; value: unknown } | { ok: false; reply: Reply };
  handle(input: RouteInput<unknown>): Reply;
}

/** Ties a body schema to its handler so the handler sees the parsed, typed body. */
export function defineRoute<S extends z.ZodType>(route: {
  method: Method;
  path: string;
  body?: S;
  handle(input: RouteInput<z.output<S>>): Reply;
}): Route {
  return {
    method: route.method,
    path: route.path,
    parseBody(body) {
      if (!route.body) return { ok: true, value: body };
      const parsed = route.body.safeParse(body);
      if (parsed.success) return { ok: true, value: parsed.data };
      const issue = parsed.error.issues[0];
      const field = issue.path.map(String).join('.') || 'body';
      return { ok: false, reply: errorReply(400, 'INVALID_REQUEST', `${field}: ${issue.message}`, { field }) };
    },
    handle: (input) => route.handle(input as RouteInput<z.output<S>>),
  };
}

export type RouteMatch = { route: Route; params: Record<string, string> } | { reply: Reply };

/** Finds the route for a request, or the 404/405 answer. */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    pathMatched = true;
  }
  return pathMatched
    ? { reply: errorReply(405, 'METHOD_NOT_ALLOWED', `${method} ${pathname} is not supported`) }
    : { reply: errorReply(404, 'NOT_FOUND', `no route for ${method} ${pathname}`) };
}

function matchPath(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 1) {
    if (parts[i].startsWith(':')) {
      try {
        params[parts[i].slice(1)] = decodeURIComponent(segments[i]);
      } catch {
        return undefined; // a malformed %-escape matches nothing: 404
      }
    } else if (parts[i] !== segments[i]) return undefined;
  }
  return params;
}
