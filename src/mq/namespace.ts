/**
 * A namespace for the messaging API: every topic and group name a deployment uses is stored on the broker as
 * `<namespace>_<name>`, and only its own names are seen through it. Several deployments (staging beside production, or
 * test clusters one after another) can then share one RocketMQ without one consuming what another sent, while the
 * systems keep their plain names (`order_paid`, `push-system`).
 *
 * Written here rather than left to RocketMQ's own namespaces: the 5.x Proxy reads the gRPC client's namespace header
 * but does not apply it to topic routes (5.3.3 answers "No topic route info" for a namespaced client), and the broker
 * strips a `ns%` prefix from names in places (apache/rocketmq#9878). A prefix of our own is an ordinary name to the
 * broker, the same on both engines, and visible as such in RocketMQ's console.
 */
import { invalidArgument, MqError, MqErrorCode } from './errors.js';
import type {
  Admin,
  MessageTrace,
  Message,
  MessageView,
  Messaging,
  Producer,
  PullConsumer,
  PushConsumer,
  SendResult,
  Subscriptions,
  TransactionSendResult,
} from './types.js';

/** Letters, digits and '-': no '_', so the first '_' of a stored name ends its namespace and names never collide. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
/** What the engines list by default, and a bound for "all" (the embedded engine's own for a replay). */
const DEFAULT_LETTERS = 100;
const ALL_LETTERS = 100_000;

export function checkNamespace(namespace: string, property = 'namespace'): string {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw invalidArgument(property, `'${namespace}' may hold only letters, digits and '-' (1–32 characters)`);
  }
  return namespace;
}

/** The mapping between a deployment's names and the broker's. */
export class NameMapping {
  readonly #prefix: string;
  constructor(namespace: string) {
    this.#prefix = `${checkNamespace(namespace)}_`;
  }
  /** The broker's name for one of ours. */
  in(name: string): string {
    return this.#prefix + name;
  }
  /** `in` for a name given by a caller: anything but a non-empty string is passed on for the engine to refuse. */
  given<T>(name: T): T {
    return (typeof name === 'string' && name !== '' ? this.in(name) : name) as T;
  }
  /** Our name for one of the broker's, or undefined when it is another namespace's (or none's). */
  out(name: string): string | undefined {
    return name.startsWith(this.#prefix) ? name.slice(this.#prefix.length) : undefined;
  }
  /** `out`, for a name that can only be ours (what our own producers and consumers are handed). */
  own(name: string): string {
    return this.out(name) ?? name;
  }
}

/** `messaging` seen through `namespace`; '' or undefined gives `messaging` itself. */
export function withNamespace(messaging: Messaging, namespace: string | undefined): Messaging {
  if (!namespace) return messaging;
  const names = new NameMapping(namespace);
  const originals: Originals = new WeakMap();
  return {
    engine: messaging.engine,
    capabilities: messaging.capabilities,
    admin: namespacedAdmin(messaging.admin, names),
    async producer(options = {}) {
      if (!isObject(options)) return messaging.producer(options); // for the engine's own error
      const producer = await messaging.producer({
        ...options,
        group: names.given(options.group),
        topics: Array.isArray(options.topics) ? options.topics.map((t) => names.given(t)) : options.topics,
        transactionChecker: options.transactionChecker && ((view) => options.transactionChecker!(viewOut(view, names, originals))),
      });
      return namespacedProducer(producer, names);
    },
    async pushConsumer(options) {
      if (!isObject(options)) return messaging.pushConsumer(options);
      const consumer = await messaging.pushConsumer({
        ...options,
        group: names.given(options.group),
        subscriptions: subscriptionsIn(options.subscriptions, names),
        listener: (view) => options.listener(viewOut(view, names, originals)),
      });
      return { group: options.group, close: () => consumer.close() } satisfies PushConsumer;
    },
    async pullConsumer(options) {
      if (!isObject(options)) return messaging.pullConsumer(options);
      const consumer = await messaging.pullConsumer({
        ...options,
        group: names.given(options.group),
        subscriptions: subscriptionsIn(options.subscriptions, names),
      });
      return namespacedPullConsumer(consumer, options.group, names, originals);
    },
    ping: () => messaging.ping(),
    stopReceiving: () => messaging.stopReceiving(),
    close: () => messaging.close(),
  };
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;

function subscriptionsIn(subscriptions: Subscriptions, names: NameMapping): Subscriptions {
  // A missing or malformed map is left for the engine to refuse with its own message.
  if (!isObject(subscriptions)) return subscriptions;
  return Object.fromEntries(Object.entries(subscriptions).map(([topic, filter]) => [names.given(topic), filter]));
}

function messageIn(message: Message, names: NameMapping): Message {
  // A message that is not an object, or has no string topic, is passed as it is for the engine's own error.
  if (!isObject(message) || typeof message.topic !== 'string') return message;
  return { ...message, topic: names.given(message.topic) };
}

function resultOut<R extends SendResult>(result: R, names: NameMapping): R {
  return { ...result, topic: names.own(result.topic) };
}

/** The views a namespace hands out keep their engine's original, which ack and changeInvisibleDuration need. */
type Originals = WeakMap<MessageView, MessageView>;

function viewOut(view: MessageView, names: NameMapping, originals: Originals): MessageView {
  const out = { ...view, topic: names.own(view.topic) };
  originals.set(out, view);
  return out;
}

function namespacedProducer(producer: Producer, names: NameMapping): Producer {
  return {
    send: async (message) => resultOut(await producer.send(messageIn(message, names)), names),
    sendAsync: (message, callback) =>
      producer.sendAsync(messageIn(message, names), {
        onSuccess: (result) => callback.onSuccess(resultOut(result, names)),
        onException: (error) => callback.onException(error),
      }),
    sendOneway: (message) => producer.sendOneway(messageIn(message, names)),
    sendBatch: async (messages) =>
      (await producer.sendBatch(Array.isArray(messages) ? messages.map((m) => messageIn(m, names)) : messages)).map((r) =>
        resultOut(r, names),
      ),
    sendInTransaction: async (message, execute): Promise<TransactionSendResult> =>
      resultOut(await producer.sendInTransaction(messageIn(message, names), (result) => execute(resultOut(result, names))), names),
    get onewayFailures() {
      return producer.onewayFailures;
    },
    close: () => producer.close(),
  };
}

function namespacedPullConsumer(consumer: PullConsumer, group: string, names: NameMapping, originals: Originals): PullConsumer {
  const original = (view: MessageView) => originals.get(view) ?? view;
  return {
    group,
    receive: async (max, waitMs) => (await consumer.receive(max, waitMs)).map((view) => viewOut(view, names, originals)),
    ack: (view) => consumer.ack(original(view)),
    changeInvisibleDuration: (view, durationMs) => consumer.changeInvisibleDuration(original(view), durationMs),
    close: () => consumer.close(),
  };
}

function namespacedAdmin(admin: Admin, names: NameMapping): Admin {
  const traceOut = (trace: MessageTrace): MessageTrace | undefined => {
    const topic = names.out(trace.topic);
    if (topic === undefined) return undefined;
    const deliveries = trace.deliveries.flatMap((d) => {
      const group = names.out(d.group);
      return group === undefined ? [] : [{ ...d, group }];
    });
    return { ...trace, topic, deliveries };
  };
  return {
    async createTopic(options) {
      const topic = await admin.createTopic(isObject(options) ? { ...options, name: names.given(options.name) } : options);
      return { ...topic, name: names.own(topic.name) };
    },
    async listTopics() {
      return (await admin.listTopics()).flatMap((t) => {
        const name = names.out(t.name);
        return name === undefined ? [] : [{ ...t, name }];
      });
    },
    async backlog() {
      return (await admin.backlog()).flatMap((b) => {
        const topic = names.out(b.topic);
        const group = names.out(b.group);
        return topic === undefined || group === undefined ? [] : [{ ...b, topic, group }];
      });
    },
    async listDeadLetters(options = {}) {
      // Without a group the engine lists every namespace's letters: take them all, keep ours, then apply the limit.
      const all = options?.group === undefined && (options?.limit === undefined || Number.isInteger(options.limit));
      const letters = await admin.listDeadLetters(all ? { limit: ALL_LETTERS } : { ...options, group: names.given(options?.group) });
      const ours = letters.flatMap((letter) => {
        const group = names.out(letter.group);
        return group === undefined ? [] : [{ ...letter, group, originTopic: names.own(letter.originTopic) }];
      });
      return all ? ours.slice(0, options?.limit ?? DEFAULT_LETTERS) : ours;
    },
    async replayDeadLetter(messageId, group) {
      if (group !== undefined || typeof messageId !== 'string' || messageId === '')
        return admin.replayDeadLetter(messageId, names.given(group));
      // The engine would replay the id in whichever group holds it; from here only this namespace's groups count.
      const waiting = (await admin.listDeadLetters({ limit: ALL_LETTERS })).find(
        (l) => l.messageId === messageId && !l.replayedAt && names.out(l.group) !== undefined,
      );
      if (!waiting)
        throw new MqError(MqErrorCode.MESSAGE_NOT_FOUND, `no dead letter ${messageId} waiting for replay`, { details: { messageId } });
      return admin.replayDeadLetter(messageId, waiting.group);
    },
    async findMessage(messageId) {
      const trace = await admin.findMessage(messageId);
      return trace && traceOut(trace);
    },
    async findMessagesByKey(topic, key, limit) {
      const traces = await admin.findMessagesByKey(names.given(topic), key, limit);
      return traces.flatMap((t) => traceOut(t) ?? []);
    },
  };
}
