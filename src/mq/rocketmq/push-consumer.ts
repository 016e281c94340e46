import { ConsumeResult as ClientResult, type MessageView } from 'rocketmq-client-nodejs';
import { DEFAULT_MAX_RECONSUME_TIMES } from '../backoff.js';
import { MqError, MqErrorCode } from '../errors.js';
import type { PushConsumer, PushConsumerOptions } from '../types.js';
import { fromClientView } from './convert.js';
import { patchClientLogger, startClient } from './client-startup.js';
import { ListenerCalls } from './listener-calls.js';
import { clientLogger, type ResolvedRocketMQOptions } from './options.js';
import { PushClient } from './push-client.js';

/**
 * Push consumer over the client's PushConsumer. The listener's SUCCESS / RETRY_LATER / throw map
 * to the client's SUCCESS / FAILURE. A failed message is hidden for RocketMQ's delay level of its attempt (scaled by
 * retryBackoffScale; push-client.ts says why here), and the broker dead-letters it past the group's retryMaxTimes (set
 * through admin before start). FIFO groups retry in place, below. `concurrency` is enforced here.
 */
export class RocketPushConsumer implements PushConsumer {
  readonly group: string;
  readonly #client: PushClient;
  readonly #calls: ListenerCalls;
  readonly #options: ResolvedRocketMQOptions;
  #closed = false;

  private constructor(group: string, client: PushClient, calls: ListenerCalls, options: ResolvedRocketMQOptions) {
    this.group = group;
    this.#client = client;
    this.#calls = calls;
    this.#options = options;
  }

  /** `fifo`: the group is orderly (a FIFO topic); failures are then retried here, in place. */
  static async start(options: ResolvedRocketMQOptions, consumer: PushConsumerOptions, fifo = false): Promise<RocketPushConsumer> {
    if ((consumer.messageModel ?? 'CLUSTERING') === 'BROADCASTING') {
      throw new MqError(MqErrorCode.UNSUPPORTED, 'RocketMQ 5 gRPC consumers have no broadcasting (capability broadcasting = false)');
    }
    const limit = limiter(consumer.concurrency ?? 16);
    const calls = new ListenerCalls();
    /**
     * One listener call: true for SUCCESS; undefined when not made because the consumer is closing. When `final(ok)`,
     * the answer is the message's last and the client is told so before the call counts as finished: close() waits for
     * the running calls, then hands back every message not answered — and a hand-back changes the receipt handle, so an
     * ack sent after it is refused (INVALID_RECEIPT_HANDLE, which the client forgives) and the message is redelivered.
     * Told any later (a few promise steps, after the limiter), a message handled just before close() was handed back.
     */
    const attempt = (view: MessageView, deliveryAttempt: number, final: (ok: boolean) => boolean) =>
      calls.run(async () => {
        let ok: boolean;
        try {
          ok = (await consumer.listener({ ...fromClientView(view), deliveryAttempt })) === 'SUCCESS';
        } catch (error) {
          options.logger.warn({ err: error, group: consumer.group, messageId: view.messageId }, 'listener threw: RETRY_LATER');
          ok = false;
        }
        if (final(ok)) client.answered(view);
        return ok;
      });
    const consumeOnce = async (view: MessageView) => {
      const ok = await attempt(view, view.deliveryAttempt ?? 1, () => true);
      return ok === undefined ? undefined : ok ? ClientResult.SUCCESS : ClientResult.FAILURE;
    };
    // FIFO: the client (1.0.8) forwards a failed FIFO message to the DLQ at once when it has no
    // retry policy from the server (seen: the next messages of the group went on, the failed one
    // never came back). So the retries happen here, holding the group, as RocketMQ means them to.
    // Closing ends the wait for the next retry: the message is then left to redelivery.
    const maxReconsume = consumer.maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME_TIMES;
    const consumeInOrder = async (view: MessageView) => {
      for (let n = view.deliveryAttempt ?? 1; ; n++) {
        const ok = await attempt(view, n, (success) => success || n > maxReconsume);
        if (ok === undefined) return undefined;
        if (ok) return ClientResult.SUCCESS;
        if (n > maxReconsume) return ClientResult.FAILURE; // the client forwards it to %DLQ%<group>
        if (!(await calls.pause(fifoRetryDelayMs(n)))) return undefined;
      }
    };
    const backoff = fifo ? undefined : { scale: options.retryBackoffScale, maxReconsumeTimes: maxReconsume };
    const client: PushClient = new PushClient(
      {
        endpoints: options.endpoints,
        namespace: '', // namespaces are the messaging API's own (../namespace.ts)
        requestTimeout: options.requestTimeoutMs,
        logger: clientLogger(options.logger),
        consumerGroup: consumer.group,
        subscriptions: new Map(Object.entries(consumer.subscriptions ?? {})),
        messageListener: {
          consume: async (view): Promise<ClientResult> => {
            const result = await limit(() => (fifo ? consumeInOrder(view) : consumeOnce(view)));
            // closing: neither acked nor dead-lettered (an answer was recorded by attempt())
            if (result === undefined) return client.leftToRedelivery<ClientResult>(view);
            return result;
          },
        },
      },
      backoff,
    );
    patchClientLogger(options.logger);
    await startClient(client, { endpoints: options.endpoints, topic: Object.keys(consumer.subscriptions ?? {}).join(',') });
    return new RocketPushConsumer(consumer.group, client, calls, options);
  }

  /** No receive starts any more (Messaging.stopReceiving); close() then waits only for those still in flight. */
  stopReceiving(): void {
    this.#client.leave();
  }

  /**
   * Messages being handled finish and are settled; no other listener call starts: a FIFO message waiting
   * for its next in-place retry, and every message not started, is handed back unacknowledged (push-client.ts).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#calls.running > 0)
      this.#options.logger.info(
        { group: this.group, running: this.#calls.running },
        'push consumer closing: waiting for the messages being handled',
      );
    this.#client.leave();
    await this.#calls.close();
    await this.#client.shutdown().catch((error: Error) => this.#options.logger.warn({ err: error }, 'push consumer shutdown'));
  }
}

/** Back-off of in-place FIFO retries: 1 s, 2 s, 4 s … at most 30 s (the message's invisible time must not run out). */
export const fifoRetryDelayMs = (attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 30_000);

/** At most `n` listener calls at once; the rest wait their turn. */
function limiter(n: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
