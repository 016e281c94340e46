/**
 * Typed errors of the messaging API. Every engine maps its native failures onto these codes
 * in one function, so callers see the same error whatever the broker.
 */
import { OrderflowError, type OrderflowErrorOptions } from './orderflow-error.js';

export const MqErrorCode = {
  INVALID_ARGUMENT: 'MQ_INVALID_ARGUMENT',
  TOPIC_NOT_FOUND: 'MQ_TOPIC_NOT_FOUND',
  TOPIC_EXISTS: 'MQ_TOPIC_EXISTS',
  MESSAGE_TOO_LARGE: 'MQ_MESSAGE_TOO_LARGE',
  WRONG_MESSAGE_TYPE: 'MQ_WRONG_MESSAGE_TYPE',
  MESSAGE_NOT_FOUND: 'MQ_MESSAGE_NOT_FOUND',
  RECEIPT_EXPIRED: 'MQ_RECEIPT_EXPIRED',
  CLOSED: 'MQ_CLOSED',
  STORE_LOCKED: 'MQ_STORE_LOCKED',
  STORE_FAILURE: 'MQ_STORE_FAILURE',
  UNAVAILABLE: 'MQ_UNAVAILABLE',
  TIMEOUT: 'MQ_TIMEOUT',
  UNSUPPORTED: 'MQ_UNSUPPORTED',
} as const;
export type MqErrorCode = (typeof MqErrorCode)[keyof typeof MqErrorCode];

/** `retriable`: true when the same call may succeed later (broker down, timeout). */
export type MqErrorOptions = OrderflowErrorOptions;

export class MqError extends OrderflowError<MqErrorCode> {
  override readonly name: string = 'MqError';
}

export function isMqError(error: unknown, code?: MqErrorCode): error is MqError {
  return error instanceof MqError && (code === undefined || error.code === code);
}

export const invalidArgument = (property: string, problem: string, details?: Record<string, unknown>) =>
  new MqError(MqErrorCode.INVALID_ARGUMENT, `${property} ${problem}`, { details: { property, ...details } });

export const topicNotFound = (topic: string) =>
  new MqError(MqErrorCode.TOPIC_NOT_FOUND, `topic '${topic}' does not exist: create it first (admin.createTopic)`, {
    details: { topic },
  });

export const closedError = (what: string) => new MqError(MqErrorCode.CLOSED, `${what} is closed`);
