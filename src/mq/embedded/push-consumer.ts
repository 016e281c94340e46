import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_RECONSUME_TIMES } from '../backoff.js';
import { invalidArgument } from '../errors.js';
import type { MqLogger, PushConsumer, PushConsumerOptions } from '../types.js';
import type { Broker } from './broker.js';
import { Consumption, type Delivery } from './consumption.js';

export const DEFAULT_PUSH_CONCURRENCY = 16;
export const DEFAULT_CONSUME_TIMEOUT_MS = 15 * 60_000; // RocketMQ's consumeTimeout

/**
 * Push consumer: a loop takes messages from the group as soon as the listener has room
 * (`concurrency`), runs the listener, and acknowledges SUCCESS or retries RETRY_LATER / a throw.
 */
export class EmbeddedPushConsumer implements PushConsumer {
  readonly group: string;
  readonly #consumption: Consumption;
  readonly #listener: PushConsumerOptions['listener'];
  readonly #concurrency: number;
  readonly #consumeTimeoutMs: number;
  readonly #logger: MqLogger;
  readonly #stop = new AbortController();
  readonly #handlers = new Set<Promise<void>>();
  #inFlight = 0;
  #roomFreed: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();

  private constructor(group: string, consumption: Consumption, options: PushConsumerOptions, logger: MqLogger) {
    this.group = group;
    this.#consumption = consumption;
    this.#listener = options.listener;
    this.#concurrency = options.concurrency ?? DEFAULT_PUSH_CONCURRENCY;
    this.#consumeTimeoutMs = options.consumeTimeoutMs ?? DEFAULT_CONSUME_TIMEOUT_MS;
    this.#logger = logger;
  }

  static async start(broker: Broker, options: PushConsumerOptions): Promise<EmbeddedPushConsumer> {
    checkGroup(options?.group);
    if (typeof options.listener !== 'function') throw invalidArgument('listener', 'must be a function (message) => SUCCESS | RETRY_LATER');
    const concurrency = options.concurrency ?? DEFAULT_PUSH_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw invalidArgument('concurrency', `must be an integer ≥ 1, not ${concurrency}`);
    const model = options.messageModel ?? 'CLUSTERING';
    if (model !== 'CLUSTERING' && model !== 'BROADCASTING')
      throw invalidArgument('messageModel', `must be CLUSTERING or BROADCASTING, not ${model}`);
    // Broadcasting: every member keeps its own progress, under the group name and its instance name.
    const groupKey = model === 'BROADCASTING' ? `${options.group}@${options.instanceName ?? randomUUID()}` : options.group;
    const consumption = await Consumption.open(
      broker,
      groupKey,
      options.subscriptions,
      options.maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME_TIMES,
    );
    const consumer = new EmbeddedPushConsumer(options.group, consumption, options, broker.options.logger);
    consumer.#loop = consumer.#run();
    return consumer;
  }

  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#roomFreed?.();
    await this.#loop;
    await Promise.allSettled([...this.#handlers]); // in-flight messages finish (graceful shutdown)
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const room = this.#concurrency - this.#inFlight;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.#roomFreed = resolve));
        continue;
      }
      let batch: Delivery[];
      try {
        batch = this.#consumption.take(room, this.#consumeTimeoutMs);
      } catch (error) {
        this.#logger.error({ err: error, group: this.group }, 'push consumer: reading messages failed; retrying in 1 s');
        await this.#consumption.wait(1_000, signal);
        continue;
      }
      if (batch.length === 0) {
        await this.#consumption.wait(1_000, signal);
        continue;
      }
      for (const delivery of batch) {
        this.#inFlight++;
        const handler = this.#handle(delivery);
        this.#handlers.add(handler);
        void handler.then(() => this.#handlers.delete(handler));
      }
    }
  }

  async #handle(delivery: Delivery): Promise<void> {
    let result: string | undefined;
    let reason = 'listener returned RETRY_LATER';
    try {
      result = await this.#listener(delivery.view);
      if (result !== 'SUCCESS' && result !== 'RETRY_LATER') {
        this.#logger.warn({ group: this.group, result }, "listener returned neither 'SUCCESS' nor 'RETRY_LATER': RETRY_LATER");
      }
    } catch (error) {
      reason = `listener threw: ${(error as Error)?.message ?? String(error)}`;
      this.#logger.warn({ err: error, group: this.group, messageId: delivery.view.messageId }, 'listener threw: RETRY_LATER');
    }
    try {
      if (result === 'SUCCESS') this.#consumption.ack(delivery);
      else await this.#consumption.retryLater(delivery, reason);
    } catch (error) {
      this.#logger.warn({ err: error, group: this.group, messageId: delivery.view.messageId }, 'push consumer: settling a message failed');
    } finally {
      this.#inFlight--;
      const wake = this.#roomFreed;
      this.#roomFreed = undefined;
      wake?.();
    }
  }
}

export function checkGroup(group: unknown): asserts group is string {
  if (typeof group !== 'string' || !/^[a-zA-Z0-9_-]{1,255}$/.test(group)) {
    throw invalidArgument('group', `must be 1–255 letters, digits, '_' or '-', not ${JSON.stringify(group)}`);
  }
}
