/**
 * The order database of the close-expired benchmark, built once and copied for each design:
 * the order system's own schema (its migrations), then 1,000,000 orders written directly with
 * better-sqlite3. Older orders are in final states; the newest ones — "the window" — are the
 * orders whose pay deadlines fall during the run: most are WAIT_PAY and will expire, a few were
 * paid in time (they still have their order_timeout message pending, as every placed order does).
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/db/index.js';
import { newOrderId } from '../../src/systems/order/repository.js';
import { orderMigrations, type OrderDB } from '../../src/systems/order/schema.js';
import { OrderStatus } from '../../src/systems/order/states.js';

export interface DataOptions {
  orders: number;
  /** WAIT_PAY orders that expire during the run. */
  expiring: number;
  /** Orders in the window that were paid before their deadline (PAID, message pending). */
  paidInWindow: number;
  /** Deadlines of the window's orders spread evenly over this long. */
  windowMs: number;
  skus: number;
  log: (line: string) => void;
}

export interface WindowOrder {
  orderId: string;
  rowid: number;
  /** Pay deadline − window start. */
  offsetMs: number;
  paid: boolean;
  skuId: string;
  quantity: number;
}

export interface Dataset {
  file: string;
  options: Omit<DataOptions, 'log'>;
  totalOrders: number;
  /** Rowids above this one are the window's orders (newest last, as ids and rowids grow with time). */
  lastOldRowid: number;
  firstWindowOrderId: string;
  window: WindowOrder[];
  /** Window start the file holds; each run shifts the window to its own start. */
  storedStart: number;
  /** Orders outside the window, per status: none of them may change. */
  oldStatusCounts: Record<string, number>;
  /** available + reserved + sold per SKU: constant (docs/architecture.md, "Order states"). */
  stockTotal: number;
  buildMs: number;
}

export const PAY_TIMEOUT_MS = 15 * 60_000;
const DAY = 86_400_000;
const FINAL: [OrderStatus, number][] = [
  [OrderStatus.COMPLETED, 70],
  [OrderStatus.SHIPPED, 10],
  [OrderStatus.PAID, 3],
  [OrderStatus.CLOSED, 10],
  [OrderStatus.CANCELLED, 5],
  [OrderStatus.REFUNDED, 2],
];
const SOLD: ReadonlySet<string> = new Set([OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED]);

export async function buildDataset(dir: string, o: DataOptions): Promise<Dataset> {
  const started = performance.now();
  const schema = await openDatabase<OrderDB>({ url: 'sqlite', dataDir: dir, system: 'order' });
  await migrate(schema, orderMigrations);
  await schema.close();
  const file = path.join(dir, 'order.sqlite');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  // Secondary indexes are built after the load (much faster than growing them row by row),
  // from their own CREATE INDEX text, so they are exactly the migration's.
  const indexes = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL")
    .all() as { name: string; sql: string }[];
  for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);

  const windowSize = o.expiring + o.paidInWindow;
  const oldCount = o.orders - windowSize;
  if (oldCount < 0) throw new Error(`--orders ${o.orders} is fewer than the window's ${windowSize} orders`);
  const now = Date.now();
  const storedStart = now + 60_000;
  const skuId = (i: number) => `SKU-${String(i % o.skus).padStart(4, '0')}`;
  const quantity = (i: number) => 1 + (i % 3);
  const sold = new Array<number>(o.skus).fill(0);
  const reserved = new Array<number>(o.skus).fill(0);
  const oldStatusCounts: Record<string, number> = {};
  const window: WindowOrder[] = [];
  let firstWindowOrderId = '';

  const insertOrder = db.prepare(
    `INSERT INTO orders (order_id, user_id, phone, status, total_cents, discount_cents, coupon_id, payment_id, tracking_no, pay_deadline, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, ?, ?)`,
  );
  const insertItem = db.prepare('INSERT INTO order_items (order_id, sku_id, quantity, price_cents) VALUES (?, ?, ?, ?)');
  const insertHistory = db.prepare('INSERT INTO order_history (order_id, seq, from_status, to_status, at, note) VALUES (?, ?, ?, ?, ?, ?)');
  const oldSpan = 30 * DAY;
  const oldEnd = now - PAY_TIMEOUT_MS - 60_000; // every old order was created before any window order
  const put = (i: number) => {
    const sku = i % o.skus;
    const q = quantity(i);
    const price = 1_000 + (sku % 50) * 100;
    const user = `user${1 + ((i * 7_919) % 100_000)}`;
    const phone = `+1555${String(i % 10_000_000).padStart(7, '0')}`;
    if (i < oldCount) {
      const createdAt = oldEnd - oldSpan + Math.floor((i * oldSpan) / oldCount);
      let roll = (i * 37) % 100;
      let status: OrderStatus = OrderStatus.COMPLETED;
      for (const [s, share] of FINAL) {
        if (roll < share) {
          status = s;
          break;
        }
        roll -= share;
      }
      oldStatusCounts[status] = (oldStatusCounts[status] ?? 0) + 1;
      if (SOLD.has(status)) sold[sku] += q;
      const orderId = newOrderId(createdAt);
      const paid = status !== OrderStatus.CLOSED && status !== OrderStatus.CANCELLED;
      const shipped = status === OrderStatus.SHIPPED || status === OrderStatus.COMPLETED || status === OrderStatus.REFUNDED;
      insertOrder.run(
        orderId,
        user,
        phone,
        status,
        price * q,
        paid ? `PAY-${i}` : null,
        shipped ? `TRK-${i}` : null,
        createdAt + PAY_TIMEOUT_MS,
        createdAt,
        createdAt + 3_600_000,
      );
      insertItem.run(orderId, skuId(i), q, price);
      return;
    }
    const j = i - oldCount;
    const offsetMs = Math.floor((j * o.windowMs) / windowSize);
    const deadline = storedStart + offsetMs;
    const createdAt = deadline - PAY_TIMEOUT_MS;
    // The paid ones are spread evenly among the expiring ones.
    const paid = Math.floor(((j + 1) * o.paidInWindow) / windowSize) > Math.floor((j * o.paidInWindow) / windowSize);
    const orderId = newOrderId(createdAt);
    if (j === 0) firstWindowOrderId = orderId;
    if (paid) sold[sku] += q;
    else reserved[sku] += q;
    const status = paid ? OrderStatus.PAID : OrderStatus.WAIT_PAY;
    insertOrder.run(
      orderId,
      user,
      phone,
      status,
      price * q,
      paid ? `PAY-${i}` : null,
      null,
      deadline,
      createdAt,
      paid ? deadline - 5_000 : createdAt,
    );
    insertItem.run(orderId, skuId(i), q, price);
    insertHistory.run(orderId, 1, null, OrderStatus.WAIT_PAY, createdAt, null);
    if (paid) insertHistory.run(orderId, 2, OrderStatus.WAIT_PAY, OrderStatus.PAID, deadline - 5_000, null);
    window.push({ orderId, rowid: i + 1, offsetMs, paid, skuId: skuId(i), quantity: q });
  };

  const chunk = Math.max(1, Math.floor(o.orders / 10));
  for (let from = 0; from < o.orders; from += chunk) {
    db.transaction(() => {
      for (let i = from; i < Math.min(o.orders, from + chunk); i++) put(i);
    })();
    o.log(
      `  ${Math.round((100 * Math.min(o.orders, from + chunk)) / o.orders)}% of ${o.orders.toLocaleString('en-US')} orders written (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  // Newer schemas number history on the order row (history_seq, default 1): the paid ones are at 2.
  const columns = (db.prepare('PRAGMA table_info(orders)').all() as { name: string }[]).map((c) => c.name);
  if (columns.includes('history_seq')) db.prepare("UPDATE orders SET history_seq = 2 WHERE rowid > ? AND status = 'PAID'").run(oldCount);
  const stockTotal = 100_000_000;
  const insertSku = db.prepare('INSERT INTO skus (sku_id, name, price_cents, available, reserved, sold) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let s = 0; s < o.skus; s++)
      insertSku.run(skuId(s), `Bench SKU ${s}`, 1_000 + (s % 50) * 100, stockTotal - sold[s] - reserved[s], reserved[s], sold[s]);
  })();
  for (const index of indexes) {
    o.log(`  building index ${index.name}`);
    db.exec(index.sql);
  }
  const rowids = db.prepare('SELECT count(*) AS n, max(rowid) AS max FROM orders').get() as { n: number; max: number };
  if (rowids.n !== o.orders || rowids.max !== o.orders)
    throw new Error(`expected rowids 1..${o.orders}, got ${rowids.n} rows up to ${rowids.max}`);
  db.pragma('journal_mode = WAL');
  db.close();
  const mb = fs.statSync(file).size / 2 ** 20;
  o.log(`  database ready: ${mb.toFixed(0)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const { log: _log, ...options } = o;
  return {
    file,
    options,
    totalOrders: o.orders,
    lastOldRowid: oldCount,
    firstWindowOrderId,
    window,
    storedStart,
    oldStatusCounts,
    stockTotal,
    buildMs: performance.now() - started,
  };
}

/**
 * A fresh copy of the dataset for one design, its window moved to start at `start`; without
 * the (status, pay_deadline) index when `dropStatusIndex` (the old order system's table).
 */
export function copyForRun(data: Dataset, dir: string, start: () => number, dropStatusIndex: boolean): { file: string; start: number } {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'order.sqlite');
  fs.copyFileSync(data.file, file);
  const db = new BetterSqlite3(file);
  if (dropStatusIndex) db.exec('DROP INDEX orders_by_status_deadline');
  const at = start();
  const shift = at - data.storedStart;
  db.transaction(() => {
    db.prepare(
      'UPDATE orders SET pay_deadline = pay_deadline + ?, created_at = created_at + ?, updated_at = updated_at + ? WHERE rowid > ?',
    ).run(shift, shift, shift, data.lastOldRowid);
    db.prepare('UPDATE order_history SET at = at + ? WHERE order_id >= ?').run(shift, data.firstWindowOrderId);
  })();
  db.close();
  return { file, start: at };
}
