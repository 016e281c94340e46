import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { MqError, MqErrorCode } from '../errors.js';

/**
 * The embedded broker's SQLite store (WAL). Tables:
 * - messages: the commit log; `offset` is the position, visible messages only, in store order;
 *   a message sent for immediate delivery has id = store id + offset, so it needs no id index;
 * - message_keys: key → offset, for finding messages by business key;
 * - timers: delayed messages not due yet (moved into messages when due, as RocketMQ's schedule topic);
 * - half_messages: transactional messages not committed or rolled back yet;
 * - consumer_offsets: per group and topic, every message below `offset` is done;
 * - dlq_replays: which dead letters were replayed.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY, type TEXT NOT NULL, queues INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  offset INTEGER PRIMARY KEY, id TEXT, topic TEXT NOT NULL, queue_id INTEGER NOT NULL,
  tag TEXT, keys TEXT, props TEXT, msg_group TEXT, body BLOB NOT NULL,
  born_at INTEGER NOT NULL, stored_at INTEGER NOT NULL, deliver_at INTEGER);
CREATE INDEX IF NOT EXISTS messages_by_topic ON messages (topic, offset);
-- Most messages have no stored id (it is derived from the offset); only delayed, transactional and
-- retry / dead-letter copies carry one, so this index stays small and sends stay fast.
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (id) WHERE id IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS message_keys (
  offset INTEGER NOT NULL, key TEXT NOT NULL, topic TEXT NOT NULL, PRIMARY KEY (offset, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_keys_by_key ON message_keys (key, topic);
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY, due_at INTEGER NOT NULL, msg_id TEXT NOT NULL, topic TEXT NOT NULL, queue_id INTEGER NOT NULL,
  tag TEXT, keys TEXT, props TEXT, msg_group TEXT, body BLOB NOT NULL, born_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS timers_by_msg_id ON timers (msg_id);
CREATE TABLE IF NOT EXISTS half_messages (
  tx_id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, topic TEXT NOT NULL, queue_id INTEGER NOT NULL,
  tag TEXT, keys TEXT, props TEXT, body BLOB NOT NULL, born_at INTEGER NOT NULL,
  producer_group TEXT NOT NULL, checks INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS consumer_offsets (
  group_name TEXT NOT NULL, topic TEXT NOT NULL, offset INTEGER NOT NULL, filter TEXT NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (group_name, topic)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dlq_replays (dlq_offset INTEGER PRIMARY KEY, replayed_at INTEGER NOT NULL);
`;

/** A row of `messages`, as stored. */
export interface MessageRow {
  offset: number;
  id: string;
  topic: string;
  queue_id: number;
  tag: string | null;
  keys: string | null;
  props: string | null;
  msg_group: string | null;
  /** A Buffer as read from SQLite; a row the tail cache took from the commit log keeps a string body as it was sent. */
  body: Buffer | string;
  born_at: number;
  stored_at: number;
  deliver_at: number | null;
}

export type Durability = 'process-crash' | 'power-loss';

export interface StoreOptions {
  dataDir: string;
  /** 'process-crash' (default): WAL + synchronous=NORMAL, every acknowledged send survives kill -9.
   * 'power-loss': synchronous=FULL, fsync on every commit (RocketMQ's SYNC_FLUSH). */
  durability?: Durability;
}

export interface OpenedStore {
  db: Database.Database;
  file: string;
  /** Releases the store's lock and closes the database. */
  close(): void;
}

export function openStore({ dataDir, durability = 'process-crash' }: StoreOptions): OpenedStore {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'broker.sqlite');
  let lock: Database.Database | undefined;
  let db: Database.Database | undefined;
  try {
    // One process owns the store (a second would not see our in-memory consumer state). The lock is
    // a write transaction held open on a side file: the OS drops it when the process dies, even by kill -9.
    lock = new Database(path.join(dataDir, 'broker.lock'), { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER); BEGIN EXCLUSIVE; DELETE FROM owner;');
    lock.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 0'); // a worker thread checkpoints (sqlite-checkpointer.ts)
    db.exec(SCHEMA);
  } catch (error) {
    db?.close();
    lock?.close();
    const busy = (error as { code?: string }).code?.startsWith('SQLITE_BUSY');
    throw new MqError(
      busy ? MqErrorCode.STORE_LOCKED : MqErrorCode.STORE_FAILURE,
      busy
        ? `the embedded broker's store ${file} is in use by another process: stop it, or give this one another data directory`
        : `cannot open the embedded broker's store ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const opened = db;
  const held = lock;
  return {
    db: opened,
    file,
    close() {
      opened.close();
      if (held.inTransaction) held.exec('ROLLBACK');
      held.close();
    },
  };
}

/**
 * Message ids of the store: `<8 hex store id><16 hex offset>` (24 characters) for messages
 * stored at once; 28-character generated ids for the others (see message-ids.ts).
 */
export class MessageIds {
  readonly storeId: string;
  constructor(db: Database.Database) {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'store_id'").get() as { value: string } | undefined;
    this.storeId = row?.value ?? randomBytes(4).toString('hex').toUpperCase();
    if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('store_id', ?)").run(this.storeId);
  }
  ofOffset(offset: number): string {
    return this.storeId + offset.toString(16).toUpperCase().padStart(16, '0');
  }
  /** The offset an id stands for, if it is an offset id of this store. */
  offsetOf(id: string): number | undefined {
    if (id.length !== 24 || !id.startsWith(this.storeId)) return undefined;
    const offset = Number.parseInt(id.slice(8), 16);
    return Number.isSafeInteger(offset) ? offset : undefined;
  }
  /** Fills in the id of a row read from `messages`. */
  complete<T extends { id: string | null; offset: number }>(row: T): T & { id: string } {
    if (row.id === null) row.id = this.ofOffset(row.offset);
    return row as T & { id: string };
  }
}

export const joinKeys = (keys: string[]): string | null => (keys.length === 0 ? null : keys.join('\u001f'));
export const splitKeys = (keys: string | null): string[] => (keys === null ? [] : keys.split('\u001f'));
export const encodeProps = (props: Record<string, string>): string | null => {
  for (const _ in props) return JSON.stringify(props);
  return null;
};
export const decodeProps = (props: string | null): Record<string, string> =>
  props === null ? {} : (JSON.parse(props) as Record<string, string>);
