import type { MessagePort } from 'node:worker_threads';

type Handler = (...args: any[]) => unknown;

interface Request {
  rpc: 'call';
  id: number;
  method: string;
  args: unknown[];
}
interface Response {
  rpc: 'reply';
  id: number;
  value?: unknown;
  error?: { message: string; code?: string; name?: string };
}

/** Calls across a thread boundary: each side serves its handlers and calls the other's. */
export interface Rpc {
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
}

/**
 * Request/response over a worker port. Errors travel as message + code (enough for the caller
 * to log or map them); values must be structured-clonable (Buffers arrive as Uint8Arrays).
 */
export function createRpc(port: MessagePort | import('node:worker_threads').Worker, handlers: Record<string, Handler>): Rpc {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  port.on('message', async (message: Request | Response) => {
    if (message?.rpc === 'reply') {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (!waiter) return;
      if (message.error) waiter.reject(Object.assign(new Error(message.error.message), { code: message.error.code, name: message.error.name ?? 'Error' }));
      else waiter.resolve(message.value);
      return;
    }
    if (message?.rpc !== 'call') return;
    const handler = handlers[message.method];
    try {
      if (!handler) throw new Error(`no handler for '${message.method}'`);
      port.postMessage({ rpc: 'reply', id: message.id, value: await handler(...message.args) } satisfies Response);
    } catch (error) {
      const e = error as Error & { code?: string };
      port.postMessage({ rpc: 'reply', id: message.id, error: { message: e?.message ?? String(error), code: e?.code, name: e?.name } } satisfies Response);
    }
  });
  return {
    call<T>(method: string, ...args: unknown[]) {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        port.postMessage({ rpc: 'call', id, method, args } satisfies Request);
      });
    },
  };
}
