import type Database from 'better-sqlite3';
import type { OutgoingMessage } from '../message.js';
import type { MessageView, SendResult, TransactionChecker, TransactionResolution, TransactionSendResult } from '../types.js';
import type { Broker } from './broker.js';
import type { LogRecord } from './commit-log.js';
import { encodeProps, joinKeys, splitKeys } from './store.js';

interface HalfRow {
  tx_id: string;
  msg_id: string;
  topic: string;
  queue_id: number;
  tag: string | null;
  keys: string | null;
  props: string | null;
  body: Buffer;
  born_at: number;
  producer_group: string;
  checks: number;
  created_at: number;
}

const RESOLUTIONS = new Set(['COMMIT', 'ROLLBACK', 'UNKNOWN']);

/**
 * Transactional (half) messages: the half message is stored first, invisible;
 * the local transaction runs; COMMIT makes it visible, ROLLBACK drops it. When the outcome is
 * unknown (UNKNOWN, a throw, or the producer died) the broker later asks a transactionChecker
 * of the producer group (check-back), up to transactionCheckMax times, then rolls back.
 */
export class Transactions {
  readonly #broker: Broker;
  readonly #checkers = new Map<string, Set<TransactionChecker>>();
  readonly #running = new Set<string>();
  readonly #select: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #loop: NodeJS.Timeout;
  #checking = false;

  constructor(broker: Broker) {
    this.#broker = broker;
    // Prepared once: a transactional send is on the pay path, twice.
    this.#select = broker.db.prepare('SELECT * FROM half_messages WHERE tx_id = ?');
    this.#insert = broker.db.prepare(
      `INSERT INTO half_messages (tx_id, msg_id, topic, queue_id, tag, keys, props, body, born_at, producer_group, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS BLOB), ?, ?, ?)`,
    );
    this.#delete = broker.db.prepare('DELETE FROM half_messages WHERE tx_id = ?');
    this.#loop = setInterval(() => void this.checkBack(), broker.options.transactionCheckIntervalMs).unref();
  }

  registerChecker(group: string, checker: TransactionChecker): () => void {
    let set = this.#checkers.get(group);
    if (!set) this.#checkers.set(group, (set = new Set()));
    set.add(checker);
    return () => set.delete(checker);
  }

  async send(
    out: OutgoingMessage<Buffer | string>,
    producerGroup: string,
    execute: (result: SendResult) => TransactionResolution | Promise<TransactionResolution>,
  ): Promise<TransactionSendResult> {
    const broker = this.#broker;
    const topic = await broker.topicFor(out);
    const r = broker.record(out, topic, broker.newId());
    const txId = broker.newId();
    await broker.log.write(() =>
      this.#insert.run(
        txId,
        r.id as string,
        r.topic,
        r.queueId,
        r.tag ?? null,
        joinKeys(r.keys),
        encodeProps(r.properties),
        r.body,
        r.bornAt,
        producerGroup,
        Date.now(),
      ),
    );
    const half: SendResult = { messageId: r.id as string, topic: r.topic, queueId: r.queueId, offset: -1, transactionId: txId };
    this.#running.add(txId);
    let resolution: TransactionResolution;
    try {
      resolution = await execute(half);
      if (!RESOLUTIONS.has(resolution)) {
        broker.options.logger.warn({ txId, resolution }, 'executeLocalTransaction returned no COMMIT/ROLLBACK/UNKNOWN: UNKNOWN');
        resolution = 'UNKNOWN';
      }
    } catch (error) {
      broker.options.logger.warn({ err: error, txId }, 'local transaction threw: outcome UNKNOWN, left to check-back');
      resolution = 'UNKNOWN';
    } finally {
      this.#running.delete(txId);
    }
    // Ended the way RocketMQ's producer ends it (END_TRANSACTION is one-way): the local transaction
    // has its outcome, so the caller is answered now. The end is already queued for the log's next
    // group commit (a close flushes it); if the process dies first, the half message stays and the
    // check-back asks the local transaction again. Saves the caller a commit's wait on the pay path.
    this.end(txId, resolution, r).catch((error: unknown) => {
      broker.options.logger.warn({ err: error, txId }, 'ending a transaction failed: left to the check-back');
    });
    return { ...half, resolution };
  }

  /**
   * Commits (→ visible, returns its offset) or rolls back a half message; UNKNOWN keeps it. The
   * sender passes the record it stored, which saves reading the half message back.
   */
  async end(txId: string, resolution: TransactionResolution, stored?: LogRecord): Promise<number | undefined> {
    if (resolution === 'UNKNOWN') return undefined;
    return this.#broker.log.write((log) => {
      if (stored) {
        // Gone means resolved already (by a check-back that ran meanwhile).
        if (this.#delete.run(txId).changes === 0) return undefined;
        // As stored in half_messages: no message group, no delay (a TRANSACTION topic has neither).
        return resolution === 'ROLLBACK' ? undefined : log.append({ ...stored, messageGroup: undefined, deliverAt: undefined });
      }
      const row = this.#select.get(txId) as HalfRow | undefined;
      if (!row) return undefined; // resolved already (by a check-back)
      this.#delete.run(txId);
      if (resolution === 'ROLLBACK') return undefined;
      return log.append({
        id: row.msg_id,
        topic: row.topic,
        queueId: row.queue_id,
        tag: row.tag ?? undefined,
        keys: splitKeys(row.keys),
        properties: row.props ? JSON.parse(row.props) : {},
        body: row.body,
        bornAt: row.born_at,
      });
    });
  }

  /** One round of check-backs over half messages older than the immunity time. */
  async checkBack(): Promise<void> {
    const broker = this.#broker;
    if (this.#checking || broker.closed) return;
    this.#checking = true;
    try {
      const cutoff = Date.now() - broker.options.transactionCheckImmunityMs;
      const rows = broker.db.prepare('SELECT * FROM half_messages WHERE created_at <= ? LIMIT 1000').all(cutoff) as HalfRow[];
      for (const row of rows) {
        if (broker.closed) return;
        if (this.#running.has(row.tx_id)) continue;
        const checker = this.#checkerFor(row.producer_group);
        if (!checker) continue; // no producer of the group is alive: wait for one
        if (row.checks >= broker.options.transactionCheckMax) {
          broker.options.logger.warn(
            { txId: row.tx_id, messageId: row.msg_id },
            'transaction unresolved after max check-backs: rolled back',
          );
          await this.end(row.tx_id, 'ROLLBACK');
          continue;
        }
        await broker.log.write(({ db }) => db.prepare('UPDATE half_messages SET checks = checks + 1 WHERE tx_id = ?').run(row.tx_id));
        let resolution: TransactionResolution = 'UNKNOWN';
        try {
          resolution = await checker(toView(row));
        } catch (error) {
          broker.options.logger.warn({ err: error, txId: row.tx_id }, 'transactionChecker threw: UNKNOWN');
        }
        if (RESOLUTIONS.has(resolution)) await this.end(row.tx_id, resolution);
      }
    } catch (error) {
      if (!broker.closed) broker.options.logger.error({ err: error }, 'embedded broker: transaction check-back failed');
    } finally {
      this.#checking = false;
    }
  }

  close(): void {
    clearInterval(this.#loop);
  }

  /** A checker of the same producer group; failing that, any (the check is about the message). */
  #checkerFor(group: string): TransactionChecker | undefined {
    for (const checker of this.#checkers.get(group) ?? []) return checker;
    for (const set of this.#checkers.values()) for (const checker of set) return checker;
    return undefined;
  }
}

function toView(row: HalfRow): MessageView {
  return {
    messageId: row.msg_id,
    topic: row.topic,
    body: row.body,
    tag: row.tag ?? undefined,
    keys: splitKeys(row.keys),
    properties: row.props ? JSON.parse(row.props) : {},
    bornAt: new Date(row.born_at),
    deliveryAttempt: row.checks + 1,
    queueId: row.queue_id,
    offset: -1,
    receiptHandle: row.tx_id,
  };
}
