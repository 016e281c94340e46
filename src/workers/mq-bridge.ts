import type { ConsumingMessaging, ListenerResult, Messaging, MessageView, PushConsumer, PushConsumerOptions } from '../mq/index.js';
import type { BusyGate } from './busy-gate.js';
import type { Rpc } from './rpc.js';

/** What the broker's thread serves a worker: push consumers, subscribed and closed on the worker's behalf. */
export interface BrokerProcedures {
  subscribe(id: number, options: Omit<PushConsumerOptions, 'listener'>): Promise<void>;
  unsubscribe(id: number): Promise<void>;
}

/** What a worker serves the broker's thread: each delivery to one of its listeners, answered with the listener's result. */
export interface ListenerProcedures {
  deliver(id: number, message: MessageView): Promise<Awaited<ListenerResult>>;
}

/**
 * Main-thread side: subscribes push consumers on behalf of a worker. The broker (embedded, in
 * this thread) delivers each message to the worker's listener and waits for its answer, so
 * retries, back-off and the DLQ work exactly as for a local consumer.
 */
export function serveMessaging(mq: Messaging, worker: () => Rpc<ListenerProcedures>, gate?: Pick<BusyGate, 'pass'>): BrokerProcedures {
  const consumers = new Map<number, PushConsumer>();
  return {
    async subscribe(id: number, options: Omit<PushConsumerOptions, 'listener'>) {
      const listener = async (message: MessageView) => {
        await gate?.pass(); // while this thread is busy with payments, deliveries wait (busy-gate.ts)
        return worker().call('deliver', id, message);
      };
      consumers.set(id, await mq.pushConsumer({ ...options, listener }));
    },
    async unsubscribe(id: number) {
      await consumers.get(id)?.close();
      consumers.delete(id);
    },
  };
}

/** Worker side: `pushConsumer` that asks the main thread to subscribe, and runs the listener here. */
export function remoteMessaging(main: () => Rpc<BrokerProcedures>): { messaging: ConsumingMessaging; handlers: ListenerProcedures } {
  const listeners = new Map<number, PushConsumerOptions['listener']>();
  let nextId = 0;
  return {
    messaging: {
      async pushConsumer(options: PushConsumerOptions): Promise<PushConsumer> {
        const id = ++nextId;
        listeners.set(id, options.listener);
        const { listener: _listener, ...rest } = options;
        await main().call('subscribe', id, rest);
        return {
          group: options.group,
          close: async () => {
            await main().call('unsubscribe', id);
            listeners.delete(id);
          },
        };
      },
    },
    handlers: {
      async deliver(id: number, message: MessageView) {
        const listener = listeners.get(id);
        if (!listener) return 'RETRY_LATER';
        try {
          return await listener({ ...message, body: Buffer.from(message.body) });
        } catch {
          return 'RETRY_LATER';
        }
      },
    },
  };
}
