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
import { DEFAULT_MAX_RECONSUME_TIMES } from '../backoff.js';
import { MqError, MqErrorCode } from '../errors.js';
import { RocketAdmin } from './admin.js';
import { resolveRocketMQOptions, type RocketMQOptions } from './options.js';
import { guardProcess } from './process-guard.js';
import { RocketProducer } from './producer.js';
import { RocketPullConsumer } from './pull-consumer.js';
import { pingProxy } from './proxy-ping.js';
import { RocketPushConsumer } from './push-consumer.js';
import { createRocketMQAdmin } from './remoting/index.js';

export type { RocketMQOptions } from './options.js';

/**
 * The messaging API on Apache RocketMQ 5.x: producing and consuming through the official gRPC
 * client (via the Proxy), the admin side through the remoting protocol (via the NameServer and
 * the brokers). Consumer groups are configured before a consumer starts: FIFO groups are made
 * orderly, and maxReconsumeTimes becomes the group's retryMaxTimes.
 */
export async function createRocketMQMessaging(input: RocketMQOptions): Promise<Messaging> {
  const options = resolveRocketMQOptions(input);
  const remote = createRocketMQAdmin({ namesrv: options.namesrv, timeoutMs: options.requestTimeoutMs });
  const unguard = guardProcess(options.logger);
  const closables = new Closables();
  const track = <T extends { close(): Promise<void> }>(thing: T): T => closables.track(thing);
  // Replays of dead letters and their records go through one producer, made on first use. Its checker commits:
  // a replayed transactional message is committed right after its send anyway.
  let replayer: Promise<Producer> | undefined;
  const admin: RocketAdmin = new RocketAdmin(remote, (): Promise<Producer> => {
    replayer ??= RocketProducer.start(options, { group: 'orderflow_dlq_replayer', transactionChecker: () => 'COMMIT' }, (topic: string) =>
      admin.topicType(topic),
    )
      .then((p) => track(p))
      .catch((error: unknown) => {
        replayer = undefined;
        throw error;
      });
    return replayer;
  });
  /** Configures the group before a consumer starts; returns whether it is a FIFO (orderly) group. */
  const prepareGroup = async (group: string, topics: string[], maxReconsumeTimes?: number) => {
    const types = new Map((await admin.listTopics()).map((t) => [t.name, t.type]));
    const fifo = topics.some((t) => types.get(t) === 'FIFO');
    await remote.createSubscriptionGroup(group, { fifo, retryMaxTimes: maxReconsumeTimes ?? DEFAULT_MAX_RECONSUME_TIMES });
    for (const topic of topics) admin.noteGroup(topic, group);
    return fifo;
  };
  let closing: Promise<void> | undefined;
  let receivingStopped = false;
  return {
    engine: 'rocketmq',
    // RocketMQ's timer is precise to timerPrecisionMs (1 s by default); broadcasting is not in the 5.x gRPC protocol;
    // the Proxy picks the queue of a send itself and does not return it (docs/engines.md).
    capabilities: {
      broadcasting: false,
      delayPrecisionMs: 1_500,
      transactionsCheckBack: true,
      deadLetterAdmin: true,
      sendResultQueue: false,
    },
    admin,
    async producer(producerOptions: ProducerOptions = {}): Promise<Producer> {
      return track(await RocketProducer.start(options, producerOptions, (topic) => admin.topicType(topic)));
    },
    async pushConsumer(consumer: PushConsumerOptions): Promise<PushConsumer> {
      const fifo = await prepareGroup(consumer.group, Object.keys(consumer.subscriptions ?? {}), consumer.maxReconsumeTimes);
      const started = track(await RocketPushConsumer.start(options, consumer, fifo));
      if (receivingStopped) started.stopReceiving();
      return started;
    },
    stopReceiving(): void {
      receivingStopped = true;
      // The push consumers still open are among what the engine tracks for close().
      for (const thing of closables.open()) if (thing instanceof RocketPushConsumer) thing.stopReceiving();
    },
    async pullConsumer(consumer: PullConsumerOptions): Promise<PullConsumer> {
      await prepareGroup(consumer.group, Object.keys(consumer.subscriptions ?? {}), consumer.maxReconsumeTimes);
      return track(await RocketPullConsumer.start(options, consumer));
    },
    async ping(): Promise<void> {
      if (closing) throw new MqError(MqErrorCode.CLOSED, 'this RocketMQ messaging is closed');
      const brokers = async () => {
        if (Object.keys(await remote.clusterBrokers()).length === 0) {
          throw new MqError(MqErrorCode.UNAVAILABLE, `no broker is registered with the NameServer ${options.namesrv}`, { retriable: true });
        }
      };
      await Promise.all([pingProxy(options.endpoints, options.requestTimeoutMs), brokers()]);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await closables.closeAll();
        await remote.close();
        unguard();
      })();
      return closing;
    },
  };
}
