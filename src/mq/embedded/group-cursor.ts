import type { TagFilter } from '../filter.js';
import { Prop } from './internal-props.js';
import type { MessageRow } from './store.js';

export type EntryState = 'ready' | 'leased' | 'waiting' | 'settling' | 'done';

/** One message read by a group and not finished yet. */
export interface Entry {
  readonly row: MessageRow;
  /** Failures recorded on the message itself (retry-topic messages carry RECONSUME_TIMES). */
  readonly baseReconsume: number;
  /** Deliveries of this entry by this cursor. */
  attempts: number;
  state: EntryState;
  visibleAt: number;
  leaseSeq: number;
}

const READ_BATCH = 512;

/**
 * What one consumer group has read of one topic (RocketMQ: a consume offset plus the
 * "process queue"). Members of the group share it, so each message goes to one member
 * (clustering). Everything below `committedOffset` is finished; entries hold what was read and
 * is not finished: ready to hand out, leased to a consumer, or waiting for a FIFO retry.
 * A crash loses only this in-memory part: consumption restarts at the committed offset
 * (at-least-once; consumers are idempotent).
 */
export class GroupCursor {
  readonly id: number;
  readonly group: string;
  readonly topic: string;
  readonly fifo: boolean;
  filter: TagFilter;
  maxReconsumeTimes: number;
  /** Set when the topic got new messages since the last empty read. */
  maybeMore = true;
  #readPos: number;
  #persisted: number;
  readonly #entries = new Map<number, Entry>();
  #ready: Entry[] = [];
  #readyHead = 0;
  #nextExpiry = Infinity;
  readonly #maxPending: number;
  readonly #read: (topic: string, from: number, limit: number) => MessageRow[];

  constructor(init: {
    id: number;
    group: string;
    topic: string;
    fifo: boolean;
    filter: TagFilter;
    maxReconsumeTimes: number;
    committedOffset: number;
    read: (topic: string, from: number, limit: number) => MessageRow[];
  }) {
    this.id = init.id;
    this.group = init.group;
    this.topic = init.topic;
    this.fifo = init.fifo;
    this.filter = init.filter;
    this.maxReconsumeTimes = init.maxReconsumeTimes;
    this.#readPos = init.committedOffset;
    this.#persisted = init.committedOffset;
    this.#read = init.read;
    // FIFO scans its entries on every take, so it reads ahead less.
    this.#maxPending = init.fifo ? 2_048 : 16_384;
  }

  /** Every message below this offset is finished for the group. */
  get committedOffset(): number {
    for (const offset of this.#entries.keys()) return offset;
    return this.#readPos;
  }

  get dirty(): boolean {
    return this.committedOffset !== this.#persisted;
  }

  markPersisted(offset: number): void {
    this.#persisted = offset;
  }

  get inFlight(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.state === 'leased' || e.state === 'settling') n++;
    return n;
  }

  /** The state of the message at `offset` for this group, if it is still in memory. */
  entryAt(offset: number): Entry | undefined {
    return this.#entries.get(offset);
  }

  /** When the next leased or waiting entry becomes visible again (Infinity if none). */
  get nextWakeAt(): number {
    return this.#nextExpiry;
  }

  /**
   * Hands out up to `max` messages, leased until `now + leaseMs`. Entries whose delivery count
   * passed `maxReconsumeTimes` are pushed to `dying` instead (the caller dead-letters them).
   */
  take(max: number, now: number, leaseMs: number, out: Entry[], dying: Entry[]): void {
    if (now >= this.#nextExpiry) this.#expire(now);
    if (this.#readyCount() < max && this.maybeMore && this.#entries.size < this.#maxPending) this.#fill();
    if (this.fifo) this.#takeFifo(max, now, leaseMs, out, dying);
    else this.#takeAny(max, now, leaseMs, out, dying);
  }

  /** Ends the lease `leaseSeq` of `entry`; false if the entry was handed to someone else since. */
  finish(entry: Entry, leaseSeq: number): boolean {
    if (entry.state === 'done') return true;
    if (entry.leaseSeq !== leaseSeq && entry.state !== 'ready') return false;
    entry.state = 'done';
    this.#entries.delete(entry.row.offset);
    return true;
  }

  /** The entry is being retried or dead-lettered: no one gets it until `finish` or `release`. */
  settle(entry: Entry): void {
    entry.state = 'settling';
  }

  /** Makes the entry visible again at `visibleAt` (RETRY_LATER on FIFO, changeInvisibleDuration). */
  release(entry: Entry, visibleAt: number, waiting: boolean): void {
    if (entry.state === 'done') return;
    entry.state = waiting ? 'waiting' : 'leased';
    entry.visibleAt = visibleAt;
    if (visibleAt < this.#nextExpiry) this.#nextExpiry = visibleAt;
  }

  #readyCount(): number {
    return this.#ready.length - this.#readyHead;
  }

  #fill(): void {
    const rows = this.#read(this.topic, this.#readPos, READ_BATCH);
    if (rows.length < READ_BATCH) this.maybeMore = false;
    for (const row of rows) {
      this.#readPos = row.offset + 1;
      if (!this.filter.accepts(row.tag ?? undefined)) continue;
      const reconsume = row.props === null ? 0 : Number(JSON.parse(row.props)[Prop.RECONSUME_TIMES] ?? 0);
      const entry: Entry = { row, baseReconsume: reconsume, attempts: 0, state: 'ready', visibleAt: 0, leaseSeq: 0 };
      this.#entries.set(row.offset, entry);
      this.#ready.push(entry);
    }
  }

  #expire(now: number): void {
    let next = Infinity;
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'leased' && entry.state !== 'waiting') continue;
      if (entry.visibleAt <= now) {
        entry.state = 'ready';
        if (!this.fifo) this.#ready.push(entry);
      } else if (entry.visibleAt < next) next = entry.visibleAt;
    }
    this.#nextExpiry = next;
  }

  #lease(entry: Entry, now: number, leaseMs: number, out: Entry[], dying: Entry[]): void {
    if (entry.baseReconsume + entry.attempts > this.maxReconsumeTimes) {
      entry.state = 'settling';
      dying.push(entry);
      return;
    }
    entry.attempts++;
    entry.leaseSeq++;
    entry.state = 'leased';
    entry.visibleAt = now + leaseMs;
    if (entry.visibleAt < this.#nextExpiry) this.#nextExpiry = entry.visibleAt;
    out.push(entry);
  }

  #takeAny(max: number, now: number, leaseMs: number, out: Entry[], dying: Entry[]): void {
    while (out.length < max && this.#readyHead < this.#ready.length) {
      const entry = this.#ready[this.#readyHead++];
      if (entry.state === 'ready') this.#lease(entry, now, leaseMs, out, dying);
    }
    if (this.#readyHead > 4_096 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
  }

  /** FIFO: a message is handed out only when no earlier message of its group is unfinished. */
  #takeFifo(max: number, now: number, leaseMs: number, out: Entry[], dying: Entry[]): void {
    this.#ready = [];
    this.#readyHead = 0;
    const busy = new Set<string | null>();
    for (const entry of this.#entries.values()) {
      if (out.length >= max) break;
      const group = entry.row.msg_group;
      if (busy.has(group)) continue;
      busy.add(group);
      if (entry.state === 'ready') this.#lease(entry, now, leaseMs, out, dying);
    }
  }
}
