import { SimpleConsumer, type MessageView as ClientMessageView } from 'rocketmq-client-nodejs';
import { closedError, invalidArgument } from '../errors.js';
import type { MessageView, PullConsumer, PullConsumerOptions } from '../types.js';
import { fromClientView } from './convert.js';
import { startClient } from './client-startup.js';
import { fromRocketError } from './errors.js';
import { clientLogger, type ResolvedRocketMQOptions } from './options.js';

/**
 * Pull consumer over the client's SimpleConsumer. The client long-polls for a fixed time; a
 * shorter `waitMs` returns [] while the poll goes on, and what it brings is handed to the next
 * receive() — never dropped.
 */
export class RocketPullConsumer implements PullConsumer {
  readonly group: string;
  readonly #client: SimpleConsumer;
  readonly #options: ResolvedRocketMQOptions;
  readonly #invisibleMs: number;
  readonly #views = new WeakMap<MessageView, ClientMessageView>();
  #pending: Promise<ClientMessageView[]> | undefined;
  #closed = false;

  private constructor(group: string, client: SimpleConsumer, options: ResolvedRocketMQOptions, invisibleMs: number) {
    this.group = group;
    this.#client = client;
    this.#options = options;
    this.#invisibleMs = invisibleMs;
  }

  static async start(options: ResolvedRocketMQOptions, consumer: PullConsumerOptions): Promise<RocketPullConsumer> {
    const invisibleMs = Math.max(consumer.invisibleDurationMs ?? 30_000, options.minInvisibleMs);
    const client = new SimpleConsumer({
      endpoints: options.endpoints,
      namespace: '', // namespaces are the messaging API's own (../namespace.ts)
      requestTimeout: options.requestTimeoutMs,
      logger: clientLogger(options.logger),
      consumerGroup: consumer.group,
      subscriptions: new Map(Object.entries(consumer.subscriptions ?? {})),
      awaitDuration: options.longPollMs,
    });
    await startClient(client, { endpoints: options.endpoints, topic: Object.keys(consumer.subscriptions ?? {}).join(',') });
    return new RocketPullConsumer(consumer.group, client, options, invisibleMs);
  }

  async receive(max = 16, waitMs = 0): Promise<MessageView[]> {
    if (this.#closed) throw closedError('this pull consumer');
    if (!Number.isInteger(max) || max < 1 || max > 32)
      throw invalidArgument('max', `must be an integer from 1 to 32 on RocketMQ, not ${max}`);
    this.#pending ??= this.#client.receive(max, this.#invisibleMs).catch((error: unknown) => {
      this.#options.logger.warn({ err: error, group: this.group }, 'receive failed; will retry');
      return [];
    });
    const pending = this.#pending;
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(0, waitMs)).unref());
    const got = await Promise.race([pending, timeout]);
    if (got === undefined) return [];
    this.#pending = undefined;
    return got.map((view) => {
      const ours = fromClientView(view);
      this.#views.set(ours, view);
      return ours;
    });
  }

  async ack(message: MessageView): Promise<void> {
    try {
      await this.#client.ack(this.#clientView(message));
    } catch (error) {
      throw fromRocketError(error, { endpoints: this.#options.endpoints, topic: message.topic });
    }
  }

  async changeInvisibleDuration(message: MessageView, durationMs: number): Promise<void> {
    const view = this.#clientView(message);
    try {
      await this.#client.changeInvisibleDuration(view, Math.max(durationMs, 1_000));
      message.receiptHandle = view.receiptHandle;
    } catch (error) {
      throw fromRocketError(error, { endpoints: this.#options.endpoints, topic: message.topic });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.shutdown().catch((error: Error) => this.#options.logger.warn({ err: error }, 'pull consumer shutdown'));
  }

  #clientView(message: MessageView): ClientMessageView {
    const view = this.#views.get(message);
    if (!view) throw invalidArgument('message', 'was not received by this consumer');
    return view;
  }
}
