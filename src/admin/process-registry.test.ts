/**
 * The process registry on every dialect (SQLite always, MySQL/MariaDB when MYSQL_URL is set): processes sharing the
 * deployment database see each other, a live one's stamp moves, a stopped one is listed stopped, a silent one is
 * judged late by the readers' clock, and one gone longer than the retention is removed. Then the view the route
 * answers: backlog per process from its groups, a group's consumers being the processes up now.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dbTestTargets } from '../db/testing.js';
import { openProcessRegistry, type ProcessIdentity } from './process-registry.js';
import { processesView } from './processes-route.js';

const identity = (name: string, groups: string[] = []): ProcessIdentity => ({
  id: `${name}-id`,
  name,
  systems: ['push'],
  groups,
  pid: 4242,
  host: 'host-a',
  url: `http://10.0.0.1:3000/${name}`,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of dbTestTargets(process.env.MYSQL_URL)) {
  describe(`process registry on ${target.dialect}`, { skip: target.skip }, () => {
    after(() => target.cleanup());

    it('two processes see each other; stamps move every heartbeat; a graceful stop is listed as stopped', async () => {
      const database = await target.open('deployment');
      const a = await openProcessRegistry({ database, heartbeatMs: 50 });
      const b = await openProcessRegistry({ database, heartbeatMs: 50 });
      await a.register(identity('push-1', ['push']));
      await b.register(identity('push-2', ['push']));
      const first = await a.list();
      assert.deepEqual(
        first.map((p) => [p.name, p.systems, p.groups, p.pid, p.host, p.url, p.stoppedAt]),
        [
          ['push-1', ['push'], ['push'], 4242, 'host-a', 'http://10.0.0.1:3000/push-1', null],
          ['push-2', ['push'], ['push'], 4242, 'host-a', 'http://10.0.0.1:3000/push-2', null],
        ],
      );
      await sleep(300);
      const later = await b.list();
      for (const p of later) {
        const before = first.find((f) => f.name === p.name);
        assert.ok(p.lastSeenAt > (before?.lastSeenAt ?? Infinity), `${p.name} stamped again (${before?.lastSeenAt} → ${p.lastSeenAt})`);
      }
      await a.close();
      const afterStop = await b.list();
      assert.equal(typeof afterStop.find((p) => p.name === 'push-1')?.stoppedAt, 'number', 'push-1 stopped');
      assert.equal(afterStop.find((p) => p.name === 'push-2')?.stoppedAt, null, 'push-2 still running');
      const view = processesView(afterStop, [], Date.now(), 10_000);
      assert.deepEqual(
        view.processes.map((p) => [p.name, p.state, p.healthy]),
        [
          ['push-1', 'stopped', false],
          ['push-2', 'up', true],
        ],
      );
      await b.close();
    });

    it('a process that stops stamping (killed, hung) is late to the readers; gone past the retention, it is removed', async () => {
      const database = await target.open('deployment-late');
      let frozen: number | undefined;
      const silent = await openProcessRegistry({ database, heartbeatMs: 50, clock: () => frozen ?? Date.now() });
      await silent.register(identity('order-2'));
      // From now on its stamps carry a time long past, as if it had stopped stamping a minute ago.
      frozen = Date.now() - 60_000;
      await sleep(200);
      const reader = await openProcessRegistry({ database, heartbeatMs: 50, retentionMs: 120_000 });
      await reader.register(identity('order-1'));
      const view = processesView(await reader.list(), undefined, Date.now(), 10_000);
      assert.deepEqual(
        view.processes.map((p) => [p.name, p.state]),
        [
          ['order-1', 'up'],
          ['order-2', 'late'],
        ],
      );
      await silent.close(); // still with its clock a minute behind: the row stays a minute old
      const pruner = await openProcessRegistry({ database, heartbeatMs: 50, retentionMs: 30_000 });
      await pruner.register(identity('order-3'));
      await sleep(300); // a heartbeat of the pruner removes what was not stamped for 30 s
      assert.deepEqual(
        (await reader.list()).map((p) => p.name),
        ['order-1', 'order-3'],
      );
      await reader.close();
      await pruner.close();
    });

    it('a second register() in one process is refused', async () => {
      const database = await target.open('deployment-twice');
      const registry = await openProcessRegistry({ database });
      await registry.register(identity('once'));
      await assert.rejects(registry.register(identity('twice')), /registered already, as once/);
      await registry.close();
    });
  });
}

describe('the processes view', () => {
  const now = 1_000_000;
  const entry = (name: string, groups: string[], lastSeenAt: number, stoppedAt: number | null = null) => ({
    ...identity(name, groups),
    systems: ['order'],
    groups,
    startedAt: 0,
    lastSeenAt,
    stoppedAt,
  });
  const queues = [
    { topic: 'order_paid', group: 'push', backlog: 7, inFlight: 2, deadLettered: 0 },
    { topic: 'order_paid', group: 'points', backlog: 3, inFlight: 0, deadLettered: 1 },
    { topic: 'order_changelog', group: 'points-refund', backlog: 1, inFlight: 0, deadLettered: 0 },
    { topic: 'order_paid', group: 'warehouse', backlog: 5, inFlight: 0, deadLettered: 0 },
  ];

  it("a process's backlog is its groups' (shared with the other consumers); none when it consumes nothing", () => {
    const { processes } = processesView(
      [entry('push-1', ['push'], now), entry('points-1', ['points', 'points-refund'], now), entry('order-1', [], now)],
      queues,
      now,
      10_000,
    );
    assert.deepEqual(
      processes.map((p) => [p.name, p.backlog]),
      [
        ['push-1', 7],
        ['points-1', 4],
        ['order-1', null],
      ],
    );
  });

  it("a group's consumers are the processes up now: a late or stopped one is not, a group with none says so", () => {
    const { groups, processes } = processesView(
      [
        entry('push-1', ['push'], now - 10_000), // exactly at the limit: up
        entry('push-2', ['push'], now - 10_001), // late
        entry('warehouse-1', ['warehouse'], now, now), // stopped
      ],
      queues,
      now,
      10_000,
    );
    assert.deepEqual(
      processes.map((p) => p.state),
      ['up', 'late', 'stopped'],
    );
    assert.deepEqual(
      groups.map((g) => [g.group, g.topics, g.backlog, g.inFlight, g.deadLettered, g.consumers]),
      [
        ['points', ['order_paid'], 3, 0, 1, []],
        ['points-refund', ['order_changelog'], 1, 0, 0, []],
        ['push', ['order_paid'], 7, 2, 0, ['push-1']],
        ['warehouse', ['order_paid'], 5, 0, 0, []],
      ],
    );
  });

  it('without the broker (backlog unknown) the processes are still listed, their backlog null', () => {
    const { processes, groups } = processesView([entry('push-1', ['push'], now)], undefined, now, 10_000);
    assert.deepEqual(
      processes.map((p) => [p.name, p.state, p.backlog]),
      [['push-1', 'up', null]],
    );
    assert.deepEqual(groups, []);
  });
});
