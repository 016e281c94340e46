import { Closables } from '../closables.js';
import type {
  Messaging,
  Producer,
  ProducerOptions,
  PullConsumer,
  PullConsumerOptions,
  PushConsumer,
  PushConsumerOptions,
} from '../types.js';
import { EmbeddedAdmin } from './admin.js';
import { Broker } from './broker.js';
import { resolveEmbeddedOptions, type EmbeddedOptions } from './options.js';
import { EmbeddedProducer } from './producer.js';
import { EmbeddedPullConsumer } from './pull-consumer.js';
import { EmbeddedPushConsumer } from './push-consumer.js';
import { Transactions } from './transactions.js';

export type { EmbeddedOptions } from './options.js';

/** The embedded broker as a Messaging engine: in-process, durable on SQLite. */
export function createEmbeddedMessaging(options: EmbeddedOptions): Messaging {
  const broker = new Broker(resolveEmbeddedOptions(options));
  const transactions = new Transactions(broker);
  const admin = new EmbeddedAdmin(broker);
  const closables = new Closables();
  const track = <T extends { close(): Promise<void> }>(thing: T): T => closables.track(thing);
  let closing: Promise<void> | undefined;

  return {
    engine: 'embedded',
    capabilities: { broadcasting: true, delayPrecisionMs: 100, transactionsCheckBack: true, deadLetterAdmin: true, sendResultQueue: true },
    admin,
    async producer(producerOptions: ProducerOptions = {}): Promise<Producer> {
      broker.assertOpen();
      return track(new EmbeddedProducer(broker, transactions, producerOptions));
    },
    async pushConsumer(consumerOptions: PushConsumerOptions): Promise<PushConsumer> {
      return track(await EmbeddedPushConsumer.start(broker, consumerOptions));
    },
    async pullConsumer(consumerOptions: PullConsumerOptions): Promise<PullConsumer> {
      return track(await EmbeddedPullConsumer.start(broker, consumerOptions));
    },
    // In this process: down only once closed.
    stopReceiving(): void {
      // Its consumers take messages from the store in this process: closing one waits for nothing but its listeners.
    },
    async ping(): Promise<void> {
      broker.assertOpen();
    },
    close(): Promise<void> {
      closing ??= (async () => {
        // Consumers first (in-flight messages finish), then producers (pending sends land), then the store.
        await closables.closeAll();
        transactions.close();
        await broker.close();
      })();
      return closing;
    },
  };
}
