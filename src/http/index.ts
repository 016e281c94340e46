/** The HTTP plumbing every system's routes plug into. Anything not named here is internal. */
export { createHttpServer, API_PREFIX, DEFAULT_BODY_LIMIT_BYTES } from './server.js';
export type { HttpServerOptions } from './server.js';
export type { HealthCheck } from './health.js';
export { dependencyHealth, HEALTH_PROBE_TIMEOUT_MS } from './dependency-health.js';
export type { Probe } from './dependency-health.js';
export { route, routePlugin } from './route.js';
export type { RouteAuth, RouteContext, RouteDefinition, RouteSchemas } from './route.js';
export { parse, fieldIssues, isZodError, toDocSchema } from './validation.js';
export { signToken, verifyToken, requireUser, requireAdmin, DEFAULT_TOKEN_TTL_SECONDS } from './auth.js';
export type { VerifiedToken } from './auth.js';
export { toErrorReply } from './error-handler.js';
export type { ErrorBody, ErrorReply } from './error-handler.js';
export { HTTP_DURATION_METRIC } from './metrics.js';
export { DASHBOARD_ASSETS_DIR } from './dashboard.js';
