import { retryDelayMs } from '../../mq/index.js';
import { createVendorClient, DEFAULT_OPEN_MS, type ThirdPartyLogger, type VendorClient } from '../../third-parties/index.js';

/**
 * How long the refund worker's circuit stays open. Every call a refund makes while the circuit is
 * open fails fast and still spends one of its REFUND_MAX_RECONSUME_TIMES redeliveries; so the
 * circuit must not stay open longer than the first back-off, or a short outage would exhaust
 * retries that never reached the provider. In production (10 s first back-off) this is the usual
 * 5 s; with a scaled-down back-off (ORDERFLOW_RETRY_SCALE=0.01 in tests) it shrinks alike.
 */
export function refundBreakerOpenMs(retryBackoffScale: number): number {
  return Math.min(DEFAULT_OPEN_MS, retryDelayMs(0, retryBackoffScale));
}

/** The payment provider as the refund worker calls it: real HTTP, a timeout, a circuit breaker, no retries of its own. */
export function createRefundPaymentClient(options: {
  /** `thirdParties.urls.payment` */
  baseUrl: string;
  /** ORDERFLOW_PAYMENT_API_KEY, sent as a bearer token. */
  apiKey?: string;
  timeoutMs: number;
  retryBackoffScale: number;
  logger?: ThirdPartyLogger;
}): VendorClient {
  return createVendorClient({
    name: 'payment',
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
    breaker: { openMs: refundBreakerOpenMs(options.retryBackoffScale) },
    logger: options.logger,
  });
}
