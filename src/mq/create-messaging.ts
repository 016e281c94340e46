import { invalidArgument } from './errors.js';
import type { EmbeddedOptions } from './embedded/options.js';
import type { RocketMQOptions } from './rocketmq/options.js';
import { checkNamespace, withNamespace } from './namespace.js';
import type { Messaging } from './types.js';

/** `namespace`: the deployment's topics and groups are stored as `<namespace>_<name>` (./namespace.ts); none by default. */
export type MessagingOptions = (({ engine?: 'embedded' } & EmbeddedOptions) | ({ engine: 'rocketmq' } & RocketMQOptions)) & {
  namespace?: string;
};

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
  const namespace = options?.namespace;
  if (namespace !== undefined && namespace !== '') checkNamespace(namespace);
  if (engine === 'embedded') {
    const { createEmbeddedMessaging } = await import('./embedded/index.js');
    return withNamespace(await createEmbeddedMessaging(options as EmbeddedOptions), namespace);
  }
  if (engine === 'rocketmq') {
    const { createRocketMQMessaging } = await import('./rocketmq/index.js');
    return withNamespace(await createRocketMQMessaging(options as RocketMQOptions), namespace);
  }
  throw invalidArgument('engine', `must be 'embedded' or 'rocketmq', not '${String(engine)}'`);
}
