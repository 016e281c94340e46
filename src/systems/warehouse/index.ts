/** The warehouse system's public API. */
export { createWarehouseSystem, type WarehouseDB } from './warehouse-system.js';
