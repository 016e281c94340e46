import { MqError, MqErrorCode } from '../errors.js';

/** RocketMQ 5 gRPC status codes we map (apache.rocketmq.v2.Code). */
const Code = {
  ILLEGAL_TOPIC: 40002,
  ILLEGAL_INVISIBLE_TIME: 40011,
  ILLEGAL_DELIVERY_TIME: 40012,
  INVALID_RECEIPT_HANDLE: 40013,
  MESSAGE_PROPERTY_CONFLICT_WITH_TYPE: 40014,
  MESSAGE_NOT_FOUND: 40401,
  TOPIC_NOT_FOUND: 40402,
  CONSUMER_GROUP_NOT_FOUND: 40403,
  REQUEST_TIMEOUT: 40800,
  PAYLOAD_TOO_LARGE: 41300,
  MESSAGE_BODY_TOO_LARGE: 41301,
  TOO_MANY_REQUESTS: 42900,
  PROXY_TIMEOUT: 50400,
  UNSUPPORTED: 50500,
} as const;

/** gRPC transport codes (the client surfaces them on connection trouble). */
const GRPC_UNAVAILABLE = new Set([1, 4, 13, 14]); // CANCELLED, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE

/**
 * Every failure of the official client becomes an MqError here, in one place, so callers see the
 * same codes as with the embedded broker, and error handling
 * never depends on which engine runs.
 */
export function fromRocketError(error: unknown, context: { topic?: string; endpoints?: string } = {}): MqError {
  if (error instanceof MqError) return error;
  const e = error as { code?: unknown; message?: string; details?: string };
  const message = String(e?.message ?? e?.details ?? error);
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const details = { ...context, rocketmqCode: code };
  const make = (mq: MqErrorCode, text: string, retriable = false) => new MqError(mq, text, { cause: error, retriable, details });
  if (code === Code.TOPIC_NOT_FOUND || /topic.*not.*(found|exist)|TOPIC_NOT_FOUND|No topic route/i.test(message)) {
    return make(
      MqErrorCode.TOPIC_NOT_FOUND,
      `topic '${context.topic ?? '?'}' does not exist on RocketMQ: create it first (admin.createTopic or scripts/rocketmq/create-topics.sh)`,
    );
  }
  if (
    code === Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE ||
    /acceptMessageTypes|message type.*(not match|conflict)|MESSAGE_PROPERTY_CONFLICT_WITH_TYPE/i.test(message)
  ) {
    return make(MqErrorCode.WRONG_MESSAGE_TYPE, `topic '${context.topic ?? '?'}' does not take this type of message: ${message}`);
  }
  if (code === Code.PAYLOAD_TOO_LARGE || code === Code.MESSAGE_BODY_TOO_LARGE) return make(MqErrorCode.MESSAGE_TOO_LARGE, message);
  if (code === Code.INVALID_RECEIPT_HANDLE) return make(MqErrorCode.RECEIPT_EXPIRED, `the receipt is no longer valid: ${message}`);
  if (code === Code.MESSAGE_NOT_FOUND) return make(MqErrorCode.MESSAGE_NOT_FOUND, message);
  if (code === Code.ILLEGAL_TOPIC || code === Code.ILLEGAL_INVISIBLE_TIME || code === Code.ILLEGAL_DELIVERY_TIME) {
    return make(MqErrorCode.INVALID_ARGUMENT, message);
  }
  if (code === Code.UNSUPPORTED) return make(MqErrorCode.UNSUPPORTED, message);
  if (code === Code.REQUEST_TIMEOUT || code === Code.PROXY_TIMEOUT)
    return make(MqErrorCode.TIMEOUT, `RocketMQ timed out: ${message}`, true);
  if (code === Code.TOO_MANY_REQUESTS) return make(MqErrorCode.UNAVAILABLE, `RocketMQ is throttling: ${message}`, true);
  if (
    (code !== undefined && GRPC_UNAVAILABLE.has(code)) ||
    /ECONNREFUSED|UNAVAILABLE|No connection|Call cancelled|deadline|timeout|socket/i.test(message)
  ) {
    return make(
      MqErrorCode.UNAVAILABLE,
      `RocketMQ at ${context.endpoints ?? '?'} is not reachable (${message}); it is retried by the caller, check that the proxy runs`,
      true,
    );
  }
  return make(MqErrorCode.UNAVAILABLE, `RocketMQ request failed: ${message}`, true);
}
