import {
  Consumer,
  PushConsumer as ClientPushConsumer,
  type ConsumeService,
  type MessageView,
  type ProcessQueue,
  type PushConsumerOptions as ClientPushConsumerOptions,
} from 'rocketmq-client-nodejs';
import { retryDelayMs } from '../backoff.js';
import { MqError, MqErrorCode } from '../errors.js';

/** How long shutdown() waits for the acks of answered messages, in request timeouts (9 s with the default 3 s). */
export const SETTLE_TIMEOUT_REQUESTS = 3;

/**
 * The official client's PushConsumer, with a shutdown that leaves unfinished messages to redelivery.
 *
 * The client's `shutdown()` polls, with no time limit, until every message it cached has been settled
 * (acked, nacked or dead-lettered). Closing, orderflow settles only the messages whose listener call
 * finished. One waiting for an in-place FIFO retry, not started yet, or received while closing is
 * never answered — acking it would lose it, and a FIFO message answered FAILURE is forwarded to the DLQ
 * — but handed back to the broker unacknowledged, for another consumer of the group or this one
 * restarted; `shutdown()` does not wait for it. The wrapper (push-consumer.ts) calls `answered()` for
 * each message it answers — as the listener call ends, before close() stops waiting for it — and
 * `leftToRedelivery()` for each one it will not handle. The acks of answered messages are waited for,
 * at most SETTLE_TIMEOUT_REQUESTS request timeouts (the client retries a failed ack every second until then).
 */
export class PushClient extends ClientPushConsumer {
  readonly #backoff?: RetryPolicy;

  /**
   * `backoff`: the retry back-off of a concurrent (not FIFO) group, used when the server's policy is one the client
   * cannot apply. The Proxy gives push consumers RocketMQ's delay levels as a customized back-off, which the Node client
   * (1.0.8) does not implement: it then makes a failed message visible again at once, so its retries came every long
   * poll (~5 s apart) instead of after 10 s, 30 s, 1 min … and a group's retries were spent in half a minute. A FIFO
   * group keeps none: the client would retry its messages in place itself, and push-consumer.ts does that.
   */
  constructor(options: ClientPushConsumerOptions, backoff?: { scale: number; maxReconsumeTimes: number }) {
    super(options);
    if (backoff) this.#backoff = new DelayLevelsPolicy(backoff.scale, backoff.maxReconsumeTimes);
  }

  override getRetryPolicy(): RetryPolicy | undefined {
    return super.getRetryPolicy() ?? this.#backoff;
  }

  /** Messages received and not answered yet, with the queue that caches them. */
  readonly #unanswered = new Map<MessageView, ProcessQueue>();
  readonly #handedBack = new Map<MessageView, Promise<void>>();
  readonly #watched = new WeakSet<ProcessQueue>();
  #leaving = false;
  /** When shutdown() stops waiting for the acks of answered messages (epoch ms); none set before shutdown(). */
  #settleBy = Number.POSITIVE_INFINITY;

  /** Receives in flight (long polls): shutdown() waits for them, so that what they bring is handed back. */
  readonly #receiving = new Set<Promise<unknown>>();

  /**
   * From now on no receive starts; messages received are handed back unconsumed, and shutdown() does not wait for
   * unanswered ones.
   */
  leave(): void {
    this.#leaving = true;
  }

  /** The listener answered `message`: the client settles it, and shutdown waits for that. */
  answered(message: MessageView): void {
    this.#unanswered.delete(message);
  }

  /** The listener's answer for a message it will not handle: none, ever (the client must not settle it); it is handed back. */
  leftToRedelivery<T>(message: MessageView): Promise<T> {
    void this.#handBack(message);
    return new Promise<T>(() => {});
  }

  override async shutdown(): Promise<void> {
    this.leave();
    await this.#receivesEnded();
    await Promise.all([...this.#unanswered.keys()].map((message) => this.#handBack(message)));
    await Promise.all(this.#handedBack.values());
    this.#settleBy = Date.now() + SETTLE_TIMEOUT_REQUESTS * this.requestTimeout;
    await super.shutdown();
  }

  protected override createConsumeService(): ConsumeService {
    const service = super.createConsumeService();
    const consume = service.consume.bind(service);
    service.consume = (queue, messages) => {
      this.#watch(queue);
      // A corrupted message is discarded by the service itself, without the listener.
      for (const message of messages) if (!message.corrupted) this.#unanswered.set(message, queue);
      if (!this.#leaving) return consume(queue, messages);
      for (const message of messages) if (!message.corrupted) void this.#handBack(message);
    };
    return service;
  }

  /**
   * Makes `message` visible again once this client's long polls in flight are over (one of them would
   * take it back, for nothing): it is redelivered seconds later rather than after the proxy's default
   * invisible time (60 s). Neither acked nor dead-lettered. Once per message.
   */
  #handBack(message: MessageView): Promise<void> {
    let handing = this.#handedBack.get(message);
    if (!handing) {
      const visibleIn = this.getPushConsumerSettings().getLongPollingTimeout() + this.requestTimeout;
      handing = this.invisibleDuration(message, visibleIn).then(
        () => undefined,
        // It then comes back after its invisible time, as after a crash.
        (error: Error) => this.logger.warn('handing back message %s failed: %s', message.messageId, error.message),
      );
      this.#handedBack.set(message, handing);
    }
    return handing;
  }

  /**
   * Once leaving, the queue's cache count — what shutdown() waits on, without a time limit — leaves out its
   * unanswered messages; past the settle deadline it is 0: an ack still unsent then (the proxy unreachable)
   * is given up, and its message is redelivered, as after a crash.
   */
  #watch(queue: ProcessQueue): void {
    if (this.#watched.has(queue)) return;
    this.#watched.add(queue);
    const cached = queue.cachedMessagesCount.bind(queue);
    queue.cachedMessagesCount = () => {
      if (!this.#leaving) return cached();
      const unsettled = cached() - this.#unansweredIn(queue);
      if (unsettled > 0 && Date.now() > this.#settleBy) {
        this.logger.warn('shutdown: %d answered message(s) not settled in time, left to redelivery', unsettled);
        return 0;
      }
      return unsettled;
    };
  }

  #unansweredIn(queue: ProcessQueue): number {
    let count = 0;
    for (const owner of this.#unanswered.values()) if (owner === queue) count++;
    return count;
  }

  /**
   * Receives are counted here rather than by the client: its shutdown() waits for its count only after its own
   * time-limited wait for cached messages, and would have the listener consume what they bring. Once leaving, no
   * receive starts — the queue's receive loop stops there, its promise never settling — and what the receives in
   * flight bring is handed back (createConsumeService).
   */
  override receiveMessage(...args: Parameters<ClientPushConsumer['receiveMessage']>): Promise<MessageView[]> {
    if (this.#leaving) return new Promise<MessageView[]>(() => {});
    const receiveUncounted = (Consumer.prototype as unknown as Pick<ClientPushConsumer, 'receiveMessage'>).receiveMessage;
    const receiving = receiveUncounted.apply(this, args);
    const tracked = receiving.then(
      () => undefined,
      () => undefined,
    );
    this.#receiving.add(tracked);
    void tracked.then(() => this.#receiving.delete(tracked));
    return receiving;
  }

  /**
   * Waits for the receives in flight, at most a long poll and a request timeout (the client's own bound). A long poll
   * still open when the client shuts down can take messages the client never sees: they would stay invisible for the
   * proxy's invisible time (60 s by default; seen: a message sent just after a close reached the group 67 s later).
   */
  async #receivesEnded(): Promise<void> {
    const bound = this.getPushConsumerSettings().getLongPollingTimeout() + this.requestTimeout;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#receiving),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, bound);
      }),
    ]);
    clearTimeout(timer);
    // The queue's own continuation of a receive that just ended (which hands back what it brought) runs after ours.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

type RetryPolicy = NonNullable<ReturnType<ClientPushConsumer['getRetryPolicy']>>;

/** RocketMQ's delay levels (../backoff.ts) as the client's retry policy: the client asks it how long to hide a failed message. */
export class DelayLevelsPolicy implements RetryPolicy {
  constructor(
    readonly scale: number,
    readonly maxReconsumeTimes: number,
  ) {}
  getMaxAttempts(): number {
    return this.maxReconsumeTimes + 1;
  }
  /**
   * In milliseconds, what the client hands to changeInvisibleDuration (its own exponential policy's doc says seconds).
   * After the last attempt, none: the broker dead-letters a message when it becomes visible again past the group's
   * retryMaxTimes, so waiting the next level would only hold it out of the DLQ (seen: 18 s plus the broker's ~5 s).
   */
  getNextAttemptDelay(attempt: number): number {
    return attempt >= this.getMaxAttempts() ? 0 : retryDelayMs(attempt - 1, this.scale);
  }
  inheritBackoff(): RetryPolicy {
    return this;
  }
  toProtobuf(): never {
    throw new MqError(MqErrorCode.UNSUPPORTED, 'a client-side back-off is not sent to the server');
  }
}
