/**
 * The messaging API (contract; docs/architecture.md, "The messaging contract", gives the picture).
 * Its shape follows the RocketMQ client: producers with sync / async / one-way / batch /
 * transactional sends, push consumers with a listener, pull (simple) consumers with
 * receive / ack / changeInvisibleDuration, and an admin side. Every engine implements it.
 */

/** Message types of a topic, as RocketMQ 5.x types topics (`+message.type=…`). */
export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';
export const TOPIC_TYPES: readonly TopicType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

/** What an application sends. */
export interface Message {
  topic: string;
  /** Strings are sent as UTF-8; objects are not accepted: serialise them yourself. */
  body: Buffer | Uint8Array | string;
  /** One tag, used by consumers' filter expressions (`'PAID || REFUNDED'`). */
  tag?: string;
  /** Business keys (e.g. the orderId): messages can be found by key. */
  keys?: string | string[];
  properties?: Record<string, string>;
  /** FIFO topics only: messages of one group are consumed in send order. */
  messageGroup?: string;
  /** DELAY topics only: not delivered before this instant (Date or epoch ms). */
  deliverAt?: Date | number;
}

export interface SendResult {
  messageId: string;
  topic: string;
  /**
   * The queue the broker stored the message in; -1 where the engine cannot know it without asking the broker
   * again (`capabilities.sendResultQueue` false: RocketMQ's Proxy picks the queue and does not say which).
   * `admin.findMessage` / `findMessagesByKey` give it then.
   */
  queueId: number;
  /**
   * Position in the engine's log (embedded: commit log offset; RocketMQ: queue offset); -1 while the message is
   * not in its topic: a transactional send, whose commit is sent after the local transaction without waiting (as
   * RocketMQ's END_TRANSACTION), so the message becomes visible a moment after sendInTransaction resolves; and a
   * delayed message not due yet (RocketMQ: any send with deliverAt, since the broker's clock decides whether it
   * waits in the timer first).
   */
  offset: number;
  /** Set for transactional sends. */
  transactionId?: string;
}

/** What a consumer receives. */
export interface MessageView {
  messageId: string;
  topic: string;
  body: Buffer;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  messageGroup?: string;
  deliverAt?: Date;
  bornAt: Date;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  deliveryAttempt: number;
  queueId: number;
  offset: number;
  /** Opaque handle for ack / changeInvisibleDuration (pull consumers). */
  receiptHandle: string;
}

export type ConsumeResult = 'SUCCESS' | 'RETRY_LATER';

/**
 * What a push listener returns. `Promise<string>` is accepted because TypeScript widens the
 * literal returned by an async arrow (`async (m) => 'SUCCESS'` is a Promise<string>); at run
 * time anything but 'SUCCESS' counts as RETRY_LATER, and a value that is neither is logged.
 */
export type ListenerResult = ConsumeResult | Promise<ConsumeResult> | Promise<string>;
export const ConsumeResult = { SUCCESS: 'SUCCESS', RETRY_LATER: 'RETRY_LATER' } as const;

export type TransactionResolution = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';
export const TransactionResolution = { COMMIT: 'COMMIT', ROLLBACK: 'ROLLBACK', UNKNOWN: 'UNKNOWN' } as const;

/** Called by the broker for a half message whose outcome it does not know (check-back). */
export type TransactionChecker = (message: MessageView) => TransactionResolution | Promise<TransactionResolution>;

export interface SendCallback {
  onSuccess(result: SendResult): void;
  onException(error: Error): void;
}

export interface ProducerOptions {
  /** Producer group; RocketMQ routes check-backs to a producer of the group. */
  group?: string;
  /** Resolves half messages whose local transaction outcome is unknown. */
  transactionChecker?: TransactionChecker;
  /** Topics this producer will send to (RocketMQ fetches their routes at start-up). */
  topics?: string[];
}

export interface TransactionSendResult extends SendResult {
  resolution: TransactionResolution;
}

export interface Producer {
  /** Synchronous send: resolves with the broker's result once the message is stored. */
  send(message: Message): Promise<SendResult>;
  /** Asynchronous send: returns at once; exactly one of the callbacks is called later. */
  sendAsync(message: Message, callback: SendCallback): void;
  /** One-way send: no result, no callback; failures are only logged and counted. */
  sendOneway(message: Message): void;
  /**
   * Sends several messages of one topic; all are stored or none (embedded engine; on RocketMQ each is
   * its own send, see docs/engines.md). Messages of one messageGroup are stored in the order given.
   */
  sendBatch(messages: Message[]): Promise<SendResult[]>;
  /**
   * Sends a half message, runs the local transaction, then commits or rolls back.
   * `UNKNOWN` (or a throw) leaves the decision to the producer's transactionChecker.
   * Both engines resolve once the local transaction has its outcome and send the end without waiting
   * for it (one-way, as RocketMQ's END_TRANSACTION): the message becomes visible a moment later, and an
   * end that is lost is settled by the check-back.
   */
  sendInTransaction(
    message: Message,
    executeLocalTransaction: (result: SendResult) => TransactionResolution | Promise<TransactionResolution>,
  ): Promise<TransactionSendResult>;
  /** Failures of one-way sends since this producer started. */
  readonly onewayFailures: number;
  close(): Promise<void>;
}

/** topic → filter expression (`'*'`, `'A'`, `'A || B'`). */
export type Subscriptions = Record<string, string>;

export type MessageModel = 'CLUSTERING' | 'BROADCASTING';

export interface PushConsumerOptions {
  group: string;
  subscriptions: Subscriptions;
  listener: (message: MessageView) => ListenerResult;
  /** Messages handled at once by this consumer (default 16). Ignored for FIFO groups' order: see docs. */
  concurrency?: number;
  /** Redeliveries before the message goes to `%DLQ%<group>` (default 16, as RocketMQ). */
  maxReconsumeTimes?: number;
  /** CLUSTERING (default): each message to one member. BROADCASTING: to every member. */
  messageModel?: MessageModel;
  /** Names a member in BROADCASTING mode, so its progress survives a restart. */
  instanceName?: string;
  /** A listener still running after this long is treated as failed and the message redelivered. */
  consumeTimeoutMs?: number;
}

export interface PushConsumer {
  readonly group: string;
  close(): Promise<void>;
}

export interface PullConsumerOptions {
  group: string;
  subscriptions: Subscriptions;
  /** How long a received message stays invisible to others before redelivery (default 30 s). */
  invisibleDurationMs?: number;
  maxReconsumeTimes?: number;
}

export interface PullConsumer {
  readonly group: string;
  /** Waits up to `waitMs` for at least one message; returns at most `max`. */
  receive(max?: number, waitMs?: number): Promise<MessageView[]>;
  ack(message: MessageView): Promise<void>;
  /** Extends (or shortens) the time before an un-acked message becomes visible again. */
  changeInvisibleDuration(message: MessageView, durationMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface TopicInfo {
  name: string;
  type: TopicType;
  queues: number;
}

export interface CreateTopicOptions {
  name: string;
  type: TopicType;
  queues?: number;
  /**
   * When the topic exists with another type: change its type to `type` (a deployment changing how it
   * sends, e.g. from transactional messages to an outbox's plain ones) instead of refusing with
   * MQ_TOPIC_EXISTS. Messages already stored keep their own type; only new sends are checked against it.
   */
  retype?: boolean;
}

export interface GroupBacklog {
  topic: string;
  group: string;
  /** Messages stored but not yet consumed by the group (including retries waiting). */
  backlog: number;
  /** Messages handed to a consumer and not yet acknowledged. */
  inFlight: number;
  /** Messages of this group in its dead-letter queue, not replayed. */
  deadLettered: number;
}

export interface DeadLetter {
  messageId: string;
  group: string;
  originTopic: string;
  tag?: string;
  keys: string[];
  body: Buffer;
  reconsumeTimes: number;
  deadAt: Date;
  lastError?: string;
  replayedAt?: Date;
}

export type DeliveryState =
  | 'HALF' // transactional, not committed yet
  | 'SCHEDULED' // delayed, not due yet
  | 'PENDING' // visible, not consumed by the group yet
  | 'IN_FLIGHT' // handed to a consumer, not acknowledged
  | 'RETRYING' // failed, waiting for redelivery
  | 'CONSUMED'
  | 'FILTERED' // the group's filter does not take it
  | 'DEAD_LETTERED'
  | 'REPLAYED'; // taken out of the DLQ, redelivered

export interface MessageTrace {
  messageId: string;
  topic: string;
  tag?: string;
  keys: string[];
  bornAt: Date;
  storedAt?: Date;
  deliverAt?: Date;
  /** Where the message is in its topic, as SendResult's queueId and offset; unset while HALF or SCHEDULED. */
  queueId?: number;
  offset?: number;
  /**
   * State per consumer group that subscribes to the topic. `online` (RocketMQ engine): whether a consumer of the
   * group is connected. When none is, the broker has no filter for the group, so a message its filter would skip
   * is PENDING, or CONSUMED once the group's offset has passed it (RocketMQ does not record which of the two).
   */
  deliveries: { group: string; state: DeliveryState; attempts?: number; online?: boolean }[];
}

export interface Admin {
  createTopic(options: CreateTopicOptions): Promise<TopicInfo>;
  listTopics(): Promise<TopicInfo[]>;
  /** Backlog per topic and consumer group. */
  backlog(): Promise<GroupBacklog[]>;
  listDeadLetters(options?: { group?: string; limit?: number }): Promise<DeadLetter[]>;
  /** Redelivers a dead-lettered message to the group it died in. */
  replayDeadLetter(messageId: string, group?: string): Promise<void>;
  findMessage(messageId: string): Promise<MessageTrace | undefined>;
  findMessagesByKey(topic: string, key: string, limit?: number): Promise<MessageTrace[]>;
}

/** What an engine can do; the contract suite skips what an engine declares it cannot. */
export interface Capabilities {
  broadcasting: boolean;
  /** Worst lateness of delayed messages one can expect, for tests and docs. */
  delayPrecisionMs: number;
  /** Whether the broker asks the producer's transactionChecker about unresolved half messages. */
  transactionsCheckBack: boolean;
  /** Whether admin can list and replay dead letters and find a message by id alone. */
  deadLetterAdmin: boolean;
  /** Whether SendResult.queueId names the queue the message was stored in (else it is -1). */
  sendResultQueue: boolean;
}

export interface Messaging {
  readonly engine: 'embedded' | 'rocketmq';
  readonly capabilities: Capabilities;
  readonly admin: Admin;
  producer(options?: ProducerOptions): Promise<Producer>;
  pushConsumer(options: PushConsumerOptions): Promise<PushConsumer>;
  pullConsumer(options: PullConsumerOptions): Promise<PullConsumer>;
  /**
   * Resolves once the engine answered a cheap request, for health checks; rejects with an MqError otherwise. The
   * embedded broker: it is open. RocketMQ: the Proxy answered gRPC and the NameServer has a broker registered
   * (each asked with the request timeout).
   */
  ping(): Promise<void>;
  /**
   * The first step of a shutdown: no push consumer of this instance starts another receive, and what a receive brings
   * from now on is left to redelivery; messages being handled finish. Closing the consumers one after the other then
   * takes one receive's time in all (RocketMQ: a long poll, up to 5 s) instead of one per consumer. The embedded engine
   * has no receives in flight to wait for: nothing to do there.
   */
  stopReceiving(): void;
  /** Closes every producer and consumer made by this instance, then the engine. */
  close(): Promise<void>;
}

/**
 * The part of the messaging API a system that only consumes needs: push consumers. A consuming
 * system takes this rather than Messaging, so it runs the same on a Messaging of this thread and
 * on a bridge to a broker in another thread (which offers push consumers and nothing else).
 */
export type ConsumingMessaging = Pick<Messaging, 'pushConsumer'>;

/** Minimal logger shape (pino-compatible). */
export interface MqLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
