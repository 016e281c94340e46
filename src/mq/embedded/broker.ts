import type Database from 'better-sqlite3';
import { MqError, MqErrorCode, topicNotFound } from '../errors.js';
import { parseTagFilter } from '../filter.js';
import { checkMessageType, type OutgoingMessage } from '../message.js';
import type { SendResult, TopicInfo, TopicType } from '../types.js';
import { CommitLog, type LogRecord, type LogWriter } from './commit-log.js';
import { DelayTimer } from './delay-timer.js';
import { GroupCursor } from './group-cursor.js';
import { messageIdGenerator } from './message-ids.js';
import type { ResolvedEmbeddedOptions } from './options.js';
import { isSystemTopic, retryTopicOf } from './internal-props.js';
import { type Checkpointer, CheckpointingThread } from './sqlite-checkpointer.js';
import { MessageIds, openStore, type MessageRow, type OpenedStore } from './store.js';
import { TailCache } from './tail-cache.js';
import { Waiters } from './waiters.js';

const RETENTION_SWEEP_MS = 10 * 60_000;
const RETENTION_CHUNK = 5_000;

/**
 * The embedded broker: one SQLite store, its commit log, the delay timer and the consumer
 * groups' cursors. Producers, consumers, transactions and admin are built on top of it.
 */
export class Broker {
  readonly options: ResolvedEmbeddedOptions;
  readonly db: Database.Database;
  readonly log: CommitLog;
  readonly delays: DelayTimer;
  readonly waiters = new Waiters();
  readonly newId = messageIdGenerator();
  readonly ids: MessageIds;
  readonly #topics = new Map<string, TopicInfo>();
  readonly #roundRobin = new Map<string, number>();
  readonly #cursors = new Map<string, GroupCursor>();
  readonly #cursorsById = new Map<number, GroupCursor>();
  readonly #readRows: Database.Statement;
  readonly #loops: NodeJS.Timeout[] = [];
  #closed = false;
  readonly #store: OpenedStore;
  readonly #checkpointer: Checkpointer;
  readonly #tail: TailCache;

  constructor(options: ResolvedEmbeddedOptions) {
    this.options = options;
    this.#store = openStore(options);
    this.db = this.#store.db;
    // A checkpointing thread of its own: it ends when the broker closes.
    this.#checkpointer = new CheckpointingThread().watch(this.#store.file, 50, (message) =>
      options.logger.warn({ message }, 'embedded broker: WAL checkpoint failed; will retry'),
    );
    this.ids = new MessageIds(this.db);
    this.log = new CommitLog(
      this.db,
      (topics) => this.#onCommitted(topics),
      (rows) => this.#tail.add(rows),
    );
    this.#tail = new TailCache(this.log.nextOffset);
    this.delays = new DelayTimer(this.db, this.log, options.logger);
    this.#readRows = this.db.prepare('SELECT * FROM messages WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?');
    for (const row of this.db.prepare('SELECT name, type, queues FROM topics').all() as TopicInfo[]) {
      this.#topics.set(row.name, row);
    }
    this.#loops.push(setInterval(() => this.persistOffsets(), 100).unref());
    this.#loops.push(setInterval(() => void this.sweepRetention(), RETENTION_SWEEP_MS).unref());
    setImmediate(() => void this.sweepRetention());
  }

  get closed(): boolean {
    return this.#closed;
  }

  assertOpen(): void {
    if (this.#closed) throw new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed');
  }

  topic(name: string): TopicInfo | undefined {
    return this.#topics.get(name);
  }

  topics(): TopicInfo[] {
    return [...this.#topics.values()];
  }

  /** Creates a topic; creating it again with the same type is a no-op. */
  async createTopic(name: string, type: TopicType, queues: number, retype = false): Promise<TopicInfo> {
    const existing = this.#topics.get(name);
    if (existing && existing.type !== type && retype) {
      await this.log.write(({ db }) => db.prepare('UPDATE topics SET type = ? WHERE name = ?').run(type, name));
      const retyped: TopicInfo = { ...existing, type };
      this.#topics.set(name, retyped);
      return retyped;
    }
    if (existing) {
      if (existing.type !== type) {
        throw new MqError(MqErrorCode.TOPIC_EXISTS, `topic '${name}' exists as a ${existing.type} topic, not ${type}`, {
          details: { topic: name, type: existing.type },
        });
      }
      return existing;
    }
    const info: TopicInfo = { name, type, queues };
    await this.log.write(({ db }) =>
      db.prepare('INSERT OR IGNORE INTO topics (name, type, queues, created_at) VALUES (?, ?, ?, ?)').run(name, type, queues, Date.now()),
    );
    this.#topics.set(name, info);
    return info;
  }

  /** The topic of a message if it exists (type-checked); undefined if it must be created first. */
  existingTopicFor(message: OutgoingMessage<Buffer | string>): TopicInfo | undefined {
    const topic = this.#topics.get(message.topic);
    if (topic) checkMessageType(message, topic.type);
    else if (!this.options.autoCreateTopics || isSystemTopic(message.topic)) throw topicNotFound(message.topic);
    return topic;
  }

  /** The topic a message goes to, created on the fly for system topics and with autoCreateTopics. */
  async topicFor(message: OutgoingMessage<Buffer | string>): Promise<TopicInfo> {
    const topic = this.#topics.get(message.topic);
    if (topic) {
      checkMessageType(message, topic.type);
      return topic;
    }
    if (this.options.autoCreateTopics && !isSystemTopic(message.topic)) {
      return this.createTopic(message.topic, message.type, this.options.defaultQueues);
    }
    throw topicNotFound(message.topic);
  }

  /** Builds the stored form of a message. */
  record(message: OutgoingMessage<Buffer | string>, topic: TopicInfo, id?: string): LogRecord {
    return {
      id,
      topic: message.topic,
      queueId: this.#queueFor(topic, message.messageGroup),
      tag: message.tag,
      keys: message.keys,
      properties: message.properties,
      messageGroup: message.messageGroup,
      body: message.body,
      bornAt: Date.now(),
      deliverAt: message.deliverAt,
    };
  }

  /** Stores messages (all or none), delayed ones in the timer; resolves once durable. */
  store(records: LogRecord[]): Promise<SendResult[]> {
    if (this.#closed) return Promise.reject(new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed'));
    return this.log.write((log) => {
      if (records.length === 1) return [this.#storeOne(log, records[0])];
      log.db.exec('SAVEPOINT batch');
      try {
        const out = records.map((r) => this.#storeOne(log, r));
        log.db.exec('RELEASE batch');
        return out;
      } catch (error) {
        log.db.exec('ROLLBACK TO batch; RELEASE batch');
        throw error;
      }
    });
  }

  /** The send path without promises: `done` is called once the message is durable, or failed. */
  storeWithCallback(record: LogRecord, resolve: (result: SendResult) => void, reject: (error: Error) => void): void {
    if (this.#closed) return reject(new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed'));
    this.log.enqueue((log) => this.#storeOne(log, record), resolve, reject);
  }

  #storeOne(log: LogWriter, r: LogRecord): SendResult {
    if (r.deliverAt !== undefined && r.deliverAt > Date.now()) {
      const id = (r.id ??= this.newId());
      const dueAt = r.deliverAt;
      const timerId = this.delays.insert(r, dueAt);
      log.afterCommit(() => this.delays.added(timerId, dueAt));
      return { messageId: id, topic: r.topic, queueId: r.queueId, offset: -1 };
    }
    const offset = log.append(r);
    return { messageId: r.id ?? this.ids.ofOffset(offset), topic: r.topic, queueId: r.queueId, offset };
  }

  /** The cursor of `groupKey` on `topic`, shared by the group's members. */
  cursor(groupKey: string, topic: string, filterExpression: string, maxReconsumeTimes: number): GroupCursor {
    const key = `${groupKey}\u0000${topic}`;
    let cursor = this.#cursors.get(key);
    const filter = parseTagFilter(filterExpression);
    if (cursor) {
      cursor.filter = filter;
      cursor.maxReconsumeTimes = maxReconsumeTimes;
      return cursor;
    }
    const stored = this.db.prepare('SELECT offset FROM consumer_offsets WHERE group_name = ? AND topic = ?').get(groupKey, topic) as
      | { offset: number }
      | undefined;
    const start = stored?.offset ?? this.#startOffset(topic);
    cursor = new GroupCursor({
      id: this.#cursorsById.size + 1,
      group: groupKey,
      topic,
      fifo: this.#topics.get(topic)?.type === 'FIFO',
      filter,
      maxReconsumeTimes,
      committedOffset: start,
      read: (t, from, limit) =>
        (this.#tail.read(t, from, limit) ?? (this.#readRows.all(t, from, limit) as MessageRow[])).map((row) => this.ids.complete(row)),
    });
    this.#cursors.set(key, cursor);
    this.#cursorsById.set(cursor.id, cursor);
    // Recorded at once, so messages sent from now on are known to be owed to this group.
    this.db
      .prepare(
        `INSERT INTO consumer_offsets (group_name, topic, offset, filter, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_name, topic) DO UPDATE SET filter = excluded.filter`,
      )
      .run(groupKey, topic, start, filter.expression, Date.now());
    cursor.markPersisted(start);
    return cursor;
  }

  cursorById(id: number): GroupCursor | undefined {
    return this.#cursorsById.get(id);
  }

  cursors(): GroupCursor[] {
    return [...this.#cursors.values()];
  }

  /** Ensures the group's retry topic exists (each group gets its own, as in RocketMQ). */
  async ensureRetryTopic(groupKey: string): Promise<string> {
    const name = retryTopicOf(groupKey);
    if (!this.#topics.has(name)) await this.createTopic(name, 'NORMAL', 1);
    return name;
  }

  /** Writes the committed offsets that moved; called every 100 ms and on close. */
  persistOffsets(): void {
    if (this.#closed) return;
    const dirty = this.cursors().filter((c) => c.dirty);
    if (dirty.length === 0) return;
    const offsets = dirty.map((c) => [c, c.committedOffset] as const);
    void this.log
      .write(({ db }) => {
        const update = db.prepare('UPDATE consumer_offsets SET offset = ?, updated_at = ? WHERE group_name = ? AND topic = ?');
        const now = Date.now();
        for (const [c, offset] of offsets) update.run(offset, now, c.group, c.topic);
      })
      .then(
        () => offsets.forEach(([c, offset]) => c.markPersisted(offset)),
        (error) => this.options.logger.warn({ err: error }, 'embedded broker: saving consumer offsets failed; will retry'),
      );
  }

  /** Deletes messages older than the retention, in small chunks so the event loop keeps moving. */
  async sweepRetention(): Promise<number> {
    const cutoff = Date.now() - this.options.retentionHours * 3_600_000;
    let deleted = 0;
    while (!this.#closed) {
      const n = await this.log.write(({ db }) => {
        const bound = lastOffsetStoredBefore(db, cutoff, RETENTION_CHUNK);
        if (bound === undefined) return 0;
        db.prepare('DELETE FROM message_keys WHERE offset <= ?').run(bound);
        this.#tail.dropThrough(bound);
        return db.prepare('DELETE FROM messages WHERE offset <= ?').run(bound).changes;
      });
      deleted += n;
      if (n < RETENTION_CHUNK) break;
    }
    if (deleted > 0) this.options.logger.info({ deleted }, 'embedded broker: retention removed old messages');
    return deleted;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const loop of this.#loops) clearInterval(loop);
    this.persistOffsets();
    this.#closed = true;
    this.delays.close();
    this.log.close();
    this.waiters.wakeAll();
    await this.#checkpointer.stop();
    this.#store.close();
  }

  #startOffset(topic: string): number {
    if (this.options.consumeFrom === 'first') return 0;
    const row = this.db.prepare('SELECT MAX(offset) AS o FROM messages WHERE topic = ?').get(topic) as { o: number | null };
    return (row.o ?? 0) + 1;
  }

  #queueFor(topic: TopicInfo, messageGroup: string | undefined): number {
    if (messageGroup !== undefined) {
      let hash = 0;
      for (let i = 0; i < messageGroup.length; i++) hash = (hash * 31 + messageGroup.charCodeAt(i)) | 0;
      return Math.abs(hash) % topic.queues;
    }
    const next = ((this.#roundRobin.get(topic.name) ?? -1) + 1) % topic.queues;
    this.#roundRobin.set(topic.name, next);
    return next;
  }

  #onCommitted(topics: Set<string>): void {
    for (const cursor of this.#cursors.values()) if (topics.has(cursor.topic)) cursor.maybeMore = true;
    this.waiters.notify(topics);
  }
}

/**
 * The offset of the last message stored before `cutoff`, at most `chunk` messages past the first,
 * never the newest message (it keeps the offset sequence). stored_at grows with the offset, so a
 * binary search over the offsets finds it without an index on stored_at.
 */
function lastOffsetStoredBefore(db: Database.Database, cutoff: number, chunk: number): number | undefined {
  const range = db.prepare('SELECT MIN(offset) AS lo, MAX(offset) AS hi FROM messages').get() as { lo: number | null; hi: number | null };
  if (range.lo === null || range.hi === null) return undefined;
  const at = db.prepare('SELECT offset, stored_at FROM messages WHERE offset >= ? ORDER BY offset LIMIT 1');
  let lo = range.lo;
  let hi = Math.min(range.hi - 1, range.lo + chunk * 4);
  let found: number | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = at.get(mid) as { offset: number; stored_at: number } | undefined;
    if (row && row.stored_at < cutoff && row.offset < range.hi) {
      found = row.offset;
      lo = row.offset + 1;
    } else hi = mid - 1;
  }
  return found;
}
