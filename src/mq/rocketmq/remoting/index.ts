/**
 * RocketMQ's TCP "remoting" protocol (what mqadmin speaks) in TypeScript, for the admin side of the
 * RocketMQ engine: rocketmq-client-nodejs (gRPC) produces and consumes but has no admin calls.
 */
export { createRocketMQAdmin } from './rocketmq-admin.js';
export type {
  BrokerInfo,
  BrokerTopic,
  BrokerTopicType,
  ConsumerSubscription,
  CreatedTopic,
  DecodedMessage,
  QueryMessagesOptions,
  QueueData,
  PullResult,
  QueueOffsets,
  RocketMQAdmin,
  RocketMQAdminOptions,
  SubscriptionGroup,
  SubscriptionGroupOptions,
  TopicBacklog,
  TopicRoute,
} from './admin-types.js';
export { RemotingClient } from './remoting-client.js';
export type { RemotingClientOptions, RemotingRequest } from './remoting-client.js';
export type { RemotingCommand } from './codec.js';
export { RemotingError, RemotingResponseError } from './errors.js';
export type { RemotingFailure } from './errors.js';
export { PERM_READ, PERM_WRITE, Property, RequestCode, ResponseCode } from './protocol.js';
export { decodeMessage, decodeMessages, parseOffsetMsgId, MessageDecodeError } from './message-decoder.js';
export { parseFastjson } from './fastjson.js';
