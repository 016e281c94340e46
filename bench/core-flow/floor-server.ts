/**
 * The floor of the core-flow benchmark, run in a process of its own as orderflow's server is: the least a pay can
 * cost here. One Fastify route on a SQLite file configured as the order database's (src/db/sqlite.ts, checkpointed
 * by the same thread) doing a pay's writes in one transaction — the order row's guarded status update, the SKU's stock
 * row, one message row — and nothing else: no authentication, no provider, no Kysely, no messaging.
 * Env: FLOOR_DATA_DIR, FLOOR_ORDERS (orders waiting for payment, ids F-0 … F-<n-1>).
 */
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import { configure } from '../../src/db/sqlite.js';
import { CheckpointingThread } from '../../src/mq/embedded/sqlite-checkpointer.js';

const file = path.join(String(process.env.FLOOR_DATA_DIR), 'floor.sqlite');
const db = new BetterSqlite3(file);
configure(db);
db.exec(`
CREATE TABLE skus (sku_id TEXT PRIMARY KEY, available INTEGER NOT NULL, reserved INTEGER NOT NULL, sold INTEGER NOT NULL);
CREATE TABLE orders (order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, total_cents INTEGER NOT NULL,
  payment_id TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, keys TEXT, body TEXT NOT NULL, created_at INTEGER NOT NULL);
`);
const orders = Number(process.env.FLOOR_ORDERS);
db.prepare('INSERT INTO skus VALUES (?, 0, ?, 0)').run('SKU-1003', orders);
const seed = db.prepare("INSERT INTO orders VALUES (?, 'user1', 'WAIT_PAY', 12900, NULL, 0)");
db.transaction(() => {
  for (let i = 0; i < orders; i++) seed.run(`F-${i}`);
})();
const checkpointer = new CheckpointingThread().watch(file, 100, (message) => console.error(`checkpoint failed: ${message}`));

const pay = db.prepare("UPDATE orders SET status = 'PAID', payment_id = ?, updated_at = ? WHERE order_id = ? AND status = 'WAIT_PAY'");
const stock = db.prepare("UPDATE skus SET reserved = reserved - 1, sold = sold + 1 WHERE sku_id = 'SKU-1003'");
const message = db.prepare("INSERT INTO messages (topic, keys, body, created_at) VALUES ('order_paid', ?, ?, ?)");
const payWrites = db.transaction((orderId: string, now: number) => {
  if (pay.run(`P-${orderId}`, now, orderId).changes !== 1) return false;
  stock.run();
  message.run(orderId, JSON.stringify({ orderId, userId: 'user1', paymentId: `P-${orderId}`, amountCents: 12900, paidAt: now }), now);
  return true;
});

const app = Fastify({ logger: false });
app.post<{ Params: { id: string } }>('/api/orders/:id/pay', async (request, reply) => {
  const orderId = request.params.id;
  // BEGIN IMMEDIATE, as the order database's transactions (ImmediateTransactionSqliteDialect).
  if (!payWrites.immediate(orderId, Date.now()))
    return reply.code(409).send({ error: { code: 'INVALID_STATE', message: `order ${orderId} is not waiting for payment` } });
  return { orderId, status: 'PAID' };
});
// A port of its own choosing: another benchmark's servers may hold the fixed ones.
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`floor is up at ${address}`);
const stop = async () => {
  await app.close();
  await checkpointer.stop();
  db.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
