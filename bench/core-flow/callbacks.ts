/**
 * The core flow as payments really arrive: the payment provider's signed callback. The load generator plays the
 * provider — each order's payment is created beforehand through the pay route with `confirm: false` (a payment
 * waiting for the shopper's bank step, 202), then `payment.succeeded` events are posted to
 * `POST /api/payments/callback`, signed as the provider signs them, at a fixed rate. A callback answers once it
 * has handled the event, so its 200 with `settlement: PAID_ORDER` is the moment the order is PAID (the transaction
 * that pays it has committed): the latency from each callback's due time to that answer is the core flow's.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { PAYMENT_SIGNATURE_HEADER, signPaymentCallback } from '../../src/third-parties/index.js';
import { summarize } from '../peers/stats.js';
import { Connections, runCrowd } from '../flash-sale/crowd.js';
import type { ServerProcess } from '../server-process.js';

/** What the callbacks need of a server: its URL and a JSON caller (a benchmark's server, or a whole deployment). */
export type Shop = Pick<ServerProcess, 'url' | 'call'>;

/** The secret the benchmark's servers are started with: the load generator signs its callbacks with it. */
export const BENCH_CALLBACK_SECRET = 'bench-payment-callback-secret';

export interface PendingPayment {
  orderId: string;
  paymentId: string;
  /** In currency units, as the provider states it. */
  amount: number;
}

const CALLBACK_PATH = '/api/payments/callback';

/** A `payment.succeeded` event for this payment, with a fresh event id, signed now as the provider signs it. */
function signedCallback({ paymentId, orderId, amount }: PendingPayment) {
  const body = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { paymentId, orderId, amount, status: 'SUCCEEDED' },
  });
  const headers = {
    'content-type': 'application/json',
    [PAYMENT_SIGNATURE_HEADER]: signPaymentCallback(BENCH_CALLBACK_SECRET, body, Date.now() / 1000),
  };
  return { body, headers };
}

/** Whether a callback's 2xx answer says it paid its order (anything else is a failure the figures report). */
const paidItsOrder = (answer: string) => answer.includes('"settlement":"PAID_ORDER"');

/**
 * One payment's `payment.succeeded` callback, sent now over fetch's kept-alive connections: whether it paid the order
 * (200 with `settlement: PAID_ORDER`), and what was answered otherwise.
 */
export async function sendCallback(server: Shop, payment: PendingPayment): Promise<{ paid: boolean; answer: string }> {
  const { body, headers } = signedCallback(payment);
  const res = await fetch(server.url + CALLBACK_PATH, { method: 'POST', headers, body });
  const text = await res.text();
  return { paid: res.status === 200 && paidItsOrder(text), answer: `${res.status} ${text.slice(0, 300)}` };
}

/** A placed order and its total, in currency units (what its payment will be for). */
export type PlacedOrder = Omit<PendingPayment, 'paymentId'>;

/** Places one order of user1 (one unit of SKU-1003). */
export async function placeOrder(server: Shop, token: string): Promise<PlacedOrder> {
  const placed = await server.call('POST', '/api/orders', { userId: 'user1', items: [{ skuId: 'SKU-1003', quantity: 1 }] }, token);
  if (placed.status !== 201) throw new Error(`placing an order: ${placed.status} ${JSON.stringify(placed.body)}`);
  const { orderId, totalCents } = placed.body as { orderId: string; totalCents: number };
  return { orderId, amount: totalCents / 100 };
}

/** The shopper's side of a pay: the order's payment created at the provider, waiting for the bank step (202). */
export async function createPayment(server: Shop, token: string, order: PlacedOrder): Promise<PendingPayment> {
  const started = await server.call('POST', `/api/orders/${order.orderId}/pay`, { confirm: false }, token);
  if (started.status !== 202) throw new Error(`creating a payment: ${started.status} ${JSON.stringify(started.body)}`);
  return { ...order, paymentId: started.body.payment.paymentId as string };
}

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * Places `count` orders and creates each one's payment at the provider (pay with `confirm: false`: 202, the
 * payment waiting for the bank step). Nothing is paid yet: the callbacks will pay them.
 */
export async function preparePayments(server: Shop, token: string, count: number): Promise<PendingPayment[]> {
  log(`  placing ${count} orders and creating their payments at the provider (pay with confirm: false)`);
  const pending: PendingPayment[] = [];
  let next = 0;
  let lastShown = 0;
  await Promise.all(
    // The provider answers in its simulated latency (50 ms by default): enough requests in flight to make that short.
    Array.from({ length: 64 }, async () => {
      while (next < count) {
        next++;
        pending.push(await createPayment(server, token, await placeOrder(server, token)));
        if (pending.length - lastShown >= count / 5) {
          lastShown = pending.length;
          log(`    ${Math.round((100 * pending.length) / count)}% ready`);
        }
      }
    }),
  );
  return pending;
}

/**
 * The provider's callbacks at `rate` for `seconds`, open loop (bench/flash-sale/crowd.ts): callback i is due at
 * start + i / rate and signed when sent (the signature's timestamp is the send time, as the provider's). Counts the
 * answers that paid their order; anything else (a non-2xx, a settlement other than PAID_ORDER) is a failure the
 * figure reports.
 */
export async function callbacksEvenly(server: Shop, payments: PendingPayment[], rate: number, seconds: number) {
  const connections = new Connections(100);
  let non2xx = 0;
  let notPaid = 0;
  try {
    const total = Math.min(payments.length, rate * seconds);
    const paid = new Uint8Array(total);
    const result = await runCrowd(connections, {
      url: server.url,
      total,
      rate,
      request: (i) => {
        const { body, headers } = signedCallback(payments[i]);
        return { path: CALLBACK_PATH, headers, body };
      },
      onResponse: (i, status, body) => {
        if (status < 200 || status >= 300) non2xx++;
        else if (!paidItsOrder(body)) notPaid++;
        else paid[i] = 1;
      },
    });
    // Only the callbacks that paid their order count in the latencies; the others are counted apart, as failures.
    const latenciesMs = result.latenciesMs.filter((_, i) => paid[i] === 1);
    const s = summarize(latenciesMs);
    return {
      p50: s.p50,
      p99: s.p99,
      p999: s.p999,
      max: s.max,
      achieved: total / result.seconds,
      non2xx,
      notPaid,
      errors: result.errors,
      loadGeneratorDelay: result.loadGeneratorDelay,
      latenciesMs,
    };
  } finally {
    connections.close();
  }
}

/** A phase's summary for the JSON: every figure but the raw latencies. */
export function withoutLatencies<T extends { latenciesMs: Float64Array }>(phase: T): Omit<T, 'latenciesMs'> {
  const { latenciesMs: _latencies, ...summary } = phase;
  return summary;
}

/**
 * Every payment's callback over `connections`, as fast as they go (autocannon). The rate is computed from the first
 * request to the last answer that paid an order (autocannon's own duration is rounded up to a whole second).
 */
export function callbacksSaturated(server: Shop, payments: PendingPayment[], connections: number) {
  let next = 0;
  let paid = 0;
  let lastPaidAt = 0;
  const startedAt = performance.now();
  return new Promise<autocannon.Result & { paid: number; elapsedMs: number }>((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        connections,
        amount: payments.length,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => ({ ...request, path: CALLBACK_PATH, ...signedCallback(payments[next++ % payments.length]) }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ ...result, paid, elapsedMs: lastPaidAt - startedAt })),
    );
    instance.on('response', (_client, statusCode, _bytes, _time) => {
      if (statusCode < 200 || statusCode >= 300) return;
      paid++;
      lastPaidAt = performance.now();
    });
  });
}
