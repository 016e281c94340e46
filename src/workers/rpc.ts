import type { MessagePort, Worker } from 'node:worker_threads';
import { internalError } from '../errors.js';

/**
 * What one side serves the other: method name → function. Arguments and results cross by structured clone
 * (Buffers arrive as Uint8Arrays), so they are plain data; a result may be a promise.
 */
export type Procedures<T> = { [K in keyof T]: (...args: never[]) => unknown };

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

/** Calls across a thread boundary to the other side's procedures, checked against their types. */
export interface Rpc<Remote extends Procedures<Remote>> {
  call<M extends keyof Remote & string>(method: M, ...args: Parameters<Remote[M]>): Promise<Awaited<ReturnType<Remote[M]>>>;
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
export function createRpc<Local extends Procedures<Local>, Remote extends Procedures<Remote>>(
  port: MessagePort | Worker,
  handlers: Local,
): Rpc<Remote> {
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
      if (message.error)
        waiter.reject(Object.assign(new Error(message.error.message), { code: message.error.code, name: message.error.name ?? 'Error' }));
      else waiter.resolve(message.value);
      return;
    }
    if (message?.rpc !== 'call') return;
    // What arrives is untyped data: the method is looked up, and its arguments are what the caller's types allowed.
    const handler = Object.hasOwn(handlers, message.method)
      ? (handlers[message.method as keyof Local] as unknown as (...args: unknown[]) => unknown)
      : undefined;
    try {
      if (!handler) throw internalError(`no handler for '${message.method}'`, { method: message.method });
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
    call(method, ...args) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        post({ rpc: 'call', id, method, args });
      });
    },
  };
}
