/** The push (SMS) system's public API. */
export { createPushSystem, type PushDB } from './push-system.js';
