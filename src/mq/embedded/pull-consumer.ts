import { DEFAULT_MAX_RECONSUME_TIMES } from '../backoff.js';
import { closedError, invalidArgument } from '../errors.js';
import type { MessageView, PullConsumer, PullConsumerOptions } from '../types.js';
import type { Broker } from './broker.js';
import { Consumption } from './consumption.js';
import { checkGroup } from './push-consumer.js';

export const DEFAULT_INVISIBLE_DURATION_MS = 30_000;
export const MAX_RECEIVE = 1_024;

/** Pull (simple) consumer: the application asks for messages and acknowledges each one. */
export class EmbeddedPullConsumer implements PullConsumer {
  readonly group: string;
  readonly #consumption: Consumption;
  readonly #invisibleMs: number;
  readonly #closing = new AbortController();

  private constructor(group: string, consumption: Consumption, invisibleMs: number) {
    this.group = group;
    this.#consumption = consumption;
    this.#invisibleMs = invisibleMs;
  }

  static async start(broker: Broker, options: PullConsumerOptions): Promise<EmbeddedPullConsumer> {
    checkGroup(options?.group);
    const invisibleMs = options.invisibleDurationMs ?? DEFAULT_INVISIBLE_DURATION_MS;
    checkDuration('invisibleDurationMs', invisibleMs);
    const consumption = await Consumption.open(
      broker,
      options.group,
      options.subscriptions,
      options.maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME_TIMES,
    );
    return new EmbeddedPullConsumer(options.group, consumption, invisibleMs);
  }

  async receive(max = 16, waitMs = 0): Promise<MessageView[]> {
    if (this.#closing.signal.aborted) throw closedError('this pull consumer');
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE)
      throw invalidArgument('max', `must be an integer from 1 to ${MAX_RECEIVE}, not ${max}`);
    if (typeof waitMs !== 'number' || !(waitMs >= 0)) throw invalidArgument('waitMs', `must be a number ≥ 0, not ${waitMs}`);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const batch = this.#consumption.take(max, this.#invisibleMs);
      if (batch.length > 0) return batch.map((d) => d.view);
      const left = deadline - Date.now();
      if (left <= 0 || this.#closing.signal.aborted) return [];
      await this.#consumption.wait(left, this.#closing.signal);
    }
  }

  async ack(message: MessageView): Promise<void> {
    this.#consumption.ack(this.#consumption.fromReceipt(message));
  }

  async changeInvisibleDuration(message: MessageView, durationMs: number): Promise<void> {
    checkDuration('durationMs', durationMs, 0);
    this.#consumption.postpone(this.#consumption.fromReceipt(message), Date.now() + durationMs);
  }

  async close(): Promise<void> {
    this.#closing.abort();
  }
}

function checkDuration(name: string, value: unknown, min = 1): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalidArgument(name, `must be a number of milliseconds ≥ ${min}, not ${String(value)}`);
  }
}
