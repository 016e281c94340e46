import type { MessagePort, Worker } from 'node:worker_threads';

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
/** Everything one side posted during one turn of its event loop. */
interface Batch {
  rpc: 'batch';
  items: (Request | Response)[];
}

/** Calls across a thread boundary: each side serves its handlers and calls the other's. */
export interface Rpc {
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
}

/**
 * Request/response over a worker port. Errors travel as message + code (enough for the caller
 * to log or map them); values must be structured-clonable (Buffers arrive as Uint8Arrays).
 *
 * What one side posts during a turn of its event loop crosses as ONE port message: the broker hands
 * the consumers' thread several messages per turn (one call each) and their answers come back
 * together, and each port message costs a serialisation, a wake-up and an event on both threads —
 * on the main thread, time taken from payments.
 */
export function createRpc(port: MessagePort | Worker, handlers: Record<string, Handler>): Rpc {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  let outgoing: (Request | Response)[] = [];
  const flush = () => {
    const items = outgoing;
    outgoing = [];
    port.postMessage(items.length === 1 ? items[0] : ({ rpc: 'batch', items } satisfies Batch));
  };
  const post = (item: Request | Response) => {
    if (outgoing.push(item) === 1) setImmediate(flush);
  };

  const receive = async (message: Request | Response) => {
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
      post({ rpc: 'reply', id: message.id, value: await handler(...message.args) });
    } catch (error) {
      const e = error as Error & { code?: string };
      post({ rpc: 'reply', id: message.id, error: { message: e?.message ?? String(error), code: e?.code, name: e?.name } });
    }
  };
  port.on('message', (message: Request | Response | Batch) => {
    if (message?.rpc === 'batch') for (const item of message.items) void receive(item);
    else void receive(message);
  });
  return {
    call<T>(method: string, ...args: unknown[]) {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        post({ rpc: 'call', id, method, args });
      });
    },
  };
}
