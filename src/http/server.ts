/**
 * The Fastify server every system's routes plug into: one error shape, bearer auth, OpenAPI at /docs,
 * health and Prometheus metrics. It takes its settings as arguments (only config.ts reads the
 * environment, so every setting is validated in one place) and does not listen: the composition root calls `listen()` and `close()`.
 */
import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type preHandlerAsyncHookHandler,
} from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { DEFAULT_TOKEN_TTL_SECONDS, requireAdmin, requireUser, signToken } from './auth.js';
import { installDashboard } from './dashboard.js';
import { installErrorHandling } from './error-handler.js';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH } from './framework-errors.js';
import { installHealth, type HealthCheck } from './health.js';
import { installJsonOnly } from './json-body.js';
import { loginRateLimit, type LimitLogin, type LoginLimits } from './login-rate-limit.js';
import { installMetrics } from './metrics.js';
import { trackConnections, type ConnectionDrain } from './connection-drain.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for hand-written user routes (`route()` attaches it from `auth: 'user'`). */
    requireUser: preHandlerAsyncHookHandler;
    requireAdmin: preHandlerAsyncHookHandler;
    /** Issues a bearer token with the server's secret, for the login route. */
    issueToken(userId: string, ttlSeconds?: number): string;
    /** Connections and requests still open (what a slow shutdown waits for). */
    openConnections: ConnectionDrain['open'];
    /** The login route's first step: 429 RATE_LIMITED past the limits per user and per address (`loginLimits`). */
    limitLogin: LimitLogin;
  }
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const API_PREFIX = '/api';

export interface HttpServerOptions {
  logger: Logger;
  /** Accepted as `Authorization: Bearer <adminToken>` on admin routes. */
  adminToken: string;
  /** HMAC secret of user tokens. */
  tokenSecret: string;
  /** Each registered under `/api`. */
  routes: FastifyPluginAsync[];
  health: HealthCheck;
  /** Where metrics are registered and scraped from; a fresh registry if absent. */
  metrics?: Registry;
  /** Static files served at `/` when given. */
  dashboardDir?: string;
  bodyLimitBytes?: number;
  /** Login attempts a minute per user id and per client address; absent or 0: no limit. */
  loginLimits?: LoginLimits;
}

/**
 * @example
 * const app = await createHttpServer({ logger, adminToken, tokenSecret, routes: [orderRoutes], health });
 * await app.listen({ port: 3000 });
 * // on shutdown: await app.close();
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  for (const name of ['adminToken', 'tokenSecret'] as const) {
    // An empty admin token would make `Bearer ` an admin: refuse to start instead.
    if (typeof options[name] !== 'string' || options[name].trim() === '') {
      throw new TypeError(`createHttpServer: ${name} must be a non-empty string`);
    }
  }
  const app = Fastify({
    // Typed as the base logger so the instance is a plain `FastifyInstance` for every plugin and helper.
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    // Requests refused before any route (bad path, oversized headers) answer in the API's error shape too.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  });

  // close(): in-flight requests finish (HTTP_DRAIN_TIMEOUT_MS at most), idle and never-used connections end at once.
  const drain = trackConnections(app.server);
  app.addHook('preClose', async () => drain.start());
  app.decorate('openConnections', () => drain.open());

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Zod validates inside handlers (see route()); schemas on routes are documentation, so Fastify must
  // neither validate them with ajv nor strip response fields with fast-json-stringify.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installJsonOnly(app);
  installErrorHandling(app);

  app.decorateRequest('userId', undefined);
  const guards = {
    user: requireUser(options.tokenSecret),
    admin: requireAdmin(options.adminToken, options.tokenSecret),
  };
  app.decorate('requireUser', guards.user);
  app.decorate('requireAdmin', guards.admin);
  app.decorate('issueToken', (userId: string, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS) =>
    signToken(userId, options.tokenSecret, ttlSeconds),
  );
  // Counters only where a route asks (`global: false`): the login route, through limitLogin.
  await app.register(fastifyRateLimit, { global: false });
  app.decorate('limitLogin', loginRateLimit(app, options.loginLimits ?? { perUser: 0, perAddress: 0 }));
  // Auth declared as data (`config.auth`) is turned into a guard here, once, for every route registered after.
  app.addHook('onRoute', (routeOptions) => {
    const auth = routeOptions.config?.auth;
    if (auth !== 'user' && auth !== 'admin') return;
    const existing = routeOptions.preHandler;
    routeOptions.preHandler = [guards[auth], ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'orderflow', version: '0.1.0', description: 'Order system built around a message queue.' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'a user token from POST /api/auth/login' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'the admin token (ORDERFLOW_ADMIN_TOKEN)' },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  installMetrics(app, options.metrics ?? new Registry());
  installHealth(app, options.health);
  for (const plugin of options.routes) await app.register(plugin, { prefix: API_PREFIX });
  if (options.dashboardDir !== undefined) installDashboard(app, options.dashboardDir);

  await app.ready();
  return app;
}
