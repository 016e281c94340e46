/** The refund worker's public API. */
export { createRefundPaymentClient } from './payment-client.js';
export { DEAD_LETTERED_REASON } from './refund-dlq-watcher.js';
export { createRefundWorker, REFUND_MAX_RECONSUME_TIMES, type OrderRefunds, type RefundWorkerDeps } from './refund-worker.js';
