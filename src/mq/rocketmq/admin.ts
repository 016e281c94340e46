import { invalidArgument, MqError, MqErrorCode } from '../errors.js';
import { checkTopicName } from '../message.js';
import { TOPIC_TYPES } from '../types.js';
import type { Admin, CreateTopicOptions, DeadLetter, DeliveryState, GroupBacklog, MessageTrace, TopicInfo, TopicType } from '../types.js';
import type { DecodedMessage, RocketMQAdmin } from './remoting/index.js';

const DEFAULT_QUEUES = 8; // RocketMQ's default (mqadmin updateTopic -w)

/** The messaging API's admin side on RocketMQ, through its remoting protocol (what mqadmin speaks). */
export class RocketAdmin implements Admin {
  readonly #remote: RocketMQAdmin;
  /** Groups this engine configured, per topic: the broker lists pop (simple) consumer groups only once they have offsets. */
  readonly #groups = new Map<string, Set<string>>();
  readonly #types = new Map<string, TopicType>();

  noteGroup(topic: string, group: string): void {
    let set = this.#groups.get(topic);
    if (!set) this.#groups.set(topic, (set = new Set()));
    set.add(group);
  }

  /** The topic's message type (cached; topics do not change type). */
  async topicType(topic: string): Promise<TopicType | undefined> {
    if (!this.#types.has(topic)) for (const t of await this.listTopics()) this.#types.set(t.name, t.type);
    return this.#types.get(topic);
  }

  async #groupsOf(topic: string): Promise<string[]> {
    const online = await this.#remote.groupsOfTopic(topic).catch(() => [] as string[]);
    return [...new Set([...online, ...(this.#groups.get(topic) ?? [])])].sort();
  }

  constructor(remote: RocketMQAdmin) {
    this.#remote = remote;
  }

  async createTopic(options: CreateTopicOptions): Promise<TopicInfo> {
    const name = checkTopicName(options?.name, 'name');
    if (name.startsWith('%')) throw invalidArgument('name', "must not start with '%' (system topics)");
    if (!TOPIC_TYPES.includes(options.type)) throw invalidArgument('type', `must be one of ${TOPIC_TYPES.join(', ')}, not ${options.type}`);
    const queues = options.queues ?? DEFAULT_QUEUES;
    if (!Number.isInteger(queues) || queues < 1 || queues > 1024) throw invalidArgument('queues', `must be an integer from 1 to 1024, not ${queues}`);
    const existing = (await this.#remote.listTopics()).find((t) => t.name === name);
    if (existing && existing.type !== options.type) {
      throw new MqError(MqErrorCode.TOPIC_EXISTS, `topic '${name}' exists as a ${existing.type} topic, not ${options.type}`, { details: { topic: name } });
    }
    if (existing) return { name, type: options.type, queues: existing.writeQueueNums };
    await this.#remote.createTopic(name, options.type, queues);
    return { name, type: options.type, queues };
  }

  async listTopics(): Promise<TopicInfo[]> {
    return (await this.#remote.listTopics())
      .filter((t) => !t.system && t.type !== 'MIXED')
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

  async listDeadLetters(): Promise<DeadLetter[]> {
    throw notBuilt('listing the dead-letter queue');
  }

  async replayDeadLetter(): Promise<void> {
    throw notBuilt('replaying a dead letter');
  }

  async findMessage(): Promise<MessageTrace | undefined> {
    throw notBuilt('finding a message by id without its topic (use findMessagesByKey)');
  }

  /** QUERY_MESSAGE by key; the state per group comes from its committed offset on the message's queue. */
  async findMessagesByKey(topic: string, key: string, limit = 32): Promise<MessageTrace[]> {
    checkTopicName(topic);
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    // includeStaged: delayed messages not due yet and uncommitted half messages are found too.
    const messages = await this.#remote.queryMessagesByKey(topic, key, { max: limit, includeStaged: true });
    const groups = await this.#groupsOf(topic);
    const offsets = new Map<string, Map<string, number>>();
    for (const group of groups) {
      const perQueue = new Map<string, number>();
      for (const stats of await this.#remote.consumeStats(group, topic).catch(() => [])) {
        for (const q of stats.queues) perQueue.set(`${q.brokerName}:${q.queueId}`, q.consumerOffset);
      }
      offsets.set(group, perQueue);
    }
    return messages.map((m) => trace(m, topic, groups, offsets));
  }
}

function trace(m: DecodedMessage, topic: string, groups: string[], offsets: Map<string, Map<string, number>>): MessageTrace {
  const broker = m.properties.__brokerName ?? '';
  return {
    messageId: m.msgId,
    topic: m.staged ? topic : m.topic, // a staged copy sits in RocketMQ's timer or half topic
    tag: m.tags,
    keys: m.keys,
    bornAt: m.bornTimestamp,
    storedAt: m.storeTimestamp,
    deliveries: groups.map((group) => {
      const perQueue = offsets.get(group);
      const committed = [...(perQueue ?? new Map<string, number>())].find(([k]) => k.endsWith(`:${m.queueId}`) && (broker === '' || k.startsWith(broker)))?.[1];
      const state: DeliveryState = m.staged ?? (committed !== undefined && committed > m.queueOffset ? 'CONSUMED' : 'PENDING');
      return { group, state };
    }),
  };
}

function notBuilt(what: string): MqError {
  return new MqError(MqErrorCode.UNSUPPORTED, `${what} is not built for the RocketMQ engine yet (see docs/engines.md)`);
}
