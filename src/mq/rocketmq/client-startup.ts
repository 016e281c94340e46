import { createRequire } from 'node:module';
import type { MqLogger } from '../types.js';
import { fromRocketError } from './errors.js';
import { clientLogger } from './options.js';

const require = createRequire(import.meta.url);

/**
 * The client's consume services build their own file logger (under ~/logs/rocketmq) whatever
 * logger we pass, and its 1-s timer keeps the process alive after shutdown (seen: still alive
 * after 125 s; a test run would never end). Its factory is pointed at our logger before each push
 * consumer starts (the client's module is the process's own: the consumer starting last names the logger).
 */
export function patchClientLogger(logger: MqLogger): void {
  const module = require('rocketmq-client-nodejs/dist/client/Logger.js') as { getDefaultLogger: () => unknown };
  module.getDefaultLogger = () => clientLogger(logger);
}

interface StartableClient {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
  getEndpoints(): unknown;
  settingsCommand(): unknown;
  telemetry(endpoints: unknown, command: unknown): void;
}

export const STARTUP_TIMEOUT_MS = 30_000;

/**
 * `startup()` of the client can wait 300 s when the server's settings arrive before it starts
 * waiting for them (seen 20/20 times with a producer declaring 4 topics). Re-sending our
 * settings every 250 ms while it waits makes the server answer again (20/20 started).
 */
export async function startClient(client: unknown, context: { endpoints: string; topic?: string }): Promise<void> {
  const c = client as StartableClient;
  const kick = setInterval(() => {
    try {
      c.telemetry(c.getEndpoints(), c.settingsCommand());
    } catch {
      // not connected yet: the next tick tries again
    }
  }, 250);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.startup(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`client startup timed out after ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    await c.shutdown().catch(() => {});
    throw fromRocketError(error, context);
  } finally {
    clearInterval(kick);
    clearTimeout(timer);
  }
}
