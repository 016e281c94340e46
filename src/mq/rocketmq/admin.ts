import { invalidArgument, isMqError, MqError, MqErrorCode, topicNotFound } from '../errors.js';
import { checkTopicName } from '../message.js';
import { TOPIC_TYPES } from '../types.js';
import type {
  Admin,
  CreateTopicOptions,
  DeadLetter,
  DeliveryState,
  GroupBacklog,
  Message,
  MessageTrace,
  Producer,
  TopicInfo,
  TopicType,
} from '../types.js';
import { groupConsumers, type GroupConsumers } from './group-filters.js';
import { PERM_READ, PERM_WRITE, Property, type DecodedMessage, type RocketMQAdmin } from './remoting/index.js';

const DEFAULT_QUEUES = 8; // RocketMQ's default (mqadmin updateTopic -w)
const DLQ_PREFIX = '%DLQ%';
/** Our record of replays (the engine has no database): one message per replayed dead letter, key = its id. */
export const REPLAY_TOPIC = 'orderflow_dlq_replays';
/** Property on a replayed message: the id of the dead letter it was replayed from. */
export const REPLAYED_FROM = 'ORDERFLOW_REPLAYED_FROM';

interface ReplayRecord {
  dlqMessageId: string;
  group: string;
  originTopic: string;
  newMessageId: string;
  replayedAt: number;
}

const dlqTopic = (group: string) => `${DLQ_PREFIX}${group}`;
const replayKey = (group: string, messageId: string) => `${group}\u0000${messageId}`;

/** MessageConst.STRING_HASH_SET (5.3.3): the broker's and client's own properties, not copied by a replay. */
const SYSTEM_PROPERTIES = new Set(
  (
    'KEYS TAGS WAIT DELAY RETRY_TOPIC REAL_TOPIC REAL_QID TRAN_MSG PGROUP MIN_OFFSET MAX_OFFSET BUYER_ID ORIGIN_MESSAGE_ID ' +
    'TRANSFER_FLAG CORRECTION_FLAG MQ2_FLAG RECONSUME_TIME MSG_REGION TRACE_ON UNIQ_KEY EXTEND_UNIQ_INFO MAX_RECONSUME_TIMES ' +
    'CONSUME_START_TIME INNER_NUM INNER_BASE DUP_INFO CHECK_IMMUNITY_TIME_IN_SECONDS TRAN_PREPARED_QUEUE_OFFSET __transactionId__ ' +
    'TRANSACTION_CHECK_TIMES INSTANCE_ID CORRELATION_ID REPLY_TO_CLIENT TTL ARRIVE_TIME PUSH_REPLY_TIME CLUSTER MSG_TYPE POP_CK ' +
    'POP_CK_OFFSET 1ST_POP_TIME __SHARDINGKEY PROPERTY_FORWARD_QUEUE_ID REDIRECT INNER_MULTI_DISPATCH INNER_MULTI_QUEUE_OFFSET ' +
    'TRACE_CONTEXT TIMER_DELAY_SEC TIMER_DELIVER_MS __BORNHOST BORN_TIMESTAMP TOPIC_SYS_FLAG GROUP_SYS_FLAG TIMER_ENQUEUE_MS ' +
    'TIMER_DEQUEUE_MS TIMER_ROLL_TIMES TIMER_OUT_MS TIMER_DEL_UNIQKEY TIMER_DELAY_LEVEL TIMER_DELAY_MS DLQ_ORIGIN_TOPIC ' +
    'DLQ_ORIGIN_MESSAGE_ID'
  ).split(' '),
);

function userProperties(properties: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).filter(([k]) => !SYSTEM_PROPERTIES.has(k) && !k.startsWith('__')));
}

/** The messaging API's admin side on RocketMQ, through its remoting protocol (what mqadmin speaks). */
export class RocketAdmin implements Admin {
  readonly #remote: RocketMQAdmin;
  /** Groups this engine configured, per topic: the broker lists pop (simple) consumer groups only once they have offsets. */
  readonly #groups = new Map<string, Set<string>>();
  readonly #types = new Map<string, TopicType>();
  /** Sends replays and replay records (made on first use by the engine). */
  readonly #producer?: () => Promise<Producer>;
  #replayTopic?: Promise<void>;

  noteGroup(topic: string, group: string): void {
    let set = this.#groups.get(topic);
    if (!set) this.#groups.set(topic, (set = new Set()));
    set.add(group);
  }

  /** The topic's message type (cached; a topic changes type only through createTopic's `retype`, which updates the cache). */
  async topicType(topic: string): Promise<TopicType | undefined> {
    if (!this.#types.has(topic)) for (const t of await this.listTopics()) this.#types.set(t.name, t.type);
    return this.#types.get(topic);
  }

  async #groupsOf(topic: string): Promise<string[]> {
    const online = await this.#remote.groupsOfTopic(topic).catch(() => [] as string[]);
    return [...new Set([...online, ...(this.#groups.get(topic) ?? [])])].sort();
  }

  constructor(remote: RocketMQAdmin, producer?: () => Promise<Producer>) {
    this.#remote = remote;
    this.#producer = producer;
  }

  async createTopic(options: CreateTopicOptions): Promise<TopicInfo> {
    const name = checkTopicName(options?.name, 'name');
    if (name.startsWith('%')) throw invalidArgument('name', "must not start with '%' (system topics)");
    if (!TOPIC_TYPES.includes(options.type)) throw invalidArgument('type', `must be one of ${TOPIC_TYPES.join(', ')}, not ${options.type}`);
    const queues = options.queues ?? DEFAULT_QUEUES;
    if (!Number.isInteger(queues) || queues < 1 || queues > 1024)
      throw invalidArgument('queues', `must be an integer from 1 to 1024, not ${queues}`);
    const existing = (await this.#remote.listTopics()).find((t) => t.name === name);
    if (existing && existing.type !== options.type && options.retype) {
      // message.type is a changeable topic attribute (RocketMQ's TopicAttributes): rewrite the config with the same queues.
      await this.#remote.createTopic(name, options.type, existing.writeQueueNums);
      this.#types.set(name, options.type);
      return { name, type: options.type, queues: existing.writeQueueNums };
    }
    if (existing && existing.type !== options.type) {
      throw new MqError(MqErrorCode.TOPIC_EXISTS, `topic '${name}' exists as a ${existing.type} topic, not ${options.type}`, {
        details: { topic: name },
      });
    }
    if (existing) {
      // A broker restarted on its store lists the topic before the NameServer serves its route again (seen: a process
      // started 18 s after the broker's restart could not start its producer, "No topic route info … order_paid").
      // Writing the topic's config again has the broker register it, and waits until the route is served.
      const route = await this.#remote.topicRoute(name);
      const served = new Set(route?.queues.map((q) => q.brokerName));
      if (!existing.brokers.every((b) => served.has(b))) await this.#remote.createTopic(name, existing.type, existing.writeQueueNums);
      return { name, type: options.type, queues: existing.writeQueueNums };
    }
    await this.#remote.createTopic(name, options.type, queues);
    return { name, type: options.type, queues };
  }

  async listTopics(): Promise<TopicInfo[]> {
    return (await this.#remote.listTopics())
      .filter((t) => !t.system && t.type !== 'MIXED' && t.name !== REPLAY_TOPIC)
      .map((t) => ({ name: t.name, type: t.type as TopicType, queues: t.writeQueueNums }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Backlog from the broker's consume stats; in-flight and dead-lettered counts are not offered by RocketMQ's stats (0). */
  async backlog(): Promise<GroupBacklog[]> {
    const out: GroupBacklog[] = [];
    for (const topic of await this.listTopics()) {
      for (const group of await this.#groupsOf(topic.name)) {
        for (const stats of await this.#remote.consumeStats(group, topic.name).catch(() => [])) {
          out.push({ topic: topic.name, group, backlog: stats.backlog, inFlight: 0, deadLettered: 0 });
        }
      }
    }
    return out;
  }

  /**
   * Every message of the groups' `%DLQ%<group>` topics (PULL_MESSAGE as the admin reader group, from each queue's
   * min offset), newest first, at most `limit` (default 100). A DLQ topic the broker made write-only is made
   * readable first (perm 6, as the RocketMQ console does). Replays come from our record topic.
   */
  async listDeadLetters(options: { group?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const { group, limit = 100 } = options ?? {};
    if (group !== undefined && (typeof group !== 'string' || group === '')) throw invalidArgument('group', 'must be a non-empty string');
    if (!Number.isInteger(limit) || limit < 1) throw invalidArgument('limit', 'must be an integer >= 1');
    const letters = await this.#deadLetters(group);
    const replays = await this.#replays();
    return letters
      .map(({ letter }) => {
        const replay = replays.get(replayKey(letter.group, letter.messageId));
        return replay ? { ...letter, replayedAt: replay.replayedAt } : letter;
      })
      .sort((a, b) => b.deadAt.getTime() - a.deadAt.getTime())
      .slice(0, limit);
  }

  /**
   * Sends the dead letter again to its ORIGINAL topic (every group of the topic gets it again, unlike the embedded
   * engine, which redelivers to the one group), with ORDERFLOW_REPLAYED_FROM=<id>, and records the replay in
   * `orderflow_dlq_replays` so it is listed as replayed and not replayed twice.
   */
  async replayDeadLetter(messageId: string, group?: string): Promise<void> {
    if (typeof messageId !== 'string' || messageId === '') throw invalidArgument('messageId', 'must be a non-empty string');
    if (group !== undefined && (typeof group !== 'string' || group === '')) throw invalidArgument('group', 'must be a non-empty string');
    if (!this.#producer) throw notBuilt('replaying a dead letter without a producer');
    const replays = await this.#replays();
    const waiting = (await this.#deadLetters(group)).filter(
      ({ letter }) => letter.messageId === messageId && !replays.has(replayKey(letter.group, letter.messageId)),
    );
    if (waiting.length === 0) {
      throw new MqError(
        MqErrorCode.MESSAGE_NOT_FOUND,
        `no dead letter ${messageId}${group ? ` of group '${group}'` : ''} waiting for replay`,
        {
          details: { messageId, ...(group ? { group } : {}) },
        },
      );
    }
    // the latest copy: one send reaches every group of the topic, so one replay serves all the groups found
    const { letter, raw } = waiting.sort((a, b) => b.letter.deadAt.getTime() - a.letter.deadAt.getTime())[0];
    const type = await this.topicType(letter.originTopic);
    if (type === undefined) throw topicNotFound(letter.originTopic);
    const message: Message = {
      topic: letter.originTopic,
      body: letter.body,
      ...(letter.tag ? { tag: letter.tag } : {}),
      ...(letter.keys.length > 0 ? { keys: letter.keys } : {}),
      properties: { ...userProperties(raw.properties), [REPLAYED_FROM]: messageId },
      ...(type === 'DELAY' ? { deliverAt: Date.now() } : {}),
      ...(type === 'FIFO' ? { messageGroup: raw.properties[Property.SHARDING_KEY] || messageId } : {}),
    };
    const producer = await this.#producer();
    const sent = type === 'TRANSACTION' ? await producer.sendInTransaction(message, () => 'COMMIT') : await producer.send(message);
    await this.#ensureReplayTopic();
    const replayedAt = Date.now();
    for (const w of waiting) {
      const record: ReplayRecord = {
        dlqMessageId: messageId,
        group: w.letter.group,
        originTopic: letter.originTopic,
        newMessageId: sent.messageId,
        replayedAt,
      };
      await producer.send({ topic: REPLAY_TOPIC, keys: messageId, tag: 'REPLAY', body: JSON.stringify(record) });
    }
  }

  /**
   * The message with this id (the client's UNIQ_KEY) in any user topic, with its state per group: FILTERED when
   * the tag filter of the group's online consumers skips it, CONSUMED / PENDING from the group's committed offsets,
   * DEAD_LETTERED while a copy waits in `%DLQ%<group>`, REPLAYED once it was replayed (CONSUMED when the group
   * consumed the replayed copy).
   */
  async findMessage(messageId: string): Promise<MessageTrace | undefined> {
    if (typeof messageId !== 'string' || messageId === '') throw invalidArgument('messageId', 'must be a non-empty string');
    for (const topic of await this.listTopics()) {
      const m = await this.#remote.queryMessageById(topic.name, messageId, { includeStaged: true }).catch((error: unknown) => {
        if (isMqError(error, MqErrorCode.TOPIC_NOT_FOUND)) return undefined;
        throw error;
      });
      if (!m) continue;
      const groups = await this.#groupsOf(topic.name);
      const consumers = await groupConsumers(this.#remote, topic.name, groups);
      const result = trace(m, topic.name, groups, await this.#offsets(topic.name, groups), consumers);
      const replays = await this.#replays();
      for (const delivery of result.deliveries) {
        const dead = await this.#remote.queryMessageById(dlqTopic(delivery.group), messageId).catch(() => undefined);
        if (!dead) continue;
        const replay = replays.get(replayKey(delivery.group, messageId));
        if (!replay) {
          delivery.state = 'DEAD_LETTERED';
          continue;
        }
        delivery.state = 'REPLAYED';
        const again = await this.#remote.queryMessageById(replay.originTopic, replay.newMessageId).catch(() => undefined);
        if (again) {
          const copy = trace(again, replay.originTopic, [delivery.group], await this.#offsets(replay.originTopic, [delivery.group]));
          if (copy.deliveries[0]?.state === 'CONSUMED') delivery.state = 'CONSUMED';
        }
      }
      return result;
    }
    return undefined;
  }

  /** Dead letters of one group, or of every group with a DLQ topic, with the decoded message each comes from. */
  async #deadLetters(group?: string): Promise<{ letter: DeadLetter; raw: DecodedMessage }[]> {
    const topics = (await this.#remote.listTopics({ includeSystem: true })).filter((t) =>
      group === undefined ? t.name.startsWith(DLQ_PREFIX) : t.name === dlqTopic(group),
    );
    const out: { letter: DeadLetter; raw: DecodedMessage }[] = [];
    for (const topic of topics) {
      const owner = topic.name.slice(DLQ_PREFIX.length);
      if ((topic.perm & PERM_READ) === 0) await this.#remote.updateTopicPerm(topic.name, topic.perm | PERM_READ | PERM_WRITE);
      for (const m of await this.#readAll(topic.name, topic.readQueueNums, topic.brokers)) {
        out.push({ letter: await this.#toDeadLetter(m, owner), raw: m });
      }
    }
    return out;
  }

  /** Every message of a topic's queues, from their min offsets. */
  async #readAll(topic: string, queues: number, brokers: string[]): Promise<DecodedMessage[]> {
    const out: DecodedMessage[] = [];
    for (const brokerName of brokers) {
      for (let queueId = 0; queueId < queues; queueId++) {
        let offset = 0;
        for (;;) {
          const r = await this.#remote.pullMessages(topic, queueId, offset, 32, brokerName);
          out.push(...r.messages);
          // FOUND: go on; OFFSET_MOVED (e.g. 0 below the min offset) / RETRY: go on at nextOffset; NO_NEW_MSG: done
          if (r.status === 'NO_NEW_MSG' || r.nextOffset <= offset) break;
          offset = r.nextOffset;
          if (r.status === 'FOUND' && offset >= r.maxOffset) break;
        }
      }
    }
    return out;
  }

  async #toDeadLetter(m: DecodedMessage, group: string): Promise<DeadLetter> {
    return {
      messageId: m.msgId,
      group,
      originTopic: await this.#originTopic(m, group),
      ...(m.tags ? { tag: m.tags } : {}),
      keys: m.keys,
      body: m.body,
      reconsumeTimes: m.reconsumeTimes,
      deadAt: m.storeTimestamp,
    };
  }

  /**
   * The topic the message was sent to. 5.3.3 copies: DLQ_ORIGIN_TOPIC (pop path, when set); RETRY_TOPIC is the
   * original topic for a message that went through a push (remoting) retry, and `%RETRY%<group>_<topic>` (or `+`)
   * for one that went through the pop (gRPC) retry; ORIGIN_MESSAGE_ID, the original's offsetMsgId, settles the rest.
   */
  async #originTopic(m: DecodedMessage, group: string): Promise<string> {
    const p = m.properties;
    if (p[Property.DLQ_ORIGIN_TOPIC]) return p[Property.DLQ_ORIGIN_TOPIC];
    const retry = p[Property.RETRY_TOPIC];
    if (retry && !retry.startsWith('%RETRY%')) return retry;
    for (const sep of ['_', '+']) {
      const prefix = `%RETRY%${group}${sep}`;
      if (retry?.startsWith(prefix) && retry.length > prefix.length) return retry.slice(prefix.length);
    }
    const origin = p[Property.ORIGIN_MESSAGE_ID];
    if (origin) {
      const original = await this.#remote.viewMessage(origin).catch(() => undefined);
      if (original && !original.topic.startsWith('%')) return original.topic;
    }
    return retry ?? m.topic;
  }

  /** Replay records (small topic of our own), by group + dead letter id. */
  async #replays(): Promise<Map<string, { replayedAt: Date; newMessageId: string; originTopic: string }>> {
    const out = new Map<string, { replayedAt: Date; newMessageId: string; originTopic: string }>();
    const topic = (await this.#remote.listTopics({ includeSystem: true })).find((t) => t.name === REPLAY_TOPIC);
    if (!topic) return out;
    for (const m of await this.#readAll(REPLAY_TOPIC, topic.readQueueNums, topic.brokers)) {
      try {
        const r = JSON.parse(m.body.toString('utf8')) as ReplayRecord;
        if (typeof r.dlqMessageId === 'string' && typeof r.group === 'string') {
          out.set(replayKey(r.group, r.dlqMessageId), {
            replayedAt: new Date(r.replayedAt),
            newMessageId: r.newMessageId,
            originTopic: r.originTopic,
          });
        }
      } catch {
        // not a record of ours
      }
    }
    return out;
  }

  async #ensureReplayTopic(): Promise<void> {
    this.#replayTopic ??= (async () => {
      const exists = (await this.#remote.listTopics({ includeSystem: true })).some((t) => t.name === REPLAY_TOPIC);
      if (!exists) await this.#remote.createTopic(REPLAY_TOPIC, 'NORMAL', 1);
    })().catch((error: unknown) => {
      this.#replayTopic = undefined;
      throw error;
    });
    return this.#replayTopic;
  }

  async #offsets(topic: string, groups: string[]): Promise<Map<string, Map<string, number>>> {
    const offsets = new Map<string, Map<string, number>>();
    for (const group of groups) {
      const perQueue = new Map<string, number>();
      for (const stats of await this.#remote.consumeStats(group, topic).catch(() => [])) {
        for (const q of stats.queues) perQueue.set(`${q.brokerName}:${q.queueId}`, q.consumerOffset);
      }
      offsets.set(group, perQueue);
    }
    return offsets;
  }

  /** QUERY_MESSAGE by key; the state per group comes from its online filter, else its committed offset on the message's queue. */
  async findMessagesByKey(topic: string, key: string, limit = 32): Promise<MessageTrace[]> {
    checkTopicName(topic);
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    // includeStaged: delayed messages not due yet and uncommitted half messages are found too.
    const messages = await this.#remote.queryMessagesByKey(topic, key, { max: limit, includeStaged: true });
    const groups = await this.#groupsOf(topic);
    const offsets = await this.#offsets(topic, groups);
    const consumers = await groupConsumers(this.#remote, topic, groups);
    return messages.map((m) => trace(m, topic, groups, offsets, consumers));
  }
}

/** `consumers`: whether each group is online and the tag filter it applies (group-filters.ts). */
function trace(
  m: DecodedMessage,
  topic: string,
  groups: string[],
  offsets: Map<string, Map<string, number>>,
  consumers: Map<string, GroupConsumers> = new Map(),
): MessageTrace {
  const broker = m.properties.__brokerName ?? '';
  return {
    messageId: m.msgId,
    topic: m.staged ? topic : m.topic, // a staged copy sits in RocketMQ's timer or half topic
    tag: m.tags,
    keys: m.keys,
    bornAt: m.bornTimestamp,
    storedAt: m.storeTimestamp,
    // a staged copy's queue and offset are the timer's or half topic's, not the topic's
    ...(m.staged ? {} : { queueId: m.queueId, offset: m.queueOffset }),
    deliveries: groups.map((group) => {
      const perQueue = offsets.get(group);
      const committed = [...(perQueue ?? new Map<string, number>())].find(
        ([k]) => k.endsWith(`:${m.queueId}`) && (broker === '' || k.startsWith(broker)),
      )?.[1];
      const known = consumers.get(group);
      const state: DeliveryState =
        m.staged ??
        (known?.filter && !known.filter.accepts(m.tags)
          ? 'FILTERED'
          : committed !== undefined && committed > m.queueOffset
            ? 'CONSUMED'
            : 'PENDING');
      return { group, state, ...(known ? { online: known.online } : {}) };
    }),
  };
}

function notBuilt(what: string): MqError {
  return new MqError(MqErrorCode.UNSUPPORTED, `${what} is not built for the RocketMQ engine yet (see docs/engines.md)`);
}
