/** Public shapes of the RocketMQ admin (rocketmq-admin.ts). Field names follow RocketMQ's Java classes. */
import type { TopicType } from '../../types.js';
import type { DecodedMessage } from './message-decoder.js';

export interface RocketMQAdminOptions {
  /** NameServer address, host:port (e.g. 127.0.0.1:9876). One address; no failover list. */
  namesrv: string;
  /** Deadline of each remoting call (connect + answer). Default 5000 ms. */
  timeoutMs?: number;
  /** Only use the brokers of this cluster (default: every cluster the NameServer knows). */
  cluster?: string;
}

/** 5.x topic message types; MIXED exists on brokers with enableMixedMessageType=true. */
export type BrokerTopicType = TopicType | 'MIXED';

export interface BrokerInfo {
  brokerName: string;
  cluster: string;
  /** Broker id ("0" = master) → address. */
  brokerAddrs: Record<string, string>;
  masterAddr?: string;
}

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface TopicRoute {
  topic: string;
  brokers: BrokerInfo[];
  queues: QueueData[];
}

export interface BrokerTopic {
  name: string;
  /** attributes['message.type']; a topic without it is NORMAL, as the broker treats it (TopicConfig). */
  type: BrokerTopicType;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  attributes: Record<string, string>;
  /** Names of the brokers holding it. */
  brokers: string[];
  /** RocketMQ's own topics: TopicValidator's system set, rmq_sys_*, %RETRY%*, %DLQ%*, cluster/broker names. */
  system: boolean;
}

export interface CreatedTopic {
  name: string;
  type: BrokerTopicType;
  queues: number;
  /** Master addresses the topic was created on. */
  brokers: string[];
}

export interface SubscriptionGroupOptions {
  /** consumeMessageOrderly: FIFO delivery per message group (needed for FIFO consumption in 5.x). */
  fifo?: boolean;
  /** Redeliveries before the dead-letter queue (default 16). */
  retryMaxTimes?: number;
  /** consumeBroadcastEnable (default true, the Java default). */
  broadcast?: boolean;
}

export interface SubscriptionGroup {
  groupName: string;
  consumeEnable: boolean;
  consumeMessageOrderly: boolean;
  consumeBroadcastEnable: boolean;
  retryMaxTimes: number;
  retryQueueNums: number;
  /** The whole SubscriptionGroupConfig as the broker returned it. */
  raw: Record<string, unknown>;
}

export interface QueueOffsets {
  brokerName: string;
  queueId: number;
  /** Next offset the broker will write (max offset of the queue). */
  brokerOffset: number;
  /** Committed offset of the group. */
  consumerOffset: number;
  pullOffset: number;
  /** Store time of the last consumed message, if any. */
  lastTimestamp?: Date;
}

export interface TopicBacklog {
  topic: string;
  group: string;
  /** Sum over queues of max(0, brokerOffset - consumerOffset). */
  backlog: number;
  queues: QueueOffsets[];
}

/** One topic of a consumer group's subscription (SubscriptionData), as its online consumers declared it. */
export interface ConsumerSubscription {
  topic: string;
  /** 'TAG' or 'SQL92'. */
  expressionType: string;
  /** The expression as given: `*`, `A || B`, or an SQL92 condition. */
  expression: string;
  /** The tags of a TAG expression, as the broker parsed them (empty for `*` and SQL92). */
  tags: string[];
}

export interface QueryMessagesOptions {
  /** Most messages to return (default 32). Each broker caps it at maxMsgsNumBatch (64 by default). */
  max?: number;
  /** Store-time window, epoch ms or Date; default the last 3 days, as mqadmin. */
  begin?: Date | number;
  end?: Date | number;
  /**
   * Also search the staging topics for messages of this topic not in it yet: delayed ones not due
   * (rmq_sys_wheel_timer) and transactional ones not committed (RMQ_SYS_TRANS_HALF_TOPIC). Those come back
   * with `staged` set and their staging topic as `topic` (the real one is properties.REAL_TOPIC).
   */
  includeStaged?: boolean;
}

export type { DecodedMessage };

/** What PULL_MESSAGE returned for one queue. */
export interface PullResult {
  /** FOUND: messages returned; NO_NEW_MSG: none at or after the offset; OFFSET_MOVED / RETRY: none, go on at nextOffset. */
  status: 'FOUND' | 'NO_NEW_MSG' | 'OFFSET_MOVED' | 'RETRY';
  messages: DecodedMessage[];
  /** Where the next pull should start (nextBeginOffset). */
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
}

export interface RocketMQAdmin {
  /** GET_BROKER_CLUSTER_INFO: broker name → master address (brokers without a master are left out). */
  clusterBrokers(): Promise<Record<string, string>>;
  /** UPDATE_AND_CREATE_TOPIC on every master, attributes +message.type=TYPE; waits until the route is served. */
  createTopic(name: string, type: BrokerTopicType, queues?: number): Promise<CreatedTopic>;
  /** GET_ROUTEINFO_BY_TOPIC on the NameServer; undefined when the topic does not exist. */
  topicRoute(name: string): Promise<TopicRoute | undefined>;
  /** GET_ALL_TOPIC_CONFIG on every master, merged by name. */
  listTopics(options?: { includeSystem?: boolean }): Promise<BrokerTopic[]>;
  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on every master. Overwrites an existing group's whole config. */
  createSubscriptionGroup(group: string, options?: SubscriptionGroupOptions): Promise<void>;
  /**
   * The group's config from GET_ALL_SUBSCRIPTIONGROUP_CONFIG; undefined when no master has it. (Not
   * GET_SUBSCRIPTIONGROUP_CONFIG: that one creates a missing group when autoCreateSubscriptionGroup=true.)
   */
  subscriptionGroup(group: string): Promise<SubscriptionGroup | undefined>;
  /** GET_ALL_SUBSCRIPTIONGROUP_CONFIG on every master, merged by name (broker-internal groups included). */
  listSubscriptionGroups(): Promise<SubscriptionGroup[]>;
  /** GET_CONSUME_STATS: backlog per topic of the group (every topic it has offsets for, or only `topic`). */
  consumeStats(group: string, topic?: string): Promise<TopicBacklog[]>;
  /**
   * QUERY_TOPIC_CONSUME_BY_WHO: groups subscribed to, or holding offsets of, the topic. On 5.3.3 an online
   * group shows only once it has committed an offset (broker bug apache/rocketmq#9443).
   */
  groupsOfTopic(topic: string): Promise<string[]>;
  /**
   * GET_CONSUMER_CONNECTION_LIST on each master until one knows the group: the subscriptions its online consumers
   * declared (gRPC consumers register through the Proxy, so consumers in any process count). Undefined when no
   * consumer of the group is online: the broker keeps no subscription of an offline group.
   */
  consumerSubscriptions(group: string): Promise<ConsumerSubscription[] | undefined>;
  /** QUERY_MESSAGE by key (the KEYS property) on the topic's masters, oldest first. */
  queryMessagesByKey(topic: string, key: string, options?: QueryMessagesOptions): Promise<DecodedMessage[]>;
  /** QUERY_MESSAGE with _UNIQUE_KEY_QUERY=true: the message with this client id (UNIQ_KEY) in the topic. */
  queryMessageById(topic: string, msgId: string, options?: QueryMessagesOptions): Promise<DecodedMessage | undefined>;
  /** VIEW_MESSAGE_BY_ID: the message at an offsetMsgId (its broker address + commit log offset). */
  viewMessage(offsetMsgId: string): Promise<DecodedMessage | undefined>;
  /**
   * PULL_MESSAGE of up to `max` messages of one queue from `offset`, on the master of `brokerName` (default: the
   * topic's first master), as the admin reader group: no offset of any real group is committed or moved.
   */
  pullMessages(topic: string, queueId: number, offset: number, max?: number, brokerName?: string): Promise<PullResult>;
  /** UPDATE_AND_CREATE_TOPIC with the topic's current queues and attributes but `perm` (what the console does). */
  updateTopicPerm(topic: string, perm: number): Promise<void>;
  close(): Promise<void>;
}
