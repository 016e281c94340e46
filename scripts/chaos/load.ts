import { setTimeout as sleep } from 'node:timers/promises';
import { type Answer, type CallLog, call } from './http-client.js';
import type { Random } from './random.js';

/** Every request the system answered 2xx, kept to check afterwards that none of it was lost. */
export interface Acknowledged {
  /** orderId → userId: answered 201 to a place. */
  placed: Map<string, string>;
  /** Answered 2xx to a pay with a status past WAIT_PAY. */
  paid: Set<string>;
  /** Answered 2xx to a cancel. */
  cancelled: Set<string>;
  /** Answered 2xx to a refund. */
  refunded: Set<string>;
  /** ticketId → sale and buyer: answered 202 to a flash-sale grab. */
  tickets: Map<string, { saleId: string; userId: string }>;
  /** saleId → units: flash sales the harness created (answered 201). */
  sales: Map<string, number>;
  /** orderId → what each call about it was answered (`pay 200 {...}`), to explain a violation. */
  history: Map<string, string[]>;
}

export interface LoadOptions {
  baseUrl: () => string;
  adminToken: string;
  /** userId → token (logged in before the load starts; tokens survive restarts: the secret is fixed). */
  tokens: Map<string, string>;
  skus: readonly string[];
  flashSaleSku: string;
  /** Concurrent shoppers; each waits a random 50–250 ms between scenarios. */
  concurrency: number;
  random: Random;
  log: CallLog;
}

export interface Load {
  acknowledged: Acknowledged;
  /** Scenarios started, by kind. */
  scenarios: Record<string, number>;
  stop(): Promise<void>;
}

const SCENARIOS = [
  ['buy', 40],
  ['buy-then-refund', 10],
  ['cancel', 12],
  ['expire', 12],
  ['flash-sale', 16],
  ['refund-earlier', 10],
] as const;
type Scenario = (typeof SCENARIOS)[number][0];

/** Units of each flash sale the harness opens: small, so sales sell out and the gate's refusals are exercised. */
const SALE_UNITS = 25;

/**
 * A steady mixed load over real HTTP: place and pay, pay then refund, place then cancel, place and leave to expire
 * (the short pay timeout closes it), flash-sale grabs (the ticket's order paid half of the time) and refunds of
 * orders paid earlier. Failures are expected while a process is down; only 2xx answers are recorded.
 */
export function startLoad(options: LoadOptions): Load {
  const acknowledged: Acknowledged = {
    placed: new Map(),
    paid: new Set(),
    cancelled: new Set(),
    refunded: new Set(),
    tickets: new Map(),
    sales: new Map(),
    history: new Map(),
  };
  const remember = (orderId: string, action: string, res: Answer) => {
    const line = `${action} ${res.status} ${res.status === 0 ? res.error : JSON.stringify(res.body).slice(0, 160)}`;
    const list = acknowledged.history.get(orderId);
    if (list) list.push(line);
    else acknowledged.history.set(orderId, [line]);
  };
  const scenarios: Record<string, number> = {};
  const users = [...options.tokens.keys()];
  const { random } = options;
  let stopped = false;
  let currentSale: string | undefined;
  const paidOrders: string[] = [];

  const as = (userId: string) => ({ token: options.tokens.get(userId) });
  const api = (method: string, path: string, extra: { body?: unknown; token?: string } = {}): Promise<Answer> =>
    call(options.log, options.baseUrl(), method, `/api${path}`, extra);

  async function place(userId: string): Promise<string | undefined> {
    const items = Array.from({ length: random.int(1, 2) }, () => ({ skuId: random.pick(options.skus), quantity: random.int(1, 3) }));
    const merged = [...new Map(items.map((i) => [i.skuId, i])).values()];
    const res = await api('POST', '/orders', { body: { userId, items: merged }, ...as(userId) });
    if (res.status !== 201) return undefined;
    remember(res.body.orderId, 'place', res);
    acknowledged.placed.set(res.body.orderId, userId);
    return res.body.orderId;
  }

  async function pay(userId: string, orderId: string): Promise<boolean> {
    const res = await api('POST', `/orders/${orderId}/pay`, { body: {}, ...as(userId) });
    remember(orderId, 'pay', res);
    // A 2xx may say the order is CLOSED (the deadline passed while the payment was under way; the money goes back):
    // only an order answered PAID or later counts as paid.
    if (!ok(res) || !PAID_OR_LATER.has(res.body?.status)) return false;
    acknowledged.paid.add(orderId);
    paidOrders.push(orderId);
    return true;
  }

  async function refund(userId: string, orderId: string): Promise<void> {
    const res = await api('POST', `/orders/${orderId}/refund`, { body: { reason: 'chaos' }, ...as(userId) });
    remember(orderId, 'refund', res);
    if (ok(res)) acknowledged.refunded.add(orderId);
  }

  async function openSale(): Promise<void> {
    const res = await api('POST', '/admin/flash-sales', {
      token: options.adminToken,
      body: { skuId: options.flashSaleSku, priceCents: 4_900, stock: SALE_UNITS, endsAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    if (res.status === 201) {
      currentSale = res.body.id;
      acknowledged.sales.set(res.body.id, SALE_UNITS);
    }
  }

  async function grab(userId: string): Promise<void> {
    if (!currentSale) return openSale();
    const saleId = currentSale;
    const res = await api('POST', `/flash-sales/${saleId}/orders`, { body: { userId }, ...as(userId) });
    if (res.status === 409 && res.body?.error?.code === 'SOLD_OUT' && currentSale === saleId) {
      currentSale = undefined;
      return;
    }
    if (res.status !== 202) return;
    acknowledged.tickets.set(res.body.ticketId, { saleId, userId });
    if (!random.chance(0.5)) return;
    for (let attempt = 0; attempt < 10 && !stopped; attempt++) {
      await sleep(300);
      const ticket = await api('GET', `/flash-sales/tickets/${res.body.ticketId}`, as(userId));
      if (ticket.body?.status === 'ORDERED') {
        await pay(userId, ticket.body.orderId);
        return;
      }
      if (ticket.body?.status === 'FAILED') return;
    }
  }

  async function run(scenario: Scenario, userId: string): Promise<void> {
    switch (scenario) {
      case 'buy': {
        const orderId = await place(userId);
        if (orderId) await pay(userId, orderId);
        return;
      }
      case 'buy-then-refund': {
        const orderId = await place(userId);
        if (orderId && (await pay(userId, orderId))) await refund(userId, orderId);
        return;
      }
      case 'cancel': {
        const orderId = await place(userId);
        if (!orderId) return;
        const res = await api('POST', `/orders/${orderId}/cancel`, { body: {}, ...as(userId) });
        remember(orderId, 'cancel', res);
        if (ok(res)) acknowledged.cancelled.add(orderId);
        return;
      }
      case 'expire':
        await place(userId);
        return;
      case 'flash-sale':
        return grab(userId);
      case 'refund-earlier': {
        if (paidOrders.length === 0) return;
        const orderId = random.pick(paidOrders);
        return refund(acknowledged.placed.get(orderId) ?? userId, orderId);
      }
    }
  }

  const total = SCENARIOS.reduce((sum, [, weight]) => sum + weight, 0);
  const choose = (): Scenario => {
    let roll = random.next() * total;
    for (const [name, weight] of SCENARIOS) {
      roll -= weight;
      if (roll < 0) return name;
    }
    return 'buy';
  };

  const shopper = async () => {
    while (!stopped) {
      const scenario = choose();
      scenarios[scenario] = (scenarios[scenario] ?? 0) + 1;
      await run(scenario, random.pick(users));
      await sleep(random.int(50, 250));
    }
  };
  const shoppers = Array.from({ length: options.concurrency }, shopper);
  return {
    acknowledged,
    scenarios,
    async stop() {
      stopped = true;
      await Promise.all(shoppers);
    },
  };
}

/** The statuses of an order that was paid (src/systems/order/states.ts). */
export const PAID_OR_LATER: ReadonlySet<string> = new Set(['PAID', 'SHIPPED', 'COMPLETED', 'REFUNDING', 'REFUNDED', 'REFUND_FAILED']);

/** A 2xx answer: the system said it did it (no answer at all is not one). */
const ok = (res: Answer) => res.status >= 200 && res.status < 300;

/** Logs every user in (before any fault: a login is not what is under test). */
export async function logIn(log: CallLog, baseUrl: string, users: readonly string[], password: string): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const userId of users) {
    const res = await call(log, baseUrl, 'POST', '/api/auth/login', { body: { userId, password } });
    if (res.status !== 200) throw new ChaosSetupError(`login of ${userId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    tokens.set(userId, res.body.token);
  }
  return tokens;
}

/** The harness could not set its run up (not a violation: nothing was tested). */
export class ChaosSetupError extends Error {
  override readonly name = 'ChaosSetupError';
}
