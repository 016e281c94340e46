/**
 * Leases on every dialect (SQLite always, MySQL/MariaDB when MYSQL_URL is set): one holder at a time,
 * a standby takes over when the holder closes or stops renewing, a single-instance claim refuses a
 * second live claimant with a line naming the holder and waits out a dead one.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { claimLease, keepLease, LeaseHeldError } from './lease.js';
import type { Database } from './open-database.js';
import { dbTestTargets } from './testing.js';

const waitFor = async (condition: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
};

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`leases on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    it('one holder at a time; the standby takes over once the holder closes', async () => {
      const database = await target.open('lease-a');
      const changes: string[] = [];
      const first = keepLease({ database, name: 'relay', owner: 'first', ttlMs: 600, onChange: (held) => changes.push(`first ${held}`) });
      assert.ok(await waitFor(() => first.held(), 2_000), 'the first process takes a free lease');
      const second = keepLease({
        database,
        name: 'relay',
        owner: 'second',
        ttlMs: 600,
        onChange: (held) => changes.push(`second ${held}`),
      });
      await new Promise((resolve) => setTimeout(resolve, 700)); // longer than the lease lives: the holder renews it
      assert.equal(first.held(), true);
      assert.equal(second.held(), false, 'a live holder keeps its lease');
      await first.close();
      assert.ok(await waitFor(() => second.held(), 2_000), 'released: the standby takes it at its next tick');
      assert.equal(first.held(), false);
      await second.close();
      assert.deepEqual(changes, ['first true', 'second true']);
    });

    it('a holder that stops renewing (hung or killed) loses the lease once it expires; it reports it lost before then', async () => {
      const database = await target.open('lease-b');
      let frozen: number | undefined;
      const clock = () => frozen ?? Date.now();
      const hung = keepLease({ database, name: 'relay', owner: 'hung', ttlMs: 600, clock });
      assert.ok(await waitFor(() => hung.held(), 2_000));
      // From now on its renewals are stamped with a time long past: as if its process had stopped.
      frozen = Date.now() - 60_000;
      const standby = keepLease({ database, name: 'relay', owner: 'standby', ttlMs: 600 });
      assert.ok(await waitFor(() => standby.held(), 3_000), 'the standby takes the expired lease');
      frozen = undefined;
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(hung.held(), false, 'the old holder sees it lost');
      assert.equal(standby.held(), true);
      await hung.close();
      await standby.close();
    });

    it('a single-instance claim: refused with the holder named while it lives, taken once it is gone', async () => {
      const database = await target.open('lease-c');
      const holder = await claimLease({ database, name: 'gate', owner: 'host-a pid 1', ttlMs: 300, what: 'the gate' });
      assert.equal(holder.held(), true);
      const started = Date.now();
      await assert.rejects(
        claimLease({ database, name: 'gate', owner: 'host-b pid 2', ttlMs: 300, what: 'the gate', hint: 'run one' }),
        (error: unknown) => {
          assert.ok(error instanceof LeaseHeldError);
          assert.equal(error.code, 'DB_LEASE_HELD');
          assert.equal(
            error.message,
            "the gate runs in one process only and host-a pid 1 holds it (lease 'gate' of system 'lease-c'): run one",
          );
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
      assert.ok(Date.now() - started >= 300, 'a claimant waits one time to live before refusing (the holder might have died)');
      // A holder that stopped without releasing (its clock a minute behind: every renewal it writes has already expired).
      const dead = await claimLease({
        database,
        name: 'gate-2',
        owner: 'dead',
        ttlMs: 300,
        what: 'the gate',
        clock: () => Date.now() - 60_000,
      });
      const next = await claimLease({ database, name: 'gate-2', owner: 'next', ttlMs: 300, what: 'the gate' });
      assert.equal(next.held(), true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(next.held(), true, 'the stale holder cannot take it back');
      await Promise.all([holder.close(), next.close(), dead.close()]);
    });
  });
}

it('leases are per system database: the same name in two systems does not collide', async () => {
  const [sqlite] = dbTestTargets(undefined);
  const a: Database<unknown> = await sqlite.open('lease-x');
  const b: Database<unknown> = await sqlite.open('lease-y');
  const one = keepLease({ database: a, name: 'relay', owner: 'one' });
  const two = keepLease({ database: b, name: 'relay', owner: 'two' });
  assert.ok(await waitFor(() => one.held() && two.held(), 2_000));
  await one.close();
  await two.close();
  await sqlite.cleanup();
});
