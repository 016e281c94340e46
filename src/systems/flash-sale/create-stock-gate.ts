import type { Logger } from 'pino';
import type { StockGate } from './gate.js';
import { InProcessGate } from './in-process-gate.js';
import { RedisGate } from './redis-gate.js';

/**
 * The one place the gate is chosen: Redis (one Lua script, shared by every process) when
 * REDIS_URL is set, else the in-process counter, rebuilt from the flash-sale database's tickets.
 */
export async function createStockGate(deps: { redisUrl?: string; redisPrefix: string; logger: Logger }): Promise<StockGate> {
  if (deps.redisUrl) return RedisGate.connect({ url: deps.redisUrl, prefix: deps.redisPrefix, logger: deps.logger });
  return new InProcessGate();
}
