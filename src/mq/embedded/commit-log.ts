import type Database from 'better-sqlite3';
import { MqError, MqErrorCode } from '../errors.js';
import { encodeProps, joinKeys } from './store.js';

/** A message on its way into the commit log. */
export interface LogRecord {
  id: string;
  topic: string;
  queueId: number;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  messageGroup?: string;
  body: Buffer;
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
  #scheduled = false;
  #closed = false;
  #touched = new Set<string>();
  readonly #writer: LogWriter;

  constructor(db: Database.Database, onCommitted: (topics: Set<string>) => void) {
    this.#db = db;
    this.#onCommitted = onCommitted;
    this.#insertMessage = db.prepare(
      `INSERT INTO messages (id, topic, queue_id, tag, keys, props, msg_group, body, born_at, stored_at, deliver_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertKey = db.prepare('INSERT OR IGNORE INTO message_keys (offset, key, topic) VALUES (?, ?, ?)');
    this.#writer = {
      db,
      append: (record) => this.#append(record),
      touch: (topic) => this.#touched.add(topic),
    };
  }

  /** Queues a write for the next group commit; resolves with the op's result once durable. */
  write<T>(op: WriteOp<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new MqError(MqErrorCode.CLOSED, 'the embedded broker is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also called on close). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const results: { value?: unknown; error?: Error }[] = new Array(batch.length);
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
      this.#touched.clear();
      const failure = new MqError(MqErrorCode.STORE_FAILURE, `the embedded broker could not commit: ${(error as Error).message}`, {
        cause: error,
        retriable: true,
      });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    const touched = this.#touched;
    this.#touched = new Set();
    for (let i = 0; i < batch.length; i++) {
      const result = results[i];
      if (result.error) batch[i].reject(result.error);
      else batch[i].resolve(result.value);
    }
    if (touched.size > 0) this.#onCommitted(touched);
  }

  close(): void {
    this.flush();
    this.#closed = true;
  }

  #append(r: LogRecord): number {
    const info = this.#insertMessage.run(
      r.id,
      r.topic,
      r.queueId,
      r.tag ?? null,
      joinKeys(r.keys),
      encodeProps(r.properties),
      r.messageGroup ?? null,
      r.body,
      r.bornAt,
      Date.now(),
      r.deliverAt ?? null,
    );
    const offset = Number(info.lastInsertRowid);
    for (const key of r.keys) this.#insertKey.run(offset, key, r.topic);
    this.#touched.add(r.topic);
    return offset;
  }
}
