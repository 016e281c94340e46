import { retryDelayMs } from '../backoff.js';
import { checkTopicName } from '../message.js';
import { invalidArgument, MqError, MqErrorCode, topicNotFound } from '../errors.js';
import type { MessageView, Subscriptions } from '../types.js';
import type { Broker } from './broker.js';
import type { Entry, GroupCursor } from './group-cursor.js';
import { dlqTopicOf, Prop, publicProps } from './internal-props.js';
import { splitKeys } from './store.js';

/** A message handed to a consumer, with what is needed to finish it. */
export interface Delivery {
  readonly cursor: GroupCursor;
  readonly entry: Entry;
  readonly leaseSeq: number;
  readonly view: MessageView;
}

/**
 * What push and pull consumers of one group share: the group's cursors on its topics and on
 * its retry topic, handing out, acknowledging, retrying and dead-lettering messages.
 */
export class Consumption {
  readonly #broker: Broker;
  readonly groupKey: string;
  readonly #cursors: GroupCursor[];
  readonly topics: string[];
  #next = 0;

  private constructor(broker: Broker, groupKey: string, cursors: GroupCursor[]) {
    this.#broker = broker;
    this.groupKey = groupKey;
    this.#cursors = cursors;
    this.topics = cursors.map((c) => c.topic);
  }

  static async open(broker: Broker, groupKey: string, subscriptions: Subscriptions, maxReconsumeTimes: number): Promise<Consumption> {
    broker.assertOpen();
    if (!subscriptions || typeof subscriptions !== 'object' || Object.keys(subscriptions).length === 0) {
      throw invalidArgument('subscriptions', "must name at least one topic, e.g. { orders: '*' }");
    }
    if (!Number.isInteger(maxReconsumeTimes) || maxReconsumeTimes < 0) {
      throw invalidArgument('maxReconsumeTimes', `must be an integer ≥ 0, not ${String(maxReconsumeTimes)}`);
    }
    const cursors: GroupCursor[] = [];
    for (const [topic, expression] of Object.entries(subscriptions)) {
      checkTopicName(topic, 'subscriptions topic');
      if (!broker.topic(topic)) {
        if (!broker.options.autoCreateTopics) throw topicNotFound(topic);
        await broker.createTopic(topic, 'NORMAL', broker.options.defaultQueues);
      }
      cursors.push(broker.cursor(groupKey, topic, expression, maxReconsumeTimes));
    }
    const retryTopic = await broker.ensureRetryTopic(groupKey);
    cursors.push(broker.cursor(groupKey, retryTopic, '*', maxReconsumeTimes));
    return new Consumption(broker, groupKey, cursors);
  }

  /** Hands out up to `max` messages leased for `leaseMs`, taking from each topic in turn. */
  take(max: number, leaseMs: number): Delivery[] {
    if (this.#broker.closed) return [];
    const now = Date.now();
    const entries: Entry[] = [];
    const owners: GroupCursor[] = [];
    const dying: [GroupCursor, Entry][] = [];
    for (let i = 0; i < this.#cursors.length && entries.length < max; i++) {
      const cursor = this.#cursors[(this.#next + i) % this.#cursors.length];
      const before = entries.length;
      const dead: Entry[] = [];
      cursor.take(max - entries.length, now, leaseMs, entries, dead);
      for (let j = before; j < entries.length; j++) owners.push(cursor);
      for (const entry of dead) dying.push([cursor, entry]);
    }
    this.#next = (this.#next + 1) % this.#cursors.length;
    for (const [cursor, entry] of dying) void this.deadLetter(cursor, entry, 'invisible time expired too often without an ack');
    return entries.map((entry, i) => this.#delivery(owners[i], entry));
  }

  /** When to look again if `take` found nothing (a leased or waiting message may come back). */
  nextWakeAt(): number {
    let at = Infinity;
    for (const cursor of this.#cursors) at = Math.min(at, cursor.nextWakeAt);
    return at;
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const wake = this.nextWakeAt() - Date.now();
    return this.#broker.waiters.wait(this.topics, Math.max(1, Math.min(timeoutMs, wake)), signal);
  }

  ack(delivery: Delivery): void {
    if (!delivery.cursor.finish(delivery.entry, delivery.leaseSeq)) throw receiptExpired(delivery.view);
    if (delivery.cursor.fifo) this.wake(delivery.cursor); // the next message of its group may go now
  }

  /** Makes a delivered message visible again at `visibleAt` (changeInvisibleDuration). */
  postpone(delivery: Delivery, visibleAt: number): void {
    delivery.cursor.release(delivery.entry, visibleAt, false);
    this.wake(delivery.cursor);
  }

  /** Wakes consumers waiting on the cursor's topic, so they see an earlier wake-up time. */
  wake(cursor: GroupCursor): void {
    this.#broker.waiters.notify([cursor.topic]);
  }

  /** Handle → delivery, for pull consumers' ack and changeInvisibleDuration. */
  fromReceipt(message: MessageView): Delivery {
    const [cursorId, offset, leaseSeq] = String(message?.receiptHandle ?? '')
      .split(':')
      .map(Number);
    const cursor = this.#broker.cursorById(cursorId);
    const entry = cursor?.entryAt(offset);
    if (!cursor || !this.#cursors.includes(cursor) || !entry || entry.leaseSeq !== leaseSeq) {
      if (cursor && this.#cursors.includes(cursor) && !entry && offset < cursor.committedOffset) {
        return { cursor, entry: { state: 'done' } as Entry, leaseSeq, view: message }; // acked already
      }
      throw receiptExpired(message);
    }
    return { cursor, entry, leaseSeq, view: message };
  }

  /**
   * A failed delivery. FIFO: the message stays first in its group and comes back after the
   * back-off. Otherwise a copy goes to the group's retry topic, due after the back-off
   * (durable, as RocketMQ), and this one is finished. Past maxReconsumeTimes: the DLQ.
   */
  async retryLater(delivery: Delivery, reason: string): Promise<void> {
    const { cursor, entry } = delivery;
    if (entry.state === 'done' || entry.leaseSeq !== delivery.leaseSeq) return;
    const reconsumeTimes = entry.baseReconsume + entry.attempts - 1; // failures before this one
    if (reconsumeTimes >= cursor.maxReconsumeTimes) return this.deadLetter(cursor, entry, reason);
    const dueAt = Date.now() + retryDelayMs(reconsumeTimes, this.#broker.options.retryBackoffScale);
    if (cursor.fifo) {
      cursor.release(entry, dueAt, true);
      return this.wake(cursor);
    }
    cursor.settle(entry);
    const row = entry.row;
    const record = {
      id: row.id,
      topic: await this.#broker.ensureRetryTopic(this.groupKey),
      queueId: 0,
      tag: row.tag ?? undefined,
      keys: splitKeys(row.keys),
      properties: {
        ...(row.props ? JSON.parse(row.props) : {}),
        [Prop.ORIGIN_TOPIC]: originTopic(row.topic, row.props),
        [Prop.RECONSUME_TIMES]: String(reconsumeTimes + 1),
        [Prop.LAST_ERROR]: reason.slice(0, 500),
      },
      messageGroup: row.msg_group ?? undefined,
      body: row.body,
      bornAt: row.born_at,
      deliverAt: dueAt,
    };
    try {
      await this.#broker.store([record]);
      cursor.finish(entry, entry.leaseSeq);
    } catch (error) {
      cursor.release(entry, Date.now() + 1_000, false); // store failed: deliver again later
      throw error;
    }
  }

  async deadLetter(cursor: GroupCursor, entry: Entry, reason: string): Promise<void> {
    cursor.settle(entry);
    const row = entry.row;
    const dlq = dlqTopicOf(this.groupKey);
    try {
      if (!this.#broker.topic(dlq)) await this.#broker.createTopic(dlq, 'NORMAL', 1);
      await this.#broker.store([
        {
          id: row.id,
          topic: dlq,
          queueId: 0,
          tag: row.tag ?? undefined,
          keys: splitKeys(row.keys),
          properties: {
            ...(row.props ? JSON.parse(row.props) : {}),
            [Prop.ORIGIN_TOPIC]: originTopic(row.topic, row.props),
            [Prop.DLQ_GROUP]: this.groupKey,
            [Prop.RECONSUME_TIMES]: String(entry.baseReconsume + entry.attempts),
            [Prop.LAST_ERROR]: reason.slice(0, 500),
          },
          messageGroup: row.msg_group ?? undefined,
          body: row.body,
          bornAt: row.born_at,
        },
      ]);
      cursor.finish(entry, entry.leaseSeq);
    } catch (error) {
      cursor.release(entry, Date.now() + 1_000, cursor.fifo);
      this.#broker.options.logger.error({ err: error, messageId: row.id }, 'embedded broker: dead-lettering failed; will retry');
    }
  }

  #delivery(cursor: GroupCursor, entry: Entry): Delivery {
    const row = entry.row;
    const all = row.props === null ? {} : (JSON.parse(row.props) as Record<string, string>);
    const view: MessageView = {
      messageId: row.id,
      topic: all[Prop.ORIGIN_TOPIC] ?? row.topic,
      // A copy: the row may be the broker's cached one, shared by every group (a listener may write into its body).
      body: Buffer.from(row.body),
      tag: row.tag ?? undefined,
      keys: splitKeys(row.keys),
      properties: publicProps(all),
      messageGroup: row.msg_group ?? undefined,
      deliverAt: row.deliver_at === null ? undefined : new Date(row.deliver_at),
      bornAt: new Date(row.born_at),
      deliveryAttempt: entry.baseReconsume + entry.attempts,
      queueId: row.queue_id,
      offset: row.offset,
      receiptHandle: `${cursor.id}:${row.offset}:${entry.leaseSeq}`,
    };
    return { cursor, entry, leaseSeq: entry.leaseSeq, view };
  }
}

function originTopic(topic: string, props: string | null): string {
  return (props ? (JSON.parse(props) as Record<string, string>)[Prop.ORIGIN_TOPIC] : undefined) ?? topic;
}

function receiptExpired(message: MessageView): MqError {
  return new MqError(
    MqErrorCode.RECEIPT_EXPIRED,
    `message ${message?.messageId} was not acknowledged in time and has been handed out again; its old receipt is void`,
    { details: { messageId: message?.messageId } },
  );
}
