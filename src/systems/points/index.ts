/** The points system's public API. */
export { createPointsSystem, pointsFor, type PointsDB } from './points-system.js';
