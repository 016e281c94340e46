/**
 * The stock gate's contract, run against every implementation (in-process-gate.test.ts,
 * redis-gate.test.ts) in the manner of hono's router cases.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, test } from 'node:test';
import type { KnownAdmission, StockGate } from './gate.js';
import { SaleNotOpenError } from './gate.js';
import { newTicketId } from './ids.js';

export interface GateHarness {
  /** A gate on fresh state. */
  fresh(): Promise<StockGate>;
  /** Closes `gate` as a process exit would, and returns a new gate on the same store, if any (a restart). */
  restart(gate: StockGate): Promise<StockGate>;
  /** Drops what the gate stored (a Redis restarted without persistence, a new database): a new gate with no state. */
  wipe(gate: StockGate): Promise<StockGate>;
}

const HOUR = 3_600_000;

export function stockGateCases(name: string, harness: GateHarness): void {
  const open: StockGate[] = [];
  const track = (gate: StockGate) => (open.push(gate), gate);
  afterEach(async () => {
    for (const gate of open.splice(0)) await gate.close().catch(() => undefined);
  });
  const sale = (stock: number) => ({ id: `S${randomBytes(4).toString('hex')}`, stock, endsAt: Date.now() + HOUR });
  const none = async () => [];
  const ticket = () => newTicketId(Date.now());

  test(`${name}: ping answers while the gate's store is up`, async () => {
    const gate = track(await harness.fresh());
    assert.equal(await gate.ping(), undefined);
  });

  test(`${name}: 300 concurrent requests from 100 users for 50 units admit exactly 50 buyers, one unit each`, async () => {
    const gate = track(await harness.fresh());
    const s = sale(50);
    await gate.open(s, none);
    const users = Array.from({ length: 100 }, (_, i) => `user${i + 1}`);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => gate.admit(s.id, users[i % 100], ticket()).then((r) => ({ user: users[i % 100], r }))),
    );
    const admitted = results.filter((x) => x.r.admitted);
    assert.equal(admitted.length, 50);
    assert.equal(new Set(admitted.map((x) => x.user)).size, 50, 'one unit per user');
    const holders = new Map(admitted.map((x) => [x.user, x.r.admitted ? x.r.ticketId : '']));
    for (const { user, r } of results) {
      if (r.admitted) continue;
      if (holders.has(user)) assert.deepEqual(r, { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: holders.get(user) });
      else assert.deepEqual(r, { admitted: false, reason: 'SOLD_OUT' });
    }
    assert.equal(await gate.remaining(s.id), 0);
    assert.deepEqual(await gate.admissions(s.id), holders);
  });

  test(`${name}: a user's second request is refused with the first ticket while units remain`, async () => {
    const gate = track(await harness.fresh());
    const s = sale(5);
    await gate.open(s, none);
    const first = ticket();
    assert.deepEqual(await gate.admit(s.id, 'u1', first), { admitted: true, ticketId: first });
    assert.deepEqual(await gate.admit(s.id, 'u1', ticket()), { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: first });
    assert.equal(await gate.remaining(s.id), 4);
  });

  test(`${name}: admitting on a sale the gate does not know throws SaleNotOpenError`, async () => {
    const gate = track(await harness.fresh());
    await assert.rejects(gate.admit('S-unknown', 'u1', ticket()), SaleNotOpenError);
    assert.equal(await gate.remaining('S-unknown'), undefined);
  });

  test(`${name}: opening again keeps the count; the known tickets only seed a gate without state`, async () => {
    const gate = track(await harness.fresh());
    const s = sale(10);
    await gate.open(s, async () => [
      { userId: 'u1', ticketId: 'T1' },
      { userId: 'u2', ticketId: 'T2' },
    ]);
    assert.equal(await gate.remaining(s.id), 8);
    assert.deepEqual(await gate.admit(s.id, 'u1', ticket()), { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: 'T1' });
    await gate.admit(s.id, 'u3', ticket());
    await gate.open(s, async () => []);
    assert.equal(await gate.remaining(s.id), 7, 'a second open does not raise the count');
  });

  test(`${name}: after a restart the count and the admitted users are as before: no oversell, no second unit`, async () => {
    let gate = track(await harness.fresh());
    const s = sale(50);
    await gate.open(s, none);
    const first = new Map<string, string>();
    for (let i = 1; i <= 30; i++) {
      const id = ticket();
      assert.equal((await gate.admit(s.id, `user${i}`, id)).admitted, true);
      first.set(`user${i}`, id);
    }
    gate = track(await harness.restart(gate));
    // As the flash-sale system opens a sale: with its tickets (one per admission, written before the 202).
    const tickets = [...first].map(([userId, ticketId]) => ({ userId, ticketId }));
    await gate.open(s, async () => tickets);
    assert.equal(await gate.remaining(s.id), 20);
    assert.deepEqual(await gate.admit(s.id, 'user7', ticket()), {
      admitted: false,
      reason: 'ALREADY_HAS_TICKET',
      ticketId: first.get('user7'),
    });
    const more = await Promise.all(Array.from({ length: 100 }, (_, i) => gate.admit(s.id, `user${31 + i}`, ticket())));
    assert.equal(more.filter((r) => r.admitted).length, 20, 'only the 20 units left are admitted');
    assert.equal((await gate.admissions(s.id)).size, 50);
  });

  test(`${name}: a gate that lost its state is rebuilt from the sale's tickets`, async () => {
    let gate = track(await harness.fresh());
    const s = sale(10);
    await gate.open(s, none);
    const known: KnownAdmission[] = [];
    for (let i = 1; i <= 4; i++) {
      const id = ticket();
      await gate.admit(s.id, `user${i}`, id);
      known.push({ userId: `user${i}`, ticketId: id });
    }
    gate = track(await harness.wipe(gate));
    await assert.rejects(gate.admit(s.id, 'user9', ticket()), SaleNotOpenError);
    await gate.open(s, async () => known);
    assert.equal(await gate.remaining(s.id), 6);
    assert.equal((await gate.admit(s.id, 'user2', ticket())).admitted, false);
  });
}
