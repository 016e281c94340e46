import type { Generated, Transaction } from 'kysely';
import type { Database, Migration } from '../../db/index.js';
import { preparedQuery } from '../../db/index.js';
import type { Message, Producer, TopicType } from '../../mq/index.js';
import type { OrderDB } from './schema.js';

/**
 * The order system's message outbox (ORDERFLOW_ORDER_MESSAGES=outbox): `order_paid`, `order_refund`
 * and `order_timeout` written as rows in the same local transaction as the change they announce, then
 * published with plain sends by a relay (outbox-relay.ts, started by the order system), and deleted once
 * the broker has them.
 * The guarantee is that of a transactional message — no paid order without its message, no message
 * without a paid order — with the broker off the request's path: a pay is one database transaction.
 */
export interface OrderMessagesTable {
  /** Publication order. */
  id: Generated<number>;
  topic: string;
  tag: string | null;
  /** The message's keys, as a JSON array. */
  keys: string;
  message_group: string | null;
  /** DELAY topics: when to deliver (epoch ms). */
  deliver_at: number | null;
  body: string;
  created_at: number;
}

export const messageOutboxMigration: Migration = {
  async up(db, { types }) {
    await db.schema
      .createTable('order_messages')
      // AUTOINCREMENT on SQLite: ids are never reused, even when the relay has emptied the table.
      .addColumn('id', types.autoIncrementId, (c) => c.primaryKey().autoIncrement())
      .addColumn('topic', 'varchar(127)', (c) => c.notNull())
      .addColumn('tag', 'varchar(64)')
      .addColumn('keys', 'varchar(512)', (c) => c.notNull())
      .addColumn('message_group', 'varchar(64)')
      .addColumn('deliver_at', 'bigint')
      .addColumn('body', types.longText, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** What the order system queues: its messages' bodies are JSON text; deliverAt is epoch ms. */
export interface QueuedMessage {
  topic: string;
  tag?: string;
  keys: string[];
  messageGroup?: string;
  deliverAt?: number;
  body: string;
}

const insertMessage = preparedQuery<
  OrderDB,
  { topic: string; tag: string | null; keys: string; group: string | null; deliverAt: number | null; body: string; now: number }
>((db, param) =>
  db.insertInto('order_messages').values({
    topic: param('topic'),
    tag: param('tag'),
    keys: param('keys'),
    message_group: param('group'),
    deliver_at: param('deliverAt'),
    body: param('body'),
    created_at: param('now'),
  }),
);

/** Queues a message inside the caller's transaction: it is published only if that transaction commits. */
export async function queueMessage(trx: Transaction<OrderDB>, message: QueuedMessage, now: number): Promise<void> {
  await insertMessage(trx, {
    topic: message.topic,
    tag: message.tag ?? null,
    keys: JSON.stringify(message.keys),
    group: message.messageGroup ?? null,
    deliverAt: message.deliverAt ?? null,
    body: message.body,
    now,
  });
}

/** Who the relay sends through: plain (batched) sends, and a transactional send for a row whose topic is TRANSACTION-typed. */
export type MessageRelayProducer = Pick<Producer, 'sendBatch' | 'sendInTransaction'>;

/**
 * One round of the message relay: the oldest rows, sent topic by topic in id order, each topic's rows
 * deleted once the broker has stored them (a crash in between sends them again: at-least-once, and
 * every consumer of these topics is idempotent). A row whose topic is a TRANSACTION topic — queued
 * before the deployment switched back to transactional messages — is sent as a transactional message
 * committed at once. Returns how many rows it published.
 */
export async function publishMessageOutbox(
  database: Database<OrderDB>,
  producer: MessageRelayProducer,
  topicType: (topic: string) => TopicType | undefined,
  limit: number,
): Promise<number> {
  const { db } = database;
  const rows = await db.selectFrom('order_messages').selectAll().orderBy('id').limit(limit).execute();
  if (rows.length === 0) return 0;
  const byTopic = new Map<string, typeof rows>();
  for (const row of rows) {
    const topicRows = byTopic.get(row.topic);
    if (topicRows) topicRows.push(row);
    else byTopic.set(row.topic, [row]);
  }
  for (const [topic, topicRows] of byTopic) {
    const messages = topicRows.map(toMessage);
    if (topicType(topic) === 'TRANSACTION') {
      for (const message of messages) await producer.sendInTransaction(message, () => 'COMMIT');
    } else {
      await producer.sendBatch(messages);
    }
    // Only now that the broker has them: deleting first could lose messages in a crash.
    await db
      .deleteFrom('order_messages')
      .where(
        'id',
        'in',
        topicRows.map((row) => row.id),
      )
      .execute();
  }
  return rows.length;
}

function toMessage(row: {
  topic: string;
  tag: string | null;
  keys: string;
  message_group: string | null;
  deliver_at: number | null;
  body: string;
}): Message {
  const message: Message = { topic: row.topic, keys: JSON.parse(row.keys) as string[], body: row.body };
  if (row.tag !== null) message.tag = row.tag;
  if (row.message_group !== null) message.messageGroup = row.message_group;
  if (row.deliver_at !== null) message.deliverAt = Number(row.deliver_at);
  return message;
}
