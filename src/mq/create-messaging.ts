import { invalidArgument } from './errors.js';
import type { EmbeddedOptions } from './embedded/options.js';
import type { RocketMQOptions } from './rocketmq/options.js';
import type { Messaging } from './types.js';

export type MessagingOptions = ({ engine?: 'embedded' } & EmbeddedOptions) | ({ engine: 'rocketmq' } & RocketMQOptions);

/**
 * Creates the messaging engine: the embedded broker (default) or Apache RocketMQ 5.x.
 * The application uses the returned API only and never branches on the engine.
 *
 * @example
 * const mq = await createMessaging({ engine: 'embedded', dataDir: './data/mq' });
 * await mq.admin.createTopic({ name: 'demo', type: 'NORMAL', queues: 4 });
 * const producer = await mq.producer();
 * const result = await producer.send({ topic: 'demo', tag: 'A', body: 'hello' });
 */
export async function createMessaging(options: MessagingOptions): Promise<Messaging> {
  const engine = options?.engine ?? 'embedded';
  if (engine === 'embedded') {
    const { createEmbeddedMessaging } = await import('./embedded/index.js');
    return createEmbeddedMessaging(options as EmbeddedOptions);
  }
  if (engine === 'rocketmq') {
    const { createRocketMQMessaging } = await import('./rocketmq/index.js');
    return createRocketMQMessaging(options as RocketMQOptions);
  }
  throw invalidArgument('engine', `must be 'embedded' or 'rocketmq', not '${String(engine)}'`);
}
