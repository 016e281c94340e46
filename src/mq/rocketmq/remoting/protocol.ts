/**
 * The request and response codes we use, copied from RocketMQ 5.3.3
 * (remoting/.../protocol/RequestCode.java, ResponseCode.java, RemotingSysResponseCode.java).
 * The numbers are part of the wire protocol and stable across 4.x/5.x.
 */

export const RequestCode = {
  /** broker: messages of one queue from an offset (PullMessageProcessor) */
  PULL_MESSAGE: 11,
  /** broker: messages by index key (topic#key) or, with _UNIQUE_KEY_QUERY=true, by unique (client) id */
  QUERY_MESSAGE: 12,
  /** broker: create or overwrite a topic's config */
  UPDATE_AND_CREATE_TOPIC: 17,
  /** broker: topicConfigTable of the broker */
  GET_ALL_TOPIC_CONFIG: 21,
  /** broker: one message by commit log offset (the offset in an offsetMsgId) */
  VIEW_MESSAGE_BY_ID: 33,
  /** namesrv: queue and broker data of a topic */
  GET_ROUTEINFO_BY_TOPIC: 105,
  /** namesrv: brokers and clusters */
  GET_BROKER_CLUSTER_INFO: 106,
  /** broker: create or overwrite a consumer (subscription) group */
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  /** broker: every group's config (read-only, unlike GET_SUBSCRIPTIONGROUP_CONFIG) */
  GET_ALL_SUBSCRIPTIONGROUP_CONFIG: 201,
  /** broker: the group's online consumers and the subscriptions they declared (ConsumerConnection) */
  GET_CONSUMER_CONNECTION_LIST: 203,
  /** broker: offsets of a group per queue */
  GET_CONSUME_STATS: 208,
  /** broker: groups that consume (or have offsets for) a topic */
  QUERY_TOPIC_CONSUME_BY_WHO: 300,
  /** broker: one topic's config */
  GET_TOPIC_CONFIG: 351,
  /** broker: one group's config; CREATES the group when missing and autoCreateSubscriptionGroup=true */
  GET_SUBSCRIPTIONGROUP_CONFIG: 352,
} as const;

export const RequestCodeName: Record<number, string> = Object.fromEntries(Object.entries(RequestCode).map(([name, code]) => [code, name]));

export const ResponseCode = {
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  SERVICE_NOT_AVAILABLE: 14,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  PULL_NOT_FOUND: 19,
  PULL_RETRY_IMMEDIATELY: 20,
  PULL_OFFSET_MOVED: 21,
  QUERY_NOT_FOUND: 22,
  SUBSCRIPTION_GROUP_NOT_EXIST: 26,
  /** GET_CONSUMER_CONNECTION_LIST: no consumer of the group is connected */
  CONSUMER_NOT_ONLINE: 206,
  INVALID_PARAMETER: 29,
} as const;

/** Topic permission bits (PermName): 6 = read + write. */
export const PERM_READ = 1 << 2;
export const PERM_WRITE = 1 << 1;

/** PullSysFlag bits: FLAG_COMMIT_OFFSET (left out by the admin: no offset is committed), FLAG_SUBSCRIPTION. */
export const PULL_FLAG_COMMIT_OFFSET = 0x1;
export const PULL_FLAG_SUBSCRIPTION = 0x1 << 2;

/** Topic attribute holding the 5.x message type (TopicAttributes.TOPIC_MESSAGE_TYPE_ATTRIBUTE). */
export const MESSAGE_TYPE_ATTRIBUTE = 'message.type';

/** The master's id in BrokerData.brokerAddrs (MixAll.MASTER_ID). */
export const MASTER_ID = '0';

/** Message property names (MessageConst). */
export const Property = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  UNIQ_KEY: 'UNIQ_KEY',
  /** FIFO message group (gRPC messageGroup) */
  SHARDING_KEY: '__SHARDINGKEY',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  RECONSUME_TIME: 'RECONSUME_TIME',
  REAL_TOPIC: 'REAL_TOPIC',
  TRANSACTION_PREPARED: 'TRAN_MSG',
  /** on a retry copy (and the DLQ copy made from it): the topic the message was sent to */
  RETRY_TOPIC: 'RETRY_TOPIC',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  /** set by the pop (gRPC) path when it moves a message to %DLQ% (5.x) */
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
} as const;

/** Keys in the KEYS property are separated by one blank (MessageConst.KEY_SEPARATOR). */
export const KEY_SEPARATOR = ' ';
