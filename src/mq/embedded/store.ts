import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MqError, MqErrorCode } from '../errors.js';

/**
 * The embedded broker's SQLite store (WAL). Tables:
 * - messages: the commit log; `offset` is the position, visible messages only, in store order;
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
  offset INTEGER PRIMARY KEY, id TEXT NOT NULL, topic TEXT NOT NULL, queue_id INTEGER NOT NULL,
  tag TEXT, keys TEXT, props TEXT, msg_group TEXT, body BLOB NOT NULL,
  born_at INTEGER NOT NULL, stored_at INTEGER NOT NULL, deliver_at INTEGER);
CREATE INDEX IF NOT EXISTS messages_by_topic ON messages (topic, offset);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (id);
CREATE INDEX IF NOT EXISTS messages_by_stored_at ON messages (stored_at);
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
  body: Buffer;
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

export function openStore({ dataDir, durability = 'process-crash' }: StoreOptions): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'broker.sqlite');
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Exclusive: one process owns the store (a second would corrupt our in-memory consumer state).
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    db.exec('BEGIN EXCLUSIVE; COMMIT;'); // takes the lock now, so a second process fails at start-up
    db.exec(SCHEMA);
  } catch (error) {
    const busy = (error as { code?: string }).code?.startsWith('SQLITE_BUSY');
    throw new MqError(
      busy ? MqErrorCode.STORE_LOCKED : MqErrorCode.STORE_FAILURE,
      busy
        ? `the embedded broker's store ${file} is in use by another process: stop it, or give this one another data directory`
        : `cannot open the embedded broker's store ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return db;
}

export const joinKeys = (keys: string[]): string | null => (keys.length === 0 ? null : keys.join('\u001f'));
export const splitKeys = (keys: string | null): string[] => (keys === null ? [] : keys.split('\u001f'));
export const encodeProps = (props: Record<string, string>): string | null => {
  for (const _ in props) return JSON.stringify(props);
  return null;
};
export const decodeProps = (props: string | null): Record<string, string> =>
  props === null ? {} : (JSON.parse(props) as Record<string, string>);
