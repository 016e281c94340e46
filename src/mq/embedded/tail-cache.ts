import type { MessageRow } from './store.js';

/** Newest rows kept per topic: what consumers that keep up read. */
export const TAIL_ROWS_PER_TOPIC = 8_192;

interface Tail {
  rows: MessageRow[];
  /** Every row of the topic at or past this offset is in `rows`. */
  coveredFrom: number;
}

/**
 * The newest messages of each topic, in memory, as they were committed. Consumers that keep up
 * (nearly all of them) read from here instead of SQLite: with several groups per topic each
 * message would otherwise be read back once per group (order_paid has four). Older
 * reads, and reads of topics not written since the broker started, go to SQLite.
 */
export class TailCache {
  readonly #tails = new Map<string, Tail>();
  /** Nothing at or past this offset was stored before this broker started: all of it passes through add(). */
  readonly #startOffset: number;
  readonly #maxRows: number;

  constructor(startOffset: number, maxRows = TAIL_ROWS_PER_TOPIC) {
    this.#startOffset = startOffset;
    this.#maxRows = maxRows;
  }

  /** Rows just committed, in offset order. */
  add(rows: MessageRow[]): void {
    for (const row of rows) {
      let tail = this.#tails.get(row.topic);
      if (!tail) this.#tails.set(row.topic, (tail = { rows: [], coveredFrom: this.#startOffset }));
      tail.rows.push(row);
      if (tail.rows.length > this.#maxRows * 2) {
        // Dropped in halves, so that trimming costs O(1) per row.
        tail.rows = tail.rows.slice(tail.rows.length - this.#maxRows);
        tail.coveredFrom = tail.rows[0].offset;
      }
    }
  }

  /** The topic's rows from `from` on (at most `limit`), or undefined when the cache cannot tell (read SQLite). */
  read(topic: string, from: number, limit: number): MessageRow[] | undefined {
    const tail = this.#tails.get(topic);
    const coveredFrom = tail?.coveredFrom ?? this.#startOffset;
    if (from < coveredFrom) return undefined;
    if (!tail) return [];
    const { rows } = tail;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (rows[mid].offset < from) low = mid + 1;
      else high = mid;
    }
    return rows.slice(low, low + limit);
  }

  /** Retention deleted every row up to `offset`: forget them too. */
  dropThrough(offset: number): void {
    for (const tail of this.#tails.values()) {
      const keep = tail.rows.findIndex((row) => row.offset > offset);
      tail.rows = keep === -1 ? [] : tail.rows.slice(keep);
      tail.coveredFrom = Math.max(tail.coveredFrom, offset + 1);
    }
  }
}
