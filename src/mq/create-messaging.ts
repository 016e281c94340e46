import { invalidArgument } from './errors.js';
import type { EmbeddedOptions } from './embedded/options.js';
import type { Messaging } from './types.js';

export type MessagingOptions =
  | ({ engine?: 'embedded' } & EmbeddedOptions)
  | ({ engine: 'rocketmq' } & Record<string, unknown>);

/**
 * Creates the messaging engine: the embedded broker (default) or Apache RocketMQ.
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
    throw invalidArgument('engine', "'rocketmq' is not available in this build yet (see issue: Real RocketMQ)");
  }
  throw invalidArgument('engine', `must be 'embedded' or 'rocketmq', not '${String(engine)}'`);
}
