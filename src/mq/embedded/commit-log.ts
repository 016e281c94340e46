import type Database from 'better-sqlite3';
import { MqError, MqErrorCode } from '../errors.js';
import { encodeProps, joinKeys, type MessageRow } from './store.js';

/** A message on its way into the commit log. */
export interface LogRecord {
  /** Absent for a new message: its id is then derived from its offset. */
  id?: string;
  topic: string;
  queueId: number;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  messageGroup?: string;
  /** A string body is its UTF-8 bytes (SQLite stores them as a BLOB, as it stores a Buffer). */
  body: Buffer | string;
  bornAt: number;
  deliverAt?: number;
}

/** Runs inside the batch transaction; `log` appends visible messages and notes their topics. */
export type WriteOp<T> = (log: LogWriter) => T;

export interface LogWriter {
  readonly db: Database.Database;
  append(record: LogRecord): number;
  /** Marks a topic as changed, so waiting consumers wake up after the commit. */
  touch(topic: string): void;
  /** Runs `fn` once the batch is committed (not if it fails). */
  afterCommit(fn: () => void): void;
}

interface Pending {
  op: WriteOp<unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Group commit: every write asked for during one turn of the event loop runs in ONE SQLite
 * transaction, and all of them are acknowledged when it commits. This is what lets 64
 * concurrent synchronous senders share commits (issue: "concurrent sends share commits").
 */
export class CommitLog {
  readonly #db: Database.Database;
  readonly #onCommitted: (topics: Set<string>) => void;
  readonly #insertMessage: Database.Statement;
  readonly #insertKey: Database.Statement;
  #queue: Pending[] = [];
  /** Offsets are handed out here (one writer); retention always keeps the newest row, so none is reused. */
  #nextOffset: number;
  #scheduled = false;
  #closed = false;
  #touched = new Set<string>();
  #afterCommit: (() => void)[] = [];
  #drained: (() => void)[] = [];
  readonly #writer: LogWriter;

  /** Rows appended by the batch being written; handed to onAppended once it commits. */
  #appended: MessageRow[] = [];
  readonly #onAppended: (rows: MessageRow[]) => void;

  constructor(db: Database.Database, onCommitted: (topics: Set<string>) => void, onAppended: (rows: MessageRow[]) => void = () => {}) {
    this.#db = db;
    this.#onCommitted = onCommitted;
    this.#onAppended = onAppended;
    this.#insertMessage = db.prepare(
      `INSERT INTO messages (offset, id, topic, queue_id, tag, keys, props, msg_group, body, born_at, stored_at, deliver_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BLOB), ?, ?, ?)`,
    );
    this.#nextOffset = ((db.prepare('SELECT MAX(offset) AS o FROM messages').get() as { o: number | null }).o ?? 0) + 1;
    this.#insertKey = db.prepare('INSERT OR IGNORE INTO message_keys (offset, key, topic) VALUES (?, ?, ?)');
    this.#writer = {
      db,
      append: (record) => this.#append(record),
      touch: (topic) => this.#touched.add(topic),
      afterCommit: (fn) => this.#afterCommit.push(fn),
    };
  }

  /** The offset the next appended message gets. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Queues a write for the next group commit; resolves with the op's result once durable. */
  write<T>(op: WriteOp<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed'));
    return new Promise<T>((resolve, reject) => this.enqueue(op, resolve, reject));
  }

  /** Like `write`, with callbacks instead of a promise (the async and one-way sends make no promise). */
  enqueue<T>(op: WriteOp<T>, resolve: (value: T) => void, reject: (error: Error) => void): void {
    if (this.#closed) return reject(new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed'));
    this.#queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves once everything queued so far is committed (or failed). */
  drained(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Commits everything queued now (also called on close). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const results: { value?: unknown; error?: Error }[] = new Array(batch.length);
    const firstOffset = this.#nextOffset;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      for (let i = 0; i < batch.length; i++) {
        try {
          results[i] = { value: batch[i].op(this.#writer) };
        } catch (error) {
          results[i] = { error: error as Error };
        }
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#nextOffset = firstOffset;
      this.#touched.clear();
      this.#appended = [];
      const failure = new MqError(MqErrorCode.STORE_FAILURE, `the embedded broker could not commit: ${(error as Error).message}`, {
        cause: error,
        retriable: true,
      });
      this.#afterCommit = [];
      for (const pending of batch) pending.reject(failure);
      this.#notifyDrained();
      return;
    }
    const appended = this.#appended;
    this.#appended = [];
    if (appended.length > 0) this.#onAppended(appended);
    const after = this.#afterCommit;
    this.#afterCommit = [];
    for (const fn of after) fn();
    const touched = this.#touched;
    this.#touched = new Set();
    for (let i = 0; i < batch.length; i++) {
      const result = results[i];
      if (result.error) batch[i].reject(result.error);
      else batch[i].resolve(result.value);
    }
    if (touched.size > 0) this.#onCommitted(touched);
    this.#notifyDrained();
  }

  #notifyDrained(): void {
    if (this.#queue.length > 0 || this.#drained.length === 0) return;
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  close(): void {
    this.flush();
    this.#closed = true;
  }

  #append(r: LogRecord): number {
    const row: MessageRow = {
      offset: this.#nextOffset++,
      id: r.id ?? (null as unknown as string), // null: derived from the offset when read (MessageIds.complete)
      topic: r.topic,
      queue_id: r.queueId,
      tag: r.tag ?? null,
      keys: joinKeys(r.keys),
      props: encodeProps(r.properties),
      msg_group: r.messageGroup ?? null,
      body: r.body,
      born_at: r.bornAt,
      stored_at: Date.now(),
      deliver_at: r.deliverAt ?? null,
    };
    const { offset } = row;
    this.#insertMessage.run(
      offset,
      row.id,
      row.topic,
      row.queue_id,
      row.tag,
      row.keys,
      row.props,
      row.msg_group,
      row.body,
      row.born_at,
      row.stored_at,
      row.deliver_at,
    );
    this.#appended.push(row);
    for (const key of r.keys) this.#insertKey.run(offset, key, r.topic);
    this.#touched.add(r.topic);
    return offset;
  }
}
