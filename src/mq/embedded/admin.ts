import { invalidArgument, MqError, MqErrorCode } from '../errors.js';
import { parseTagFilter } from '../filter.js';
import { checkTopicName } from '../message.js';
import { TOPIC_TYPES } from '../types.js';
import type { Admin, CreateTopicOptions, DeadLetter, DeliveryState, GroupBacklog, MessageTrace, TopicInfo } from '../types.js';
import type { Broker } from './broker.js';
import { dlqTopicOf, isSystemTopic, Prop, retryTopicOf } from './internal-props.js';
import { type MessageRow, splitKeys } from './store.js';

interface OffsetRow {
  group_name: string;
  topic: string;
  offset: number;
  filter: string;
}

/** Topics, backlog, the DLQ and message traces of the embedded broker. */
export class EmbeddedAdmin implements Admin {
  readonly #broker: Broker;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  async createTopic(options: CreateTopicOptions): Promise<TopicInfo> {
    this.#broker.assertOpen();
    const name = checkTopicName(options?.name, 'name');
    if (isSystemTopic(name)) throw invalidArgument('name', "must not start with '%' (system topics)");
    if (!TOPIC_TYPES.includes(options.type)) throw invalidArgument('type', `must be one of ${TOPIC_TYPES.join(', ')}, not ${options.type}`);
    const queues = options.queues ?? this.#broker.options.defaultQueues;
    if (!Number.isInteger(queues) || queues < 1 || queues > 1024)
      throw invalidArgument('queues', `must be an integer from 1 to 1024, not ${queues}`);
    return this.#broker.createTopic(name, options.type, queues, options.retype === true);
  }

  async listTopics(): Promise<TopicInfo[]> {
    return this.#broker.topics().sort((a, b) => a.name.localeCompare(b.name));
  }

  async backlog(): Promise<GroupBacklog[]> {
    const db = this.#broker.db;
    const live = new Map(this.#broker.cursors().map((c) => [`${c.group}\u0000${c.topic}`, c]));
    const count = db.prepare('SELECT COUNT(*) AS n FROM messages WHERE topic = ? AND offset >= ?');
    const retrying = db.prepare(
      `SELECT (SELECT COUNT(*) FROM messages WHERE topic = ? AND offset >= ? AND json_extract(props, '$.${Prop.ORIGIN_TOPIC}') = ?)
            + (SELECT COUNT(*) FROM timers WHERE topic = ? AND json_extract(props, '$.${Prop.ORIGIN_TOPIC}') = ?) AS n`,
    );
    const dead = db.prepare(
      `SELECT COUNT(*) AS n FROM messages m WHERE m.topic = ? AND json_extract(m.props, '$.${Prop.ORIGIN_TOPIC}') = ?
       AND NOT EXISTS (SELECT 1 FROM dlq_replays r WHERE r.dlq_offset = m.offset)`,
    );
    const rows = db
      .prepare('SELECT group_name, topic, offset, filter FROM consumer_offsets ORDER BY topic, group_name')
      .all() as OffsetRow[];
    const offsetOf = (group: string, topic: string) =>
      live.get(`${group}\u0000${topic}`)?.committedOffset ?? rows.find((r) => r.group_name === group && r.topic === topic)?.offset ?? 0;
    return rows
      .filter((r) => !isSystemTopic(r.topic))
      .map((r) => {
        const cursor = live.get(`${r.group_name}\u0000${r.topic}`);
        const retryTopic = retryTopicOf(r.group_name);
        const own = (count.get(r.topic, offsetOf(r.group_name, r.topic)) as { n: number }).n;
        const retries = (retrying.get(retryTopic, offsetOf(r.group_name, retryTopic), r.topic, retryTopic, r.topic) as { n: number }).n;
        return {
          topic: r.topic,
          group: r.group_name,
          backlog: own + retries,
          inFlight: cursor?.inFlight ?? 0,
          deadLettered: (dead.get(dlqTopicOf(r.group_name), r.topic) as { n: number }).n,
        };
      });
  }

  async listDeadLetters(options: { group?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const topics = this.#broker
      .topics()
      .map((t) => t.name)
      .filter((name) => name.startsWith('%DLQ%') && (options.group === undefined || name === dlqTopicOf(options.group)));
    const select = this.#broker.db.prepare(
      `SELECT m.*, r.replayed_at FROM messages m LEFT JOIN dlq_replays r ON r.dlq_offset = m.offset
       WHERE m.topic = ? ORDER BY m.offset DESC LIMIT ?`,
    );
    const letters = topics.flatMap((topic) =>
      (select.all(topic, limit) as (MessageRow & { replayed_at: number | null })[]).map(toDeadLetter),
    );
    return letters.sort((a, b) => b.deadAt.getTime() - a.deadAt.getTime()).slice(0, limit);
  }

  async replayDeadLetter(messageId: string, group?: string): Promise<void> {
    this.#broker.assertOpen();
    const letter = (await this.listDeadLetters({ group, limit: 100_000 })).find((l) => l.messageId === messageId && !l.replayedAt);
    if (!letter) {
      throw new MqError(
        MqErrorCode.MESSAGE_NOT_FOUND,
        `no dead letter ${messageId}${group ? ` of group ${group}` : ''} waiting for replay`,
        {
          details: { messageId, group },
        },
      );
    }
    const retryTopic = await this.#broker.ensureRetryTopic(letter.group);
    await this.#broker.log.write((log) => {
      const row = log.db
        .prepare(
          `SELECT m.* FROM messages m WHERE m.topic = ? AND m.id = ? AND NOT EXISTS (SELECT 1 FROM dlq_replays r WHERE r.dlq_offset = m.offset)`,
        )
        .get(dlqTopicOf(letter.group), messageId) as MessageRow | undefined;
      if (!row) return;
      const props = JSON.parse(row.props ?? '{}') as Record<string, string>;
      log.db.prepare('INSERT INTO dlq_replays (dlq_offset, replayed_at) VALUES (?, ?)').run(row.offset, Date.now());
      // Redelivered to this group only (through its retry topic), with a fresh retry budget.
      log.append({
        id: row.id,
        topic: retryTopic,
        queueId: 0,
        tag: row.tag ?? undefined,
        keys: splitKeys(row.keys),
        properties: { ...props, [Prop.RECONSUME_TIMES]: '0', [Prop.REPLAYED_FROM]: String(row.offset), [Prop.DLQ_GROUP]: '' },
        messageGroup: row.msg_group ?? undefined,
        body: row.body,
        bornAt: row.born_at,
      });
    });
  }

  async findMessage(messageId: string): Promise<MessageTrace | undefined> {
    if (typeof messageId !== 'string' || messageId === '') throw invalidArgument('messageId', 'must be a non-empty string');
    return traceMessage(this.#broker, messageId);
  }

  async findMessagesByKey(topic: string, key: string, limit = 32): Promise<MessageTrace[]> {
    checkTopicName(topic);
    if (typeof key !== 'string' || key === '') throw invalidArgument('key', 'must be a non-empty string');
    const db = this.#broker.db;
    const ids = new Set<string>();
    const byKey = db.prepare(
      `SELECT m.id, m.offset FROM message_keys k JOIN messages m ON m.offset = k.offset WHERE k.key = ? AND k.topic = ? ORDER BY k.offset DESC LIMIT ?`,
    );
    for (const r of byKey.all(key, topic, limit) as { id: string | null; offset: number }[]) ids.add(this.#broker.ids.complete(r).id);
    const like = `%\u001f${key}\u001f%`;
    for (const table of ['timers', 'half_messages']) {
      const rows = db
        .prepare(`SELECT msg_id AS id FROM ${table} WHERE topic = ? AND (char(31) || keys || char(31)) LIKE ? LIMIT ?`)
        .all(topic, like, limit);
      for (const r of rows as { id: string }[]) ids.add(r.id);
    }
    const traces: MessageTrace[] = [];
    for (const id of [...ids].slice(0, limit)) {
      const trace = traceMessage(this.#broker, id);
      if (trace) traces.push(trace);
    }
    return traces;
  }
}

function toDeadLetter(row: MessageRow & { replayed_at: number | null }): DeadLetter {
  const props = JSON.parse(row.props ?? '{}') as Record<string, string>;
  return {
    messageId: row.id,
    group: props[Prop.DLQ_GROUP] ?? row.topic.slice('%DLQ%'.length),
    originTopic: props[Prop.ORIGIN_TOPIC] ?? row.topic,
    tag: row.tag ?? undefined,
    keys: splitKeys(row.keys),
    body: typeof row.body === 'string' ? Buffer.from(row.body, 'utf8') : row.body, // read from SQLite: a Buffer
    reconsumeTimes: Number(props[Prop.RECONSUME_TIMES] ?? 0),
    deadAt: new Date(row.stored_at),
    lastError: props[Prop.LAST_ERROR],
    replayedAt: row.replayed_at === null ? undefined : new Date(row.replayed_at),
  };
}

/** Where a message is, for each group subscribed to its topic (RocketMQ's message trace). */
function traceMessage(broker: Broker, id: string): MessageTrace | undefined {
  const db = broker.db;
  const own = broker.ids.offsetOf(id);
  const rows = (db.prepare('SELECT * FROM messages WHERE id = ? OR offset = ? ORDER BY offset').all(id, own ?? -1) as MessageRow[]).map(
    (row) => broker.ids.complete(row),
  );
  const timers = db.prepare('SELECT topic, tag, keys, born_at, due_at, props FROM timers WHERE msg_id = ?').all(id) as {
    topic: string;
    tag: string | null;
    keys: string | null;
    born_at: number;
    due_at: number;
    props: string | null;
  }[];
  const half = db.prepare('SELECT topic, tag, keys, born_at FROM half_messages WHERE msg_id = ?').get(id) as
    | { topic: string; tag: string | null; keys: string | null; born_at: number }
    | undefined;
  const original = rows.find((r) => !isSystemTopic(r.topic));
  const scheduled = timers.find((t) => !isSystemTopic(t.topic));
  const base = original ?? scheduled ?? half;
  if (!base) return undefined;
  const topic = base.topic;
  const groups = db.prepare('SELECT group_name, topic, offset, filter FROM consumer_offsets WHERE topic = ?').all(topic) as OffsetRow[];
  const live = new Map(broker.cursors().map((c) => [`${c.group}\u0000${c.topic}`, c]));
  const committed = (group: string, t: string) =>
    live.get(`${group}\u0000${t}`)?.committedOffset ??
    (db.prepare('SELECT offset FROM consumer_offsets WHERE group_name = ? AND topic = ?').get(group, t) as { offset: number } | undefined)
      ?.offset ??
    0;
  const deliveries = groups.map(({ group_name: group, filter }) => {
    let state: DeliveryState;
    let attempts: number | undefined;
    if (!original) state = half && !scheduled ? 'HALF' : 'SCHEDULED';
    else if (!parseTagFilter(filter).accepts(original.tag ?? undefined)) state = 'FILTERED';
    else {
      const copies = rows.filter((r) => r.topic === retryTopicOf(group) || r.topic === dlqTopicOf(group));
      const last = copies.at(-1);
      const waiting = timers.some((t) => t.topic === retryTopicOf(group));
      if (waiting) state = 'RETRYING';
      else if (last?.topic === dlqTopicOf(group)) {
        const replayed = db.prepare('SELECT 1 FROM dlq_replays WHERE dlq_offset = ?').get(last.offset);
        state = replayed ? 'REPLAYED' : 'DEAD_LETTERED';
      } else {
        const at = last ?? original;
        const entry = live.get(`${group}\u0000${at.topic}`)?.entryAt(at.offset);
        attempts = entry?.attempts;
        if (entry) state = entry.state === 'ready' ? 'PENDING' : entry.state === 'waiting' ? 'RETRYING' : 'IN_FLIGHT';
        else state = committed(group, at.topic) > at.offset ? 'CONSUMED' : last ? 'RETRYING' : 'PENDING';
      }
      attempts ??= copies.length + 1;
    }
    return { group, state, attempts };
  });
  return {
    messageId: id,
    topic,
    tag: base.tag ?? undefined,
    keys: splitKeys(base.keys),
    bornAt: new Date(base.born_at),
    storedAt: original ? new Date(original.stored_at) : undefined,
    deliverAt: scheduled ? new Date(scheduled.due_at) : original?.deliver_at ? new Date(original.deliver_at) : undefined,
    ...(original ? { queueId: original.queue_id, offset: original.offset } : {}),
    deliveries,
  };
}
