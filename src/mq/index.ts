/** orderflow/mq — the messaging API (contract: the types of ./types.ts; docs/architecture.md, "The messaging contract"). */
export { createMessaging } from './create-messaging.js';
export type { MessagingOptions } from './create-messaging.js';
export type { EmbeddedOptions } from './embedded/options.js';
export type { RocketMQOptions } from './rocketmq/options.js';
export { MqError, MqErrorCode, isMqError } from './errors.js';
export type { MqErrorOptions } from './errors.js';
export { ConsumeResult, TransactionResolution, TOPIC_TYPES } from './types.js';
export { MAX_BODY_BYTES } from './message.js';
export { RETRY_LEVELS_MS, DEFAULT_MAX_RECONSUME_TIMES, retryDelayMs } from './backoff.js';
export type {
  Admin,
  Capabilities,
  ConsumingMessaging,
  CreateTopicOptions,
  DeadLetter,
  DeliveryState,
  GroupBacklog,
  ListenerResult,
  Message,
  MessageModel,
  MessageTrace,
  MessageView,
  Messaging,
  MqLogger,
  Producer,
  ProducerOptions,
  PullConsumer,
  PullConsumerOptions,
  PushConsumer,
  PushConsumerOptions,
  SendCallback,
  SendResult,
  Subscriptions,
  TopicInfo,
  TopicType,
  TransactionChecker,
  TransactionSendResult,
} from './types.js';
