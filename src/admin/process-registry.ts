/**
 * The deployment's processes, as they report themselves: every orderflow process writes a row of its own into the
 * `processes` table of the `deployment` database (on MySQL `${basename}_deployment`, shared by every process of the
 * deployment whatever machine it runs on; on SQLite the process's own file, so it lists itself only) and stamps it
 * every few seconds. A process that stops gracefully marks its row stopped; one that is killed or hangs simply stops
 * stamping, and is seen late. No process needs to know where the others run, which a deployment spread over machines
 * (or containers) could not tell it. Rows not stamped for `retentionMs` are removed by whichever process stamps next.
 *
 * Judging "late" compares a row's stamp with the reader's clock: the machines' clocks must agree to well within
 * `healthyWithinMs` (NTP does).
 */
import type { Kysely } from 'kysely';
import { type Database, insertIgnoreDuplicate, type Migration, migrate } from '../db/index.js';
import { internalError } from '../errors.js';

export const DEFAULT_HEARTBEAT_MS = 3_000;
/** Three heartbeats and a margin: one slow write on a loaded machine does not make a live process look dead. */
export const DEFAULT_HEALTHY_WITHIN_MS = 10_000;
/** A process gone for an hour is no longer listed: long enough to notice what died, short enough to stay readable. */
export const DEFAULT_RETENTION_MS = 3_600_000;

interface ProcessRow {
  process_id: string;
  name: string;
  systems: string;
  consumer_groups: string;
  pid: number;
  host: string;
  url: string;
  started_at: number;
  last_seen_at: number;
  stopped_at: number | null;
}
interface RegistryTables {
  processes: ProcessRow;
}

export const processRegistryMigrations: Record<string, Migration> = {
  '001_processes': {
    async up(db) {
      await db.schema
        .createTable('processes')
        .addColumn('process_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('systems', 'varchar(255)', (c) => c.notNull())
        .addColumn('consumer_groups', 'varchar(1024)', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('url', 'varchar(255)', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();
    },
  },
};

/** What a process says about itself. */
export interface ProcessIdentity {
  /** Unique per start: a restarted process is a new row, its previous life stays listed as stopped or late. */
  id: string;
  /** What the operator calls it (ORDERFLOW_PROCESS_NAME, else host:port). */
  name: string;
  systems: readonly string[];
  /** The consumer groups it consumes as (empty when it consumes nothing). */
  groups: readonly string[];
  pid: number;
  host: string;
  url: string;
}

export interface ProcessEntry extends Omit<ProcessIdentity, 'systems' | 'groups'> {
  systems: string[];
  groups: string[];
  startedAt: number;
  lastSeenAt: number;
  stoppedAt: number | null;
}

export interface ProcessRegistry {
  /** Writes this process's row and stamps it every heartbeat until close(). Once per process. */
  register(self: ProcessIdentity): Promise<void>;
  /** Every process seen within the retention, the stopped ones included, by name. */
  list(): Promise<ProcessEntry[]>;
  /** Stops stamping and marks this process stopped (a graceful stop, not a disappearance). */
  close(): Promise<void>;
}

export interface ProcessRegistryOptions {
  database: Database<unknown>;
  clock?: () => number;
  heartbeatMs?: number;
  retentionMs?: number;
  logger?: { warn(object: object, message: string): void };
}

const split = (text: string) => (text === '' ? [] : text.split(','));

/** Creates the table if missing; the process is listed once it calls register(). */
export async function openProcessRegistry(options: ProcessRegistryOptions): Promise<ProcessRegistry> {
  const clock = options.clock ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  await migrate(options.database, processRegistryMigrations);
  const db = options.database.db as unknown as Kysely<RegistryTables>;
  let self: ProcessIdentity | undefined;
  let startedAt = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;

  const row = (me: ProcessIdentity): ProcessRow => ({
    process_id: me.id,
    name: me.name,
    systems: me.systems.join(','),
    consumer_groups: me.groups.join(','),
    pid: me.pid,
    host: me.host,
    url: me.url,
    started_at: startedAt,
    last_seen_at: clock(),
    stopped_at: null,
  });

  const stamp = async (me: ProcessIdentity) => {
    const now = clock();
    const updated = await db.updateTable('processes').set({ last_seen_at: now }).where('process_id', '=', me.id).executeTakeFirst();
    // Gone: removed by another process after this one stood still longer than the retention (a long pause).
    if (Number(updated.numUpdatedRows) === 0) await insertIgnoreDuplicate(db.insertInto('processes').values(row(me)));
    await db
      .deleteFrom('processes')
      .where('last_seen_at', '<', now - retentionMs)
      .execute();
  };

  const schedule = (me: ProcessIdentity) => {
    if (closed) return;
    timer = setTimeout(() => {
      beating = stamp(me)
        .catch((error: unknown) => options.logger?.warn({ err: error }, 'stamping this process in the process registry failed; retried'))
        .finally(() => schedule(me));
    }, heartbeatMs);
    timer.unref(); // never what keeps a process alive
  };

  return {
    async register(me) {
      if (self) throw internalError(`this process is registered already, as ${self.name}`);
      self = me;
      startedAt = clock();
      await db.insertInto('processes').values(row(me)).execute();
      schedule(me);
    },
    async list() {
      const rows = await db.selectFrom('processes').selectAll().orderBy('name').orderBy('started_at').execute();
      return rows.map((r) => ({
        id: r.process_id,
        name: r.name,
        systems: split(r.systems),
        groups: split(r.consumer_groups),
        pid: Number(r.pid),
        host: r.host,
        url: r.url,
        startedAt: Number(r.started_at),
        lastSeenAt: Number(r.last_seen_at),
        stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
      }));
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await beating;
      if (!self) return;
      const now = clock();
      await db.updateTable('processes').set({ last_seen_at: now, stopped_at: now }).where('process_id', '=', self.id).execute();
    },
  };
}
