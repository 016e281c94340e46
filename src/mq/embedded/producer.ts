import { closedError, invalidArgument } from '../errors.js';
import { toOutgoingKeepingText } from '../message.js';
import type {
  Message,
  MqLogger,
  Producer,
  ProducerOptions,
  SendCallback,
  SendResult,
  TransactionResolution,
  TransactionSendResult,
} from '../types.js';
import type { Broker } from './broker.js';
import type { Transactions } from './transactions.js';

export class EmbeddedProducer implements Producer {
  readonly #broker: Broker;
  readonly #transactions: Transactions;
  readonly #logger: MqLogger;
  readonly #group: string;
  readonly #unregister: () => void;
  readonly #inFlight = new Set<Promise<unknown>>();
  #onewayFailures = 0;
  #closed = false;

  constructor(broker: Broker, transactions: Transactions, options: ProducerOptions) {
    this.#broker = broker;
    this.#transactions = transactions;
    this.#logger = broker.options.logger;
    this.#group = options.group ?? 'DEFAULT_PRODUCER';
    if (options.transactionChecker !== undefined && typeof options.transactionChecker !== 'function') {
      throw invalidArgument('transactionChecker', 'must be a function (message) => COMMIT | ROLLBACK | UNKNOWN');
    }
    this.#unregister = options.transactionChecker ? transactions.registerChecker(this.#group, options.transactionChecker) : () => {};
  }

  get onewayFailures(): number {
    return this.#onewayFailures;
  }

  send(message: Message): Promise<SendResult> {
    return new Promise((resolve, reject) => this.#send(message, resolve, reject));
  }

  sendAsync(message: Message, callback: SendCallback): void {
    if (!callback || typeof callback.onSuccess !== 'function' || typeof callback.onException !== 'function') {
      throw invalidArgument('callback', 'must have onSuccess(result) and onException(error) functions');
    }
    // Exactly one callback, never during this call: a throw inside onSuccess is logged, not turned into onException.
    this.#send(
      message,
      (result) => this.#safely(() => callback.onSuccess(result), 'onSuccess'),
      (error) => queueMicrotask(() => this.#safely(() => callback.onException(error), 'onException')),
    );
  }

  sendOneway(message: Message): void {
    this.#send(message, noop, (error) => {
      this.#onewayFailures++;
      this.#logger.warn({ err: error, topic: message?.topic }, 'one-way send failed');
    });
  }

  /** The one send path: validation, then the group commit, results through callbacks (no promise). */
  #send(message: Message, resolve: (result: SendResult) => void, reject: (error: Error) => void): void {
    let record;
    try {
      this.#assertOpen();
      const out = toOutgoingKeepingText(message);
      const topic = this.#broker.existingTopicFor(out);
      if (!topic) {
        // autoCreateTopics: the slow path, once per new topic.
        this.#track(this.#broker.topicFor(out).then((t) => this.#broker.store([this.#broker.record(out, t)]))).then(
          ([result]) => resolve(result),
          reject,
        );
        return;
      }
      record = this.#broker.record(out, topic);
    } catch (error) {
      return reject(error as Error);
    }
    this.#broker.storeWithCallback(record, resolve, reject);
  }

  async sendBatch(messages: Message[]): Promise<SendResult[]> {
    this.#assertOpen();
    if (!Array.isArray(messages) || messages.length === 0) throw invalidArgument('messages', 'must be a non-empty array');
    const outs = messages.map((m) => toOutgoingKeepingText(m));
    if (outs.some((o) => o.topic !== outs[0].topic)) throw invalidArgument('messages', 'of one batch must share one topic');
    const topic = await this.#broker.topicFor(outs[0]);
    for (const out of outs) await this.#broker.topicFor(out); // type check of each
    return this.#track(this.#broker.store(outs.map((o) => this.#broker.record(o, topic))));
  }

  async sendInTransaction(
    message: Message,
    executeLocalTransaction: (result: SendResult) => TransactionResolution | Promise<TransactionResolution>,
  ): Promise<TransactionSendResult> {
    this.#assertOpen();
    if (typeof executeLocalTransaction !== 'function') {
      throw invalidArgument('executeLocalTransaction', 'must be a function returning COMMIT, ROLLBACK or UNKNOWN');
    }
    return this.#track(this.#transactions.send(toOutgoingKeepingText(message, true), this.#group, executeLocalTransaction));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#broker.log.drained(); // sends made before close() are stored
    this.#unregister();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError('this producer');
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const forget = () => this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #safely(fn: () => void, name: string): void {
    try {
      fn();
    } catch (error) {
      this.#logger.error({ err: error }, `sendAsync ${name} callback threw`);
    }
  }
}

const noop = () => {};
