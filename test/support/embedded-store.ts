import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Reads the embedded broker's store of an orderflow data directory from outside (read-only; WAL lets it read while
 * the broker writes), to see what its API does not show: the half messages still waiting for their end.
 */
export function embeddedStore(dataDir: string) {
  const file = path.join(dataDir, 'mq', 'broker.sqlite');
  const read = <T>(query: (db: Database.Database) => T): T => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  };
  return {
    file,
    /** Ids of the half messages of `topic` whose transaction is not ended (neither committed nor rolled back). */
    halfMessages: (topic: string) =>
      read((db) =>
        (db.prepare('SELECT msg_id FROM half_messages WHERE topic = ?').all(topic) as { msg_id: string }[]).map((r) => r.msg_id),
      ),
    /** Whether the message is stored in its topic (a committed half message is; a rolled-back one never). */
    isStored: (messageId: string) => read((db) => db.prepare('SELECT 1 FROM messages WHERE id = ?').get(messageId) !== undefined),
  };
}
