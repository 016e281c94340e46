/**
 * GET /api/admin/processes on the real app: the admin token is required (the error shape otherwise), the process lists
 * itself with its pid, URL and consumer groups, and the backlog comes from the messaging admin API. On MariaDB
 * (MYSQL_URL) two processes sharing the deployment's databases see each other, and one that stops is listed stopped.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

interface ProcessesAnswer {
  heartbeatMs: number;
  healthyWithinMs: number;
  processes: {
    name: string;
    lastSeenAt: number;
    systems: string[];
    groups: string[];
    pid: number;
    host: string;
    url: string;
    state: string;
    healthy: boolean;
    backlog: number | null;
  }[];
  groups: { group: string; topics: string[]; backlog: number; consumers: string[] }[];
  backlogError?: string;
}

const processes = async (t: TestApp) => {
  const res = await t.call('GET', '/api/admin/processes', { as: 'admin' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as ProcessesAnswer;
};

describe('GET /api/admin/processes (embedded, SQLite)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.stop());

  test('without the admin token: 401 in the error shape; with a user token: refused too', async () => {
    const anonymous = await t.call('GET', '/api/admin/processes');
    assert.equal(anonymous.status, 401);
    assert.equal(typeof anonymous.body.error.code, 'string');
    assert.equal(typeof anonymous.body.error.message, 'string');
    const user = await t.call('GET', '/api/admin/processes', { as: 'user1' });
    assert.ok([401, 403].includes(user.status), `a user token: ${user.status}`);
    assert.equal(typeof user.body.error.code, 'string');
  });

  test('the process lists itself, up, with its pid, host, URL, systems and consumer groups; each group with its backlog and consumers', async () => {
    const answer = await processes(t);
    assert.equal(answer.backlogError, undefined);
    assert.equal(answer.processes.length, 1);
    const [self] = answer.processes;
    assert.equal(self.pid, process.pid);
    assert.equal(self.host, os.hostname());
    assert.equal(self.url, t.app.url);
    assert.equal(self.state, 'up');
    assert.equal(self.healthy, true);
    assert.deepEqual([...self.systems].sort(), [...t.app.config.systems].sort());
    for (const group of ['refund-worker', 'push', 'warehouse', 'points', 'coupons', 'analytics', 'flash-sale-creator'])
      assert.ok(self.groups.includes(group), `consumes as ${group}: ${self.groups.join(', ')}`);
    assert.equal(typeof self.backlog, 'number');
    const push = answer.groups.find((g) => g.group === 'push');
    assert.ok(push, `the push group is listed: ${answer.groups.map((g) => g.group).join(', ')}`);
    assert.deepEqual(push.consumers, [self.name]);
    assert.ok(push.topics.includes('order_paid'));
  });

  test('its stamp moves: listed as seen within the last heartbeats', async () => {
    const answer = await processes(t);
    assert.ok(answer.heartbeatMs > 0 && answer.healthyWithinMs >= answer.heartbeatMs);
    const first = answer.processes[0].lastSeenAt as number;
    assert.ok(
      await waitUntil(async () => (await processes(t)).processes[0].lastSeenAt > first, answer.heartbeatMs * 3, 200),
      'stamped again within three heartbeats',
    );
  });
});

const mysqlUrl = process.env.MYSQL_URL;
describe('GET /api/admin/processes: two processes on one MariaDB', { skip: mysqlUrl ? false : 'MYSQL_URL is not set' }, () => {
  let order: TestApp;
  let points: TestApp | undefined;
  before(async () => {
    order = await startTestApp({}, 'mysql');
  });
  after(async () => {
    await points?.stop();
    await order.stop();
  });

  test('each lists the other; one stopped is listed stopped and leaves its groups without consumers', async () => {
    points = await startTestApp(
      {
        ORDERFLOW_DB: order.app.config.db,
        ORDERFLOW_SYSTEMS: 'points',
        ORDERFLOW_SEED: 'false',
        ORDERFLOW_TOKEN_SECRET: 'a-test-secret-of-32-characters!!',
      },
      'mysql',
    );
    const seenByOrder = await processes(order);
    const seenByPoints = await processes(points);
    for (const answer of [seenByOrder, seenByPoints]) {
      assert.deepEqual(
        answer.processes.map((p) => [p.url, p.state]).sort(),
        [
          [order.app.url, 'up'],
          [points.app.url, 'up'],
        ].sort(),
      );
    }
    const pointsRow = seenByOrder.processes.find((p) => p.url === points?.app.url);
    assert.deepEqual(pointsRow?.groups, ['points', 'points-refund']);
    await points.stop();
    const after = await processes(order);
    assert.equal(after.processes.find((p) => p.url === pointsRow?.url)?.state, 'stopped');
    // The order process consumes as points too (it runs every system): the points group keeps one consumer.
    assert.deepEqual(
      after.groups.find((g) => g.group === 'points')?.consumers,
      after.processes.filter((p) => p.url === order.app.url).map((p) => p.name),
    );
    points = undefined;
  });
});
