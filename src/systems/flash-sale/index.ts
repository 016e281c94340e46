/** The flash-sale system's public API. */
export { createFlashSaleSystem, type FlashSaleSystem, type FlashSaleSystemDeps } from './flash-sale-system.js';
export { newTicketId } from './ids.js';
export type { OrdersForFlashSales } from './order-creator.js';
export { flashSaleRoutes } from './routes.js';
