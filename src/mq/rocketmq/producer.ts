import { Producer as ClientProducer } from 'rocketmq-client-nodejs';
import definitions from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { closedError, invalidArgument } from '../errors.js';
import { checkMessageType, toOutgoing } from '../message.js';
import type {
  Message,
  Producer,
  ProducerOptions,
  SendCallback,
  SendResult,
  TransactionResolution,
  TransactionSendResult,
  TopicType,
} from '../types.js';
import { fromClientView, toClientMessage, toSendResult } from './convert.js';
import { startClient } from './client-startup.js';
import { fromRocketError } from './errors.js';
import { SendWindow } from './send-window.js';
import { clientLogger, type ResolvedRocketMQOptions } from './options.js';

// A CommonJS module: its enum comes through the default import (a named import fails under ESM).
const ClientResolution = definitions.TransactionResolution;
const TO_CLIENT: Record<TransactionResolution, number> = {
  COMMIT: ClientResolution.COMMIT,
  ROLLBACK: ClientResolution.ROLLBACK,
  UNKNOWN: ClientResolution.TRANSACTION_RESOLUTION_UNSPECIFIED,
};

/**
 * Our producer over the official client's. What the client lacks is built here: async send
 * with callbacks (exactly one, never during the call), one-way send (not awaited, failures
 * counted), batches (sent one by one: the client offers no public batch), and errors mapped.
 */
export class RocketProducer implements Producer {
  readonly #client: ClientProducer;
  readonly #options: ResolvedRocketMQOptions;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Every send goes through it (send-window.ts): a burst waits here rather than timing out in the client. */
  readonly #window = new SendWindow();
  #onewayFailures = 0;
  #closed = false;

  readonly #topicType: (topic: string) => Promise<TopicType | undefined>;

  private constructor(
    client: ClientProducer,
    options: ResolvedRocketMQOptions,
    topicType: (topic: string) => Promise<TopicType | undefined>,
  ) {
    this.#client = client;
    this.#options = options;
    this.#topicType = topicType;
  }

  static async start(
    options: ResolvedRocketMQOptions,
    producerOptions: ProducerOptions,
    topicType: (topic: string) => Promise<TopicType | undefined>,
  ): Promise<RocketProducer> {
    const checker = producerOptions.transactionChecker;
    if (checker !== undefined && typeof checker !== 'function') throw invalidArgument('transactionChecker', 'must be a function');
    const client = new ClientProducer({
      endpoints: options.endpoints,
      namespace: '', // namespaces are the messaging API's own (../namespace.ts)
      requestTimeout: options.requestTimeoutMs,
      logger: clientLogger(options.logger),
      topic: producerOptions.topics,
      checker: checker && {
        async check(view) {
          try {
            return TO_CLIENT[(await checker(fromClientView(view))) ?? 'UNKNOWN'] ?? TO_CLIENT.UNKNOWN;
          } catch (error) {
            options.logger.warn({ err: error }, 'transactionChecker threw: UNKNOWN');
            return TO_CLIENT.UNKNOWN;
          }
        },
      },
    });
    await startClient(client, { endpoints: options.endpoints, topic: producerOptions.topics?.join(',') });
    return new RocketProducer(client, options, topicType);
  }

  get onewayFailures(): number {
    return this.#onewayFailures;
  }

  async send(message: Message): Promise<SendResult> {
    if (this.#closed) throw closedError('this producer');
    const out = toOutgoing(message);
    return this.#track(
      this.#window
        .run(() => this.#client.send(toClientMessage(out)))
        .then(
          (receipt) => toSendResult(receipt, out),
          (error: unknown) => {
            throw fromRocketError(error, { topic: out.topic, endpoints: this.#options.endpoints });
          },
        ),
    );
  }

  sendAsync(message: Message, callback: SendCallback): void {
    if (!callback || typeof callback.onSuccess !== 'function' || typeof callback.onException !== 'function') {
      throw invalidArgument('callback', 'must have onSuccess(result) and onException(error) functions');
    }
    this.send(message).then(
      (result) => this.#safely(() => callback.onSuccess(result)),
      (error: Error) => this.#safely(() => callback.onException(error)),
    );
  }

  sendOneway(message: Message): void {
    this.send(message).catch((error: Error) => {
      this.#onewayFailures++;
      this.#options.logger.warn({ err: error, topic: message?.topic }, 'one-way send failed');
    });
  }

  async sendBatch(messages: Message[]): Promise<SendResult[]> {
    if (!Array.isArray(messages) || messages.length === 0) throw invalidArgument('messages', 'must be a non-empty array');
    const outs = messages.map((m) => toOutgoing(m));
    if (outs.some((o) => o.topic !== outs[0].topic)) throw invalidArgument('messages', 'of one batch must share one topic');
    // The client has no public batch send: every message is checked against the topic first, so a
    // bad one stores none; a broker failure part-way can still leave some stored (docs/engines.md).
    const type = await this.#topicType(outs[0].topic);
    if (type === undefined)
      throw fromRocketError(new Error('TOPIC_NOT_FOUND'), { topic: outs[0].topic, endpoints: this.#options.endpoints });
    for (const out of outs) checkMessageType(out, type);
    // Sent one by one, so the messages of one message group go one after the other: sent at once, two
    // of them could be stored in either order and a FIFO consumer would get them out of order. Different
    // groups (and messages without one) go in parallel.
    const results = new Array<SendResult>(messages.length);
    const lanes = new Map<string | number, number[]>();
    outs.forEach((out, i) => {
      const lane = out.messageGroup ?? i;
      const indexes = lanes.get(lane);
      if (indexes) indexes.push(i);
      else lanes.set(lane, [i]);
    });
    await Promise.all(
      [...lanes.values()].map(async (indexes) => {
        for (const i of indexes) results[i] = await this.send(messages[i]);
      }),
    );
    return results;
  }

  async sendInTransaction(
    message: Message,
    executeLocalTransaction: (result: SendResult) => TransactionResolution | Promise<TransactionResolution>,
  ): Promise<TransactionSendResult> {
    if (this.#closed) throw closedError('this producer');
    const out = toOutgoing(message, true);
    let transaction;
    try {
      transaction = this.#client.beginTransaction();
    } catch (error) {
      throw invalidArgument('producer', `needs a transactionChecker for transactional sends (${(error as Error).message})`);
    }
    let receipt;
    try {
      receipt = await this.#client.send(toClientMessage(out), transaction);
    } catch (error) {
      throw fromRocketError(error, { topic: out.topic, endpoints: this.#options.endpoints });
    }
    const half = toSendResult(receipt, out, true);
    let resolution: TransactionResolution;
    try {
      resolution = await executeLocalTransaction(half);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'local transaction threw: UNKNOWN, left to the check-back');
      resolution = 'UNKNOWN';
    }
    if (resolution === 'COMMIT' || resolution === 'ROLLBACK') {
      // Not waited for, as RocketMQ's own producers end a transaction (one-way): the local transaction's
      // outcome is already durable, and an end that is lost or fails leaves the half message to the
      // broker's check-back, which asks the transactionChecker. Waiting would add a round trip to every
      // transactional send (the order system's pay). close() waits for the ends still on their way.
      const ending = resolution === 'COMMIT' ? transaction.commit() : transaction.rollback();
      void this.#track(
        ending.catch((error: unknown) => {
          this.#options.logger.warn({ err: error, messageId: half.messageId }, 'ending the transaction failed: left to the check-back');
        }),
      );
    }
    return { ...half, resolution };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#client.shutdown().catch((error: Error) => this.#options.logger.warn({ err: error }, 'producer shutdown'));
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const forget = () => this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#options.logger.error({ err: error }, 'a send callback threw');
    }
  }
}
