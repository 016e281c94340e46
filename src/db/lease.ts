/**
 * Leases: one holder at a time among the processes that share a system's database, for work that must not
 * run in two processes at once (a relay publishing an outbox in order, a stock gate kept in one process's
 * memory). A lease is a row of `${system}_leases` (name, owner, expires_at): taken when free or expired,
 * renewed by its holder every third of its time to live, released on close. A holder that dies or hangs
 * stops renewing, and another process takes the lease once it has expired.
 *
 * The table is bookkeeping, like the migrations' tables, so it is created here (if missing) rather than by
 * each system's migrations. Expiry is judged by the clocks of the processes asking: they must agree to well
 * within the time to live (NTP does; 10 s by default).
 *
 * @example
 * const lease = keepLease({ database, name: 'order-relays', logger, onChange: (held) => held && relay.wake() });
 * if (lease.held()) await publishRound();           // standby while another process holds it
 * const gate = await claimLease({ database, name: 'flash-sale-gate', what: 'the in-process gate' });  // or LeaseHeldError
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import { DbError, DbErrorCode } from './errors.js';
import { guardedUpdate } from './guarded-update.js';
import { insertIgnoreDuplicate } from './insert-ignore-duplicate.js';
import type { Database } from './open-database.js';
import { sqlNameOf } from './system-name.js';

export const DEFAULT_LEASE_TTL_MS = 10_000;

interface LeaseRow {
  name: string;
  owner: string;
  expires_at: number;
}
type LeaseDB = Record<string, LeaseRow>;

export interface LeaseOptions<DB = unknown> {
  database: Database<DB>;
  /** What the lease guards, unique within the system's database ('order-relays'). */
  name: string;
  /** Who asks, as the other claimants are told: host, pid and a random suffix unless given. */
  owner?: string;
  clock?: () => number;
  ttlMs?: number;
  logger?: { warn(object: object, message: string): void; info(object: object, message: string): void };
  /** Called when this process takes the lease or loses it. */
  onChange?: (held: boolean) => void;
}

export interface Lease {
  readonly name: string;
  readonly owner: string;
  /** True while this process holds the lease (with a margin: false a little before it could expire). */
  held(): boolean;
  /** Stops renewing and gives the lease up, so another process takes it at once. */
  close(): Promise<void>;
}

/** Another live process holds a lease that this one claimed as its own (claimLease). */
export class LeaseHeldError extends DbError {
  override readonly name = 'LeaseHeldError';
}

/** Host, pid and a random suffix: unique per process, and says where to look. */
export function defaultLeaseOwner(): string {
  return `${os.hostname()} pid ${process.pid} (${randomBytes(3).toString('hex')})`;
}

/**
 * Active–standby: holds the lease whenever it is free, renewing it while it lives; `held()` says whether
 * to do the guarded work now. A failed renewal (database down) is retried at the next tick; the lease is
 * reported lost a renewal period before it could expire, so two holders never overlap on agreeing clocks.
 */
export function keepLease<DB>(options: LeaseOptions<DB>): Lease {
  const lease = leaseOf(options);
  void lease.tick(); // tick logs its own failures and retries; nothing to await here
  return lease.handle;
}

/**
 * A single-instance role: takes the lease, waiting at most one time to live for a holder that died to
 * let it expire, and fails with a LeaseHeldError naming the holder if a live process keeps it. Once
 * taken it is renewed until close().
 */
export async function claimLease<DB>(options: LeaseOptions<DB> & { what: string; hint?: string }): Promise<Lease> {
  const lease = leaseOf(options);
  const clock = options.clock ?? Date.now;
  const deadline = clock() + lease.ttlMs + lease.renewMs;
  for (;;) {
    await lease.tick();
    if (lease.handle.held()) return lease.handle;
    const holder = await lease.holder();
    if (clock() >= deadline) {
      await lease.handle.close();
      throw new LeaseHeldError(
        DbErrorCode.LEASE_HELD,
        `${options.what} runs in one process only and ${holder ?? 'another process'} holds it (lease '${options.name}' of system '${options.database.system}')${options.hint ? `: ${options.hint}` : ''}`,
        { details: { lease: options.name, system: options.database.system, holder } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(lease.renewMs, Math.max(10, deadline - clock()))));
  }
}

function leaseOf<DB>(options: LeaseOptions<DB>) {
  const clock = options.clock ?? Date.now;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const renewMs = Math.max(1, Math.floor(ttlMs / 3));
  const owner = options.owner ?? defaultLeaseOwner();
  const table = `${sqlNameOf(options.database.system)}_leases`;
  const db = options.database.db as unknown as Kysely<LeaseDB>;
  let tableReady: Promise<void> | undefined;
  /** Until when this process may act as the holder (0: not holding). */
  let heldUntil = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  const held = () => !closed && clock() < heldUntil;

  const ensureTable = () =>
    (tableReady ??= db.schema
      .createTable(table)
      .ifNotExists()
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('owner', 'varchar(255)', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute()
      .then(
        () => undefined,
        (error: unknown) => {
          tableReady = undefined;
          throw error;
        },
      ));

  /** Takes the lease if free or expired, renews it if ours: true when this process holds it now. */
  async function acquire(): Promise<boolean> {
    await ensureTable();
    const now = clock();
    const expiresAt = now + ttlMs;
    if (await insertIgnoreDuplicate(db.insertInto(table).values({ name: options.name, owner, expires_at: expiresAt }))) return true;
    const taken = await guardedUpdate(
      db
        .updateTable(table)
        .set({ owner, expires_at: expiresAt })
        .where('name', '=', options.name)
        .where((eb) => eb.or([eb('owner', '=', owner), eb('expires_at', '<', now)])),
    );
    return taken === 1;
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), renewMs);
    timer.unref(); // never what keeps a process alive
  }

  function tick(): Promise<void> {
    ticking ??= (async () => {
      const before = held();
      const startedAt = clock();
      try {
        // Counted from before the query: a slow answer must not stretch the time this process believes it holds.
        heldUntil = (await acquire()) ? startedAt + ttlMs - renewMs : 0;
      } catch (error) {
        options.logger?.warn({ err: error, lease: options.name }, 'renewing a lease failed; retried at the next tick');
      } finally {
        ticking = undefined;
      }
      const now = held();
      if (now !== before && !closed) {
        options.logger?.info(
          { lease: options.name, owner },
          now ? 'lease taken: this process does the work it guards' : 'lease lost: another process does the work it guards',
        );
        options.onChange?.(now);
      }
      schedule();
    })();
    return ticking;
  }

  const handle: Lease = {
    name: options.name,
    owner,
    held,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await ticking;
      if (heldUntil === 0) return;
      heldUntil = 0;
      await db
        .updateTable(table)
        .set({ expires_at: 0 })
        .where('name', '=', options.name)
        .where('owner', '=', owner)
        .execute()
        .catch((error: unknown) =>
          options.logger?.warn({ err: error, lease: options.name }, 'releasing a lease failed; it expires by itself'),
        );
    },
  };

  return {
    handle,
    ttlMs,
    renewMs,
    tick,
    async holder(): Promise<string | undefined> {
      const row = await db.selectFrom(table).select(['owner', 'expires_at']).where('name', '=', options.name).executeTakeFirst();
      return row && Number(row.expires_at) > clock() ? row.owner : undefined;
    },
  };
}
