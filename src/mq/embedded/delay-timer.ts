import type Database from 'better-sqlite3';
import type { CommitLog, LogRecord } from './commit-log.js';
import { MinHeap } from './min-heap.js';
import { encodeProps, joinKeys, splitKeys } from './store.js';
import type { MqLogger } from '../types.js';

const MOVE_BATCH = 2_000;

/**
 * Delayed messages (the order system closes expired orders with them). A delayed message waits in `timers`
 * and is appended to the commit log when due, as RocketMQ re-puts its schedule topic. Due
 * times live in a min-heap, so a message due in 1 s is never held up behind one due in an
 * hour (no head-of-line blocking), and the heap is rebuilt from the table after a restart.
 */
export class DelayTimer {
  readonly #log: CommitLog;
  readonly #logger: MqLogger;
  readonly #heap = new MinHeap<number>();
  readonly #insert: Database.Statement;
  readonly #select: Database.Statement;
  readonly #delete: Database.Statement;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;
  #moving = false;
  #closed = false;

  constructor(db: Database.Database, log: CommitLog, logger: MqLogger) {
    this.#log = log;
    this.#logger = logger;
    this.#insert = db.prepare(
      `INSERT INTO timers (due_at, msg_id, topic, queue_id, tag, keys, props, msg_group, body, born_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BLOB), ?)`,
    );
    this.#select = db.prepare('SELECT * FROM timers WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM timers WHERE id = ?');
    for (const row of db.prepare('SELECT id, due_at FROM timers').iterate() as Iterable<{ id: number; due_at: number }>) {
      this.#heap.push(row.due_at, row.id);
    }
    this.#arm();
  }

  get pending(): number {
    return this.#heap.size;
  }

  /** Inside a write op: stores the message until `dueAt`. Call `armed` after the commit. */
  insert(record: LogRecord, dueAt: number): number {
    const info = this.#insert.run(
      dueAt,
      record.id,
      record.topic,
      record.queueId,
      record.tag ?? null,
      joinKeys(record.keys),
      encodeProps(record.properties),
      record.messageGroup ?? null,
      record.body,
      record.bornAt,
    );
    return Number(info.lastInsertRowid);
  }

  /** After the commit of `insert`: the timer now knows the message. */
  added(timerId: number, dueAt: number): void {
    this.#heap.push(dueAt, timerId);
    if (dueAt < this.#armedFor) this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #arm(): void {
    if (this.#closed || this.#moving) return;
    const next = this.#heap.peekKey();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = next ?? Infinity;
    if (next === undefined) return;
    // setTimeout takes at most ~24.8 days; a longer wait simply re-arms.
    const wait = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => void this.#moveDue(), wait);
  }

  async #moveDue(): Promise<void> {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = Date.now();
    const due: number[] = [];
    while (due.length < MOVE_BATCH && (this.#heap.peekKey() ?? Infinity) <= now) due.push(this.#heap.pop() as number);
    if (due.length === 0) return this.#arm(); // woke a little early: never deliver before due
    this.#moving = true;
    try {
      await this.#log.write((log) => {
        for (const id of due) {
          const row = this.#select.get(id) as TimerRow | undefined;
          if (!row) continue; // already moved before a crash
          log.append({
            id: row.msg_id,
            topic: row.topic,
            queueId: row.queue_id,
            tag: row.tag ?? undefined,
            keys: splitKeys(row.keys),
            properties: row.props === null ? {} : JSON.parse(row.props),
            messageGroup: row.msg_group ?? undefined,
            body: row.body,
            bornAt: row.born_at,
            deliverAt: row.due_at,
          });
          this.#delete.run(id);
        }
      });
    } catch (error) {
      this.#logger.error({ err: error }, 'embedded broker: moving due delayed messages failed; retrying');
      for (const id of due) this.#heap.push(now, id);
    } finally {
      this.#moving = false;
    }
    this.#arm();
  }
}

interface TimerRow {
  id: number;
  due_at: number;
  msg_id: string;
  topic: string;
  queue_id: number;
  tag: string | null;
  keys: string | null;
  props: string | null;
  msg_group: string | null;
  body: Buffer;
  born_at: number;
}
