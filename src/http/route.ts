/**
 * `route()` declares a route once: its zod schemas validate the request (our messages) and, converted
 * to JSON Schema, document it in OpenAPI; its `auth` picks the guard the server attaches.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteOptions } from 'fastify';
import type { ZodType } from 'zod';
import { parse, toDocSchema } from './validation.js';

export type RouteAuth = 'user' | 'admin' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Read by the server's onRoute hook, which prepends `requireUser` / `requireAdmin`. Absent means none. */
    auth?: RouteAuth;
  }
}

export interface RouteSchemas<B, Q, P> {
  body?: ZodType<B>;
  querystring?: ZodType<Q>;
  params?: ZodType<P>;
  /** Documentation only, by status code: responses are not checked or stripped. */
  response?: Record<number, ZodType>;
}

export interface RouteContext<B, Q, P, A extends RouteAuth> {
  body: B;
  query: Q;
  params: P;
  /** The caller on a `'user'` route; undefined elsewhere. */
  userId: A extends 'user' ? string : undefined;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDefinition<B, Q, P, A extends RouteAuth, R> {
  method: HTTPMethods | HTTPMethods[];
  /** Relative to the plugin's prefix (`/api` for the routes given to `createHttpServer`). */
  url: string;
  auth: A;
  /** Success status; default 200. The handler may still set another through `reply.code()`. */
  status?: number;
  summary?: string;
  description?: string;
  tags?: string[];
  schema?: RouteSchemas<B, Q, P>;
  /** Returns the response body (sent as JSON). */
  handler: (ctx: RouteContext<B, Q, P, A>) => Promise<R> | R;
}

/**
 * @example
 * const PayParams = z.object({ id: z.string() });
 * const PayBody = z.object({ paymentId: z.string().optional() });
 * app.route(route({
 *   method: 'POST', url: '/orders/:id/pay', auth: 'user', tags: ['orders'],
 *   schema: { params: PayParams, body: PayBody, response: { 200: z.object({ orderId: z.string(), status: z.literal('PAID') }) } },
 *   handler: ({ params, body, userId }) => orders.pay(userId, params.id, body.paymentId),
 * }));
 */
export function route<B = unknown, Q = unknown, P = unknown, A extends RouteAuth = RouteAuth, R = unknown>(
  def: RouteDefinition<B, Q, P, A, R>,
): RouteOptions {
  const zod = def.schema ?? {};
  return {
    method: def.method,
    url: def.url,
    config: { auth: def.auth },
    schema: docSchema(def),
    async handler(request, reply) {
      const ctx = {
        body: zod.body ? parse(zod.body, request.body ?? {}, 'body') : request.body,
        query: zod.querystring ? parse(zod.querystring, request.query, 'query') : request.query,
        params: zod.params ? parse(zod.params, request.params, 'params') : request.params,
        userId: request.userId,
        request,
        reply,
      } as RouteContext<B, Q, P, A>;
      reply.code(def.status ?? 200);
      const result = await def.handler(ctx);
      return reply.sent ? reply : reply.send(result);
    },
  };
}

/** A plugin registering the given routes, for `createHttpServer({ routes: [routePlugin([...])] })`. */
export function routePlugin(routes: RouteOptions[]): FastifyPluginAsync {
  return async (app) => {
    for (const options of routes) app.route(options);
  };
}

function docSchema<B, Q, P, A extends RouteAuth, R>(def: RouteDefinition<B, Q, P, A, R>): FastifySchema {
  const zod = def.schema ?? {};
  const schema: FastifySchema & Record<string, unknown> = {};
  if (def.summary) schema.summary = def.summary;
  if (def.description) schema.description = def.description;
  if (def.tags) schema.tags = def.tags;
  // Which token a route takes, in the document: a user's (bearerAuth) or the admin token (adminToken).
  if (def.auth !== 'none') schema.security = [{ [def.auth === 'admin' ? 'adminToken' : 'bearerAuth']: [] }];
  if (zod.body) schema.body = toDocSchema(zod.body, 'input');
  if (zod.querystring) schema.querystring = toDocSchema(zod.querystring, 'input');
  if (zod.params) schema.params = toDocSchema(zod.params, 'input');
  if (zod.response) {
    schema.response = Object.fromEntries(Object.entries(zod.response).map(([status, s]) => [status, toDocSchema(s, 'output')]));
  }
  return schema;
}
