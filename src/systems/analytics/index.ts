/** The analytics system's public API. */
export { createAnalyticsSystem, type AnalyticsSystem, type AnalyticsSystemDeps, type FaultSpec } from './analytics-system.js';
export { analyticsRoutes } from './routes.js';
export type { AnalyticsSummary } from './summary.js';
