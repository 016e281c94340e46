import type { TagFilter } from '../filter.js';
import type { ConsumerSubscription, RocketMQAdmin } from './remoting/index.js';

/** What the broker knows of a group's consumers, for message traces. */
export interface GroupConsumers {
  /** Whether a consumer of the group is connected. */
  online: boolean;
  /** The tag filter the online consumers declared for the topic; unset offline, for SQL92, and when not subscribed. */
  filter?: TagFilter;
}

/**
 * Each group's consumers on `topic`, as the broker sees them (GET_CONSUMER_CONNECTION_LIST): gRPC consumers register
 * through the Proxy, so consumers running in other processes count. An offline group has no filter here: the broker
 * keeps no subscription of an offline group, and the filter it comes back with is the one that will decide. SQL92
 * filters are not evaluated here. A group the broker could not be asked about is left out.
 */
export async function groupConsumers(remote: RocketMQAdmin, topic: string, groups: string[]): Promise<Map<string, GroupConsumers>> {
  const out = new Map<string, GroupConsumers>();
  await Promise.all(
    groups.map(async (group) => {
      const subscriptions = await remote.consumerSubscriptions(group).then(
        (s) => s ?? null, // null: asked, no consumer online
        () => undefined, // not known
      );
      if (subscriptions === undefined) return;
      const onTopic = subscriptions?.find((s) => s.topic === topic);
      out.set(group, { online: subscriptions !== null, ...(onTopic?.expressionType === 'TAG' ? { filter: tagFilterOf(onTopic) } : {}) });
    }),
  );
  return out;
}

/** A TAG subscription as the broker matches it: `*` (or nothing) takes every message, else the message's tag must be listed. */
export function tagFilterOf(subscription: ConsumerSubscription): TagFilter {
  const expression = subscription.expression.trim();
  const everything = expression === '' || expression === '*';
  const tags = new Set(subscription.tags);
  return { expression, accepts: (tag) => everything || (tag !== undefined && tags.has(tag)) };
}
