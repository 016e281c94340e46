/**
 * The limits the production path is held against, measured in the same run on the same servers:
 * what MariaDB/MySQL needs for a pay's (and a placing's) rows when nothing but a plain mysql2 loop
 * writes them, and what RocketMQ needs for a transactional (and a plain) send through its official
 * Node client. orderflow cannot be faster than these; the benchmark prints its figures as ratios to them.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { Producer } from 'rocketmq-client-nodejs';
import { startClient } from '../../../src/mq/rocketmq/client-startup.js';
import { summarize } from '../../peers/stats.js';

export interface Floor {
  /** Median latency of one operation with one client (ms). */
  p50Ms: number;
  p99Ms: number;
  /** Operations per second with `clients` at once, closed loop. */
  rate: number;
  clients: number;
}

export interface Floors {
  /**
   * One pay's rows: the order row (guarded update), a history row, an outbox row, its payment's claim (guarded
   * update), the provider's event, the SKU's hot row, COMMIT.
   */
  dbPay: { one: Floor; many: Floor };
  /** One placing's rows: the SKU's hot row, the order, its item, a history row, an outbox row, COMMIT. */
  dbPlace: { one: Floor; many: Floor };
  /** Half message + commit, both waited for. */
  mqTransactional: { one: Floor; many: Floor };
  /** One plain (delayed, as a placing's pay deadline) send. */
  mqSend: { one: Floor; many: Floor };
}

/** An operation of a limit's loop that has not answered in this long stops the benchmark (a server that hangs). */
const OPERATION_TIMEOUT_MS = 30_000;

function bounded(op: (client: number) => Promise<void>): (client: number) => Promise<void> {
  return (client) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`an operation of a limit's loop did not answer in ${OPERATION_TIMEOUT_MS / 1000} s`)),
        OPERATION_TIMEOUT_MS,
      );
    });
    return Promise.race([op(client), timeout]).finally(() => clearTimeout(timer));
  };
}

/** Runs `op` `count` times over `clients` loops at once, after a warm-up; latencies and the rate. */
async function measure(clients: number, count: number, warmup: number, unbounded: (client: number) => Promise<void>): Promise<Floor> {
  const op = bounded(unbounded);
  for (let i = 0; i < warmup; i++) await op(0);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (next++ < count) {
        const t = performance.now();
        await op(client);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const s = summarize(latencies);
  return { p50Ms: s.p50, p99Ms: s.p99, rate: count / seconds, clients };
}

/** The raw MariaDB floors, on a database of its own (dropped afterwards). */
export async function measureDatabaseFloors(
  serverUrl: string,
  options: { clients: number; count: number },
): Promise<Pick<Floors, 'dbPay' | 'dbPlace'>> {
  const database = `orderflow_floor_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection(serverUrl);
  await admin.query(`CREATE DATABASE \`${database}\``);
  const pool = mysql.createPool({ uri: serverUrl, database, connectionLimit: options.clients });
  try {
    await pool.query(
      'CREATE TABLE orders (order_id varchar(64) PRIMARY KEY, status varchar(16) NOT NULL, seq int NOT NULL, user_id varchar(64) NOT NULL, total_cents bigint NOT NULL)',
    );
    await pool.query('CREATE TABLE items (order_id varchar(64), sku_id varchar(64), quantity int, PRIMARY KEY (order_id, sku_id))');
    await pool.query('CREATE TABLE history (order_id varchar(64), seq int, to_status varchar(16), at bigint, PRIMARY KEY (order_id, seq))');
    await pool.query(
      'CREATE TABLE outbox (id bigint AUTO_INCREMENT PRIMARY KEY, order_id varchar(64), seq int, to_status varchar(16), at bigint)',
    );
    await pool.query('CREATE TABLE skus (sku_id varchar(64) PRIMARY KEY, available bigint, reserved bigint, sold bigint)');
    await pool.query('CREATE TABLE payments (payment_id varchar(64) PRIMARY KEY, order_id varchar(64) NOT NULL, outcome varchar(16))');
    await pool.query('CREATE TABLE payment_events (event_id varchar(128) PRIMARY KEY, payment_id varchar(64) NOT NULL)');
    await pool.query("INSERT INTO skus VALUES ('SKU', 1000000000, 0, 0)");
    const connections = await Promise.all(Array.from({ length: options.clients }, () => pool.getConnection()));
    const orderIds: string[] = [];
    const place = async (client: number) => {
      const c = connections[client];
      const id = `O${randomBytes(8).toString('hex')}`;
      const now = Date.now();
      await c.query('BEGIN');
      await c.query("UPDATE skus SET available = available - 1, reserved = reserved + 1 WHERE sku_id = 'SKU' AND available >= 1");
      await c.query("INSERT INTO orders VALUES (?, 'WAIT_PAY', 1, 'user1', 1290)", [id]);
      await c.query("INSERT INTO items VALUES (?, 'SKU', 1)", [id]);
      await c.query("INSERT INTO history VALUES (?, 1, 'WAIT_PAY', ?)", [id, now]);
      await c.query("INSERT INTO outbox (order_id, seq, to_status, at) VALUES (?, 1, 'WAIT_PAY', ?)", [id, now]);
      await c.query('COMMIT');
      orderIds.push(id);
    };
    const pay = async (client: number) => {
      const c = connections[client];
      const id = orderIds.pop() as string;
      const now = Date.now();
      await c.query('BEGIN');
      await c.query("UPDATE orders SET status = 'PAID', seq = seq + 1 WHERE order_id = ? AND status = 'WAIT_PAY'", [id]);
      await c.query("INSERT INTO history VALUES (?, 2, 'PAID', ?)", [id, now]);
      await c.query("INSERT INTO outbox (order_id, seq, to_status, at) VALUES (?, 2, 'PAID', ?)", [id, now]);
      // The payment that pays it, claimed once, and the provider's event that settled it, recorded with it.
      await c.query("UPDATE payments SET outcome = 'PAID_ORDER' WHERE payment_id = ? AND outcome IS NULL", [`P${id}`]);
      await c.query('INSERT INTO payment_events VALUES (?, ?)', [`E${id}`, `P${id}`]);
      await c.query("UPDATE skus SET reserved = reserved - 1, sold = sold + 1 WHERE sku_id = 'SKU' AND reserved >= 1");
      await c.query('COMMIT');
    };
    const warmup = 20;
    const onePlace = await measure(1, options.count, warmup, place);
    const manyPlace = await measure(options.clients, options.count * 4, warmup, place);
    // Each order's payment, created at the provider and recorded before the pay (not a pay's work: the shopper's), on
    // one of the loops' connections: they hold the whole pool.
    for (let i = 0; i < orderIds.length; i += 1_000) {
      const chunk = orderIds.slice(i, i + 1_000);
      await connections[0].query('INSERT INTO payments (payment_id, order_id) VALUES ?', [chunk.map((id) => [`P${id}`, id])]);
    }
    const onePay = await measure(1, options.count, warmup, pay);
    const manyPay = await measure(options.clients, options.count * 4, warmup, pay);
    for (const c of connections) c.release();
    return { dbPay: { one: onePay, many: manyPay }, dbPlace: { one: onePlace, many: manyPlace } };
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE \`${database}\``);
    await admin.end();
  }
}

/** Topics of the RocketMQ floors (made by the benchmark; nobody consumes them). */
export const FLOOR_TOPICS = { transactional: 'orderflow_floor_tx', plain: 'orderflow_floor_delay' } as const;

/** The raw RocketMQ floors through the official client, the same one orderflow's engine uses. */
export async function measureBrokerFloors(
  endpoints: string,
  options: { clients: number; count: number },
): Promise<Pick<Floors, 'mqTransactional' | 'mqSend'>> {
  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const producer = new Producer({
    endpoints,
    namespace: '',
    topic: [FLOOR_TOPICS.transactional, FLOOR_TOPICS.plain],
    // The check-back is never needed (every transaction is ended); ROLLBACK if the broker asks anyway.
    checker: { check: async () => 2 },
    logger: silent,
  });
  // The engine's start-up (not the client's bare startup()): it re-sends the client's settings while it waits, without
  // which startup() waited up to 300 s on a broker just started.
  await startClient(producer, { endpoints, topic: `${FLOOR_TOPICS.transactional},${FLOOR_TOPICS.plain}` });
  try {
    // A pay-sized body, as orderflow's order_paid.
    const body = Buffer.from(
      JSON.stringify({
        orderId: 'O'.repeat(20),
        userId: 'user1',
        phone: '+15550000001',
        paymentId: 'PAY-'.padEnd(24, 'x'),
        totalCents: 1290,
        couponId: null,
        items: [{ skuId: 'SKU-1003', quantity: 1, priceCents: 1290 }],
        paidAt: Date.now(),
      }),
    );
    const transactional = async () => {
      const transaction = producer.beginTransaction();
      await producer.send({ topic: FLOOR_TOPICS.transactional, tag: 'PAID', keys: ['floor'], body }, transaction);
      await transaction.commit();
    };
    // Due in an hour, as a placing's pay deadline; the topic is never consumed.
    const plain = () =>
      producer
        .send({ topic: FLOOR_TOPICS.plain, tag: 'TIMEOUT', keys: ['floor'], body, deliveryTimestamp: new Date(Date.now() + 3_600_000) })
        .then(() => undefined);
    const warmup = 20;
    return {
      mqTransactional: {
        one: await measure(1, options.count, warmup, transactional),
        many: await measure(options.clients, options.count * 4, warmup, transactional),
      },
      mqSend: {
        one: await measure(1, options.count, warmup, plain),
        many: await measure(options.clients, options.count * 4, warmup, plain),
      },
    };
  } finally {
    await producer.shutdown();
  }
}
