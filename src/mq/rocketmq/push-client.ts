import {
  Consumer,
  PushConsumer as ClientPushConsumer,
  type ConsumeService,
  type MessageView,
  type ProcessQueue,
} from 'rocketmq-client-nodejs';

/**
 * The official client's PushConsumer, with a shutdown that leaves unfinished messages to redelivery.
 *
 * The client's `shutdown()` polls, with no time limit, until every message it cached has been settled
 * (acked, nacked or dead-lettered). Closing, orderflow settles only the messages whose listener call
 * finished. One waiting for an in-place FIFO retry, not started yet, or received while closing is
 * never answered — acking it would lose it, and a FIFO message answered FAILURE is forwarded to the DLQ
 * — but handed back to the broker unacknowledged, for another consumer of the group or this one
 * restarted; `shutdown()` does not wait for it. The wrapper (push-consumer.ts) calls `answered()` for
 * each message it answers and `leftToRedelivery()` for each one it will not handle.
 */
export class PushClient extends ClientPushConsumer {
  /** Messages received and not answered yet, with the queue that caches them. */
  readonly #unanswered = new Map<MessageView, ProcessQueue>();
  readonly #handedBack = new Map<MessageView, Promise<void>>();
  readonly #watched = new WeakSet<ProcessQueue>();
  #leaving = false;

  /** From now on, messages received are handed back unconsumed, and shutdown() does not wait for unanswered ones. */
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
    await Promise.all([...this.#unanswered.keys()].map((message) => this.#handBack(message)));
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

  /** Once leaving, the queue's cache count — what shutdown() waits on — leaves out its unanswered messages. */
  #watch(queue: ProcessQueue): void {
    if (this.#watched.has(queue)) return;
    this.#watched.add(queue);
    const cached = queue.cachedMessagesCount.bind(queue);
    queue.cachedMessagesCount = () => (this.#leaving ? cached() - this.#unansweredIn(queue) : cached());
  }

  #unansweredIn(queue: ProcessQueue): number {
    let count = 0;
    for (const owner of this.#unanswered.values()) if (owner === queue) count++;
    return count;
  }

  /**
   * The client counts its long polls in flight and shutdown() waits for them — up to the proxy's longest
   * long poll, 20 s by default — so that what they bring is consumed. Once leaving, orderflow hands back
   * what they bring instead, so the poll is made without that count.
   */
  override receiveMessage(...args: Parameters<ClientPushConsumer['receiveMessage']>): Promise<MessageView[]> {
    const receiveUncounted = (Consumer.prototype as unknown as Pick<ClientPushConsumer, 'receiveMessage'>).receiveMessage;
    return receiveUncounted.apply(this, args);
  }
}
