import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SaleNotOpenError, type Admission, type GateSale, type KnownAdmission, type StockGate } from './gate.js';
import { AppError, ErrorCode } from '../../errors.js';

/**
 * The one script of the gate: refuse a user already admitted (their ticket id back), refuse when no
 * unit is left, else take a unit and record the user — atomically, since Redis runs a script alone.
 * Returns {1, ticketId} admitted, {2, earlierTicketId} already admitted, {0, ''} sold out,
 * {-1, ''} the sale has no counter (never opened, or this Redis lost its data).
 */
export const ADMIT_SCRIPT = `
local earlier = redis.call('HGET', KEYS[2], ARGV[1])
if earlier then return {2, earlier} end
local remaining = redis.call('GET', KEYS[1])
if not remaining then return {-1, ''} end
if tonumber(remaining) <= 0 then return {0, ''} end
redis.call('DECR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1, ARGV[2]}
`;

/** Keys outlive their sale by a week (recovery and late tickets), then Redis drops them. */
const KEEP_AFTER_END_MS = 7 * 24 * 3_600_000;

interface AdmitCommand {
  flashSaleAdmit(stockKey: string, admittedKey: string, userId: string, ticketId: string): Promise<[number, string]>;
}

export interface RedisGateOptions {
  url: string;
  /** ORDERFLOW_REDIS_PREFIX: every key starts with it. */
  prefix: string;
  logger: Logger;
}

/**
 * The distributed stock gate: per sale a counter `…:stock` and a hash `…:admitted` (userId →
 * ticketId), both under the sale's hash tag so a Redis Cluster keeps them in one slot and the
 * script may touch both. Any number of orderflow processes share it.
 */
export class RedisGate implements StockGate {
  readonly kind = 'redis';
  readonly #redis: Redis & AdmitCommand;
  readonly #prefix: string;

  private constructor(redis: Redis, prefix: string) {
    this.#redis = redis as Redis & AdmitCommand;
    this.#prefix = prefix;
  }

  /** Connects (failing fast with the reason when Redis does not answer) and registers the script. */
  static async connect(options: RedisGateOptions): Promise<RedisGate> {
    const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000, enableAutoPipelining: true });
    let lastError: Error | undefined;
    redis.on('error', (error: Error) => {
      if (error.message !== lastError?.message) options.logger.error({ err: error }, 'flash-sale gate: Redis connection error');
      lastError = error;
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw new AppError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `the flash-sale gate cannot reach Redis at REDIS_URL: ${(error as Error).message}`,
        { cause: error, retriable: true },
      );
    }
    redis.defineCommand('flashSaleAdmit', { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    return new RedisGate(redis, options.prefix);
  }

  #keys(saleId: string) {
    const base = `${this.#prefix}flash-sale:{${saleId}}`;
    return { stock: `${base}:stock`, admitted: `${base}:admitted` };
  }

  async open(sale: GateSale, known: () => Promise<KnownAdmission[]>): Promise<void> {
    const keys = this.#keys(sale.id);
    if (await this.#redis.exists(keys.stock)) return;
    const admitted = await known();
    // One transaction: the known buyers are recorded and the counter is created together. SET NX:
    // when two processes open the sale at once, the first counter stays; HSET of known tickets is idempotent.
    const multi = this.#redis.multi();
    if (admitted.length > 0) multi.hset(keys.admitted, Object.fromEntries(admitted.map((a) => [a.userId, a.ticketId])));
    multi.set(keys.stock, String(Math.max(0, sale.stock - admitted.length)), 'NX');
    multi.pexpireat(keys.stock, sale.endsAt + KEEP_AFTER_END_MS);
    multi.pexpireat(keys.admitted, sale.endsAt + KEEP_AFTER_END_MS);
    await multi.exec();
  }

  async admit(saleId: string, userId: string, ticketId: string): Promise<Admission> {
    const keys = this.#keys(saleId);
    const [result, id] = await this.#redis.flashSaleAdmit(keys.stock, keys.admitted, userId, ticketId);
    switch (Number(result)) {
      case 1:
        return { admitted: true, ticketId: String(id) };
      case 2:
        return { admitted: false, reason: 'ALREADY_HAS_TICKET', ticketId: String(id) };
      case 0:
        return { admitted: false, reason: 'SOLD_OUT' };
      default:
        throw new SaleNotOpenError(saleId);
    }
  }

  async remaining(saleId: string): Promise<number | undefined> {
    const value = await this.#redis.get(this.#keys(saleId).stock);
    return value === null ? undefined : Number(value);
  }

  async admissions(saleId: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.#redis.hgetall(this.#keys(saleId).admitted)));
  }

  /** Fails at once while the connection is down (ioredis would queue the PING until it is back). */
  async ping(): Promise<void> {
    if (this.#redis.status !== 'ready') {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, `the flash-sale gate's Redis connection is ${this.#redis.status}`, {
        retriable: true,
      });
    }
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
