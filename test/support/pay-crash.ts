import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Connection, createConnection } from 'mysql2/promise';
import { embeddedStore } from './embedded-store.js';
import { KeepAliveClient, type OrderflowProcess, startOrderflowProcess } from './orderflow-process.js';
import { type TcpRelay, tcpRelay } from './tcp-relay.js';
import { sleep, waitUntil } from './wait.js';

/** The groups that consume order_paid (docs/architecture.md, "Systems and their topics"). */
const PAID_GROUPS = ['push', 'warehouse', 'points', 'coupons'];

export interface PayCrashOptions {
  engine: 'embedded' | 'rocketmq';
  /** mysql://user@host:port/anything: the test's databases are created beside it and dropped at the end. */
  mysqlUrl: string;
}

/**
 * A pay whose process is killed (SIGKILL) after its local transaction committed and before the end of its
 * transactional send reached the broker, then the order system started again: the broker's check-back must commit
 * the `order_paid` half message (the order is PAID), and the order's message be delivered once to every group.
 *
 * The moment is made, not guessed, with real locks and no hook in orderflow: the test holds the order's row lock
 * (SELECT … FOR UPDATE), so the pay's local transaction waits after the half message was stored; then it stops the
 * end from reaching the broker — embedded: it holds the broker store's write lock, so the end's write waits;
 * RocketMQ: the process talks to the proxy through a relay that goes silent — and lets the local transaction commit.
 * As soon as the order reads PAID, the process is killed: the end has not been written.
 */
export async function payCrashThenCheckBack(options: PayCrashOptions): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-pay-crash-'));
  const base = `of_paycrash_${randomBytes(4).toString('hex')}`;
  const server = options.mysqlUrl.replace(/\/[^/]*$/, '');
  const relay: TcpRelay | undefined =
    options.engine === 'rocketmq' ? await tcpRelay(...hostPort(process.env.ROCKETMQ_ENDPOINTS ?? '127.0.0.1:8081')) : undefined;
  const env = (endpoints?: string): Record<string, string> => ({
    ORDERFLOW_DATA_DIR: dataDir,
    ORDERFLOW_DB: `${server}/${base}`,
    ORDERFLOW_SEED: 'true',
    ORDERFLOW_MQ: options.engine,
    ...(options.engine === 'rocketmq'
      ? { ROCKETMQ_ENDPOINTS: endpoints ?? '', ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876' }
      : {}),
  });
  const processes: OrderflowProcess[] = [];
  const connections: Connection[] = [];
  let brokerLock: Database.Database | undefined;
  try {
    const first = await startOrderflowProcess(env(relay ? `127.0.0.1:${relay.port}` : undefined));
    processes.push(first);
    const client = new KeepAliveClient(first.url);
    await client.login('user1');
    const placed = await client.call('POST', '/api/orders', { userId: 'user1', items: [{ skuId: 'SKU-1001', quantity: 1 }] });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const orderId: string = placed.body.orderId;
    client.close();

    const orderDb = `${base}_order`;
    const locker = await createConnection(`${server}/${orderDb}`);
    const reader = await createConnection(`${server}/${orderDb}`);
    connections.push(locker, reader);
    await locker.query('BEGIN');
    await locker.query('SELECT order_id FROM orders WHERE order_id = ? FOR UPDATE', [orderId]);

    // The pay: its answer never comes (the process dies), which is expected.
    const payer = new KeepAliveClient(first.url);
    await payer.login('user1');
    const paying = payer.call('POST', `/api/orders/${orderId}/pay`, {}).catch((error: Error) => error);

    // The local transaction waits for the row: the half message was stored before it started.
    assert.ok(
      await waitUntil(async () => (await payUpdatesWaiting(reader, orderDb, orderId)) > 0, 30_000, 20),
      'the pay never reached its local transaction',
    );
    const store = options.engine === 'embedded' ? embeddedStore(dataDir) : undefined;
    if (store) {
      assert.ok(store.halfMessages('order_paid').length >= 1, 'the half message is stored before the local transaction');
      brokerLock = new Database(store.file, { timeout: 10_000 });
      brokerLock.exec('BEGIN IMMEDIATE'); // the end's write (a commit of the broker's store) now waits
    } else relay?.silence(); // the end (a gRPC call to the proxy) now goes nowhere
    await locker.query('COMMIT');

    assert.ok(await waitUntil(async () => (await statusOf(reader, orderId)) === 'PAID', 10_000, 5), 'the local transaction did not commit');
    first.kill();
    assert.ok((await first.exit(10_000))?.signal === 'SIGKILL', 'killed with SIGKILL');
    await paying;
    payer.close();
    if (brokerLock) {
      brokerLock.exec('ROLLBACK');
      brokerLock.close();
      brokerLock = undefined;
      assert.ok((store?.halfMessages('order_paid').length ?? 0) >= 1, 'the end was never written: the half message waits');
    }

    // A new process of the order system (same databases, same store or broker): the check-back commits the message.
    const second = await startOrderflowProcess(env(process.env.ROCKETMQ_ENDPOINTS));
    processes.push(second);
    const viewer = new KeepAliveClient(second.url);
    await viewer.login('user1');
    let order: { status: string; messages: { topic: string; messageId: string; deliveries: { group: string; state: string }[] }[] } = (
      await viewer.call('GET', `/api/orders/${orderId}`)
    ).body;
    const consumedByAll = () => {
      const paid = order.messages.filter((m) => m.topic === 'order_paid');
      return (
        order.status === 'SHIPPED' &&
        paid.length === 1 &&
        PAID_GROUPS.every((g) => paid[0].deliveries.some((d) => d.group === g && d.state === 'CONSUMED'))
      );
    };
    const settled = await waitUntil(
      async () => {
        order = (await viewer.call('GET', `/api/orders/${orderId}`)).body;
        return consumedByAll();
      },
      90_000,
      500,
    );
    if (!settled) {
      const [rows] = await reader.query('SELECT status, payment_id, paid_message_id FROM orders WHERE order_id = ?', [orderId]);
      assert.fail(
        `the check-back did not commit order_paid, or it was not consumed: the order row ${JSON.stringify(rows)}, its view ${JSON.stringify(order)}`,
      );
    }
    await sleep(2_000); // a second copy, were there one, would show by now
    order = (await viewer.call('GET', `/api/orders/${orderId}`)).body;
    assert.equal(order.messages.filter((m) => m.topic === 'order_paid').length, 1, 'exactly one order_paid message for the order');
    for (const group of PAID_GROUPS) {
      const delivery = order.messages.find((m) => m.topic === 'order_paid')?.deliveries.find((d) => d.group === group);
      assert.equal(delivery?.state, 'CONSUMED', `order_paid consumed by ${group}`);
    }
    if (store) assert.deepEqual(store.halfMessages('order_paid'), [], 'no half message left');
    viewer.close();
  } finally {
    brokerLock?.close();
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exit(10_000)));
    for (const c of connections) await c.end().catch(() => {});
    await relay?.close();
    await dropDatabases(server, base);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function hostPort(endpoint: string): [string, number] {
  const [host, port] = endpoint.split(':');
  return [host, Number(port)];
}

/** The pay's guarded UPDATE of the order, waiting for the row lock the test holds (MariaDB's process list shows it). */
async function payUpdatesWaiting(connection: Connection, database: string, orderId: string): Promise<number> {
  const [rows] = await connection.query(
    `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND info LIKE 'update \`orders\`%' AND info LIKE ?`,
    [database, `%${orderId}%`],
  );
  return Number((rows as { n: number }[])[0].n);
}

async function statusOf(connection: Connection, orderId: string): Promise<string | undefined> {
  const [rows] = await connection.query('SELECT status FROM orders WHERE order_id = ?', [orderId]);
  return (rows as { status: string }[])[0]?.status;
}

async function dropDatabases(server: string, base: string): Promise<void> {
  const connection = await createConnection(`${server}/`);
  const [rows] = await connection.query(`SHOW DATABASES LIKE '${base}\\_%'`);
  for (const row of rows as Record<string, string>[]) await connection.query(`DROP DATABASE \`${Object.values(row)[0]}\``);
  await connection.end();
}
