/**
 * The order system's public API: what the composition root, the HTTP server and other systems may use.
 * Everything else in this folder is its own business (test/architecture/imports.test.ts keeps it so).
 */
export { createOrderSystem, type DownstreamView, type OrderSystem, type OrderSystemDeps } from './order-system.js';
export type { CouponsForOrders } from './context.js';
export type { FlashSaleOrder, FlashSaleOrderInput } from './place-flash-sale-order.js';
export { checkRefund } from './refund-order.js';
export { orderRoutes } from './routes.js';
export { orderMigrations, type OrderDB } from './schema.js';
export { DEMO_USERS } from './seed.js';
export { OrderStatus } from './states.js';
