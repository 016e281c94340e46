/**
 * Turns the JSON bodies of admin responses into typed values. Every body goes through parseFastjson, because
 * some are not strict JSON (ClusterInfo's `brokerAddrs:{0:"..."}`, ConsumeStats' object-keyed offsetTable),
 * and missing fields fall back to the Java defaults rather than failing.
 */
import type {
  BrokerInfo,
  BrokerTopic,
  BrokerTopicType,
  ConsumerSubscription,
  QueueData,
  QueueOffsets,
  SubscriptionGroup,
  TopicBacklog,
  TopicRoute,
} from './admin-types.js';
import { asArray, asRecord, parseFastjson } from './fastjson.js';
import { MASTER_ID, MESSAGE_TYPE_ATTRIBUTE } from './protocol.js';

const num = (v: unknown, dflt = 0): number => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : dflt);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));
const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : dflt);

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(asRecord(v))) if (x != null) out[k] = str(x);
  return out;
}

function brokerInfo(v: unknown): BrokerInfo {
  const r = asRecord(v);
  const brokerAddrs = strings(r.brokerAddrs);
  return { brokerName: str(r.brokerName), cluster: str(r.cluster), brokerAddrs, masterAddr: brokerAddrs[MASTER_ID] };
}

/** GET_BROKER_CLUSTER_INFO body (ClusterInfo). */
export function parseClusterInfo(body: Buffer | undefined): { brokers: BrokerInfo[]; clusters: Record<string, string[]> } {
  const r = asRecord(parseFastjson(body ?? '{}'));
  const brokers = Object.values(asRecord(r.brokerAddrTable)).map(brokerInfo);
  const clusters: Record<string, string[]> = {};
  for (const [name, members] of Object.entries(asRecord(r.clusterAddrTable))) clusters[name] = asArray(members).map(str);
  return { brokers, clusters };
}

/** GET_ROUTEINFO_BY_TOPIC body (TopicRouteData). */
export function parseTopicRoute(topic: string, body: Buffer | undefined): TopicRoute {
  const r = asRecord(parseFastjson(body ?? '{}'));
  const queues: QueueData[] = asArray(r.queueDatas).map((q) => {
    const x = asRecord(q);
    return {
      brokerName: str(x.brokerName),
      readQueueNums: num(x.readQueueNums),
      writeQueueNums: num(x.writeQueueNums),
      perm: num(x.perm),
      topicSysFlag: num(x.topicSysFlag),
    };
  });
  return { topic, brokers: asArray(r.brokerDatas).map(brokerInfo), queues };
}

const SYSTEM_TOPICS = new Set([
  'TBW102',
  'SCHEDULE_TOPIC_XXXX',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
  'CHECKPOINT_TOPIC',
]);

/** TopicValidator.isSystemTopic, plus group topics and the topics named after clusters and brokers. */
export function isSystemTopic(name: string, clusterAndBrokerNames: ReadonlySet<string>): boolean {
  return (
    SYSTEM_TOPICS.has(name) ||
    name.startsWith('rmq_sys_') ||
    name.startsWith('%RETRY%') ||
    name.startsWith('%DLQ%') ||
    clusterAndBrokerNames.has(name)
  );
}

export function topicTypeOf(attributes: Record<string, string>): BrokerTopicType {
  const t = attributes[MESSAGE_TYPE_ATTRIBUTE];
  return t === 'FIFO' || t === 'DELAY' || t === 'TRANSACTION' || t === 'MIXED' ? t : 'NORMAL';
}

/** GET_ALL_TOPIC_CONFIG body (TopicConfigAndMappingSerializeWrapper): one broker's topicConfigTable. */
export function parseTopicConfigTable(body: Buffer | undefined, brokerName: string, names: ReadonlySet<string>): BrokerTopic[] {
  const table = asRecord(asRecord(parseFastjson(body ?? '{}')).topicConfigTable);
  return Object.entries(table).map(([key, v]) => {
    const t = asRecord(v);
    const attributes = strings(t.attributes);
    const name = str(t.topicName) || key;
    return {
      name,
      type: topicTypeOf(attributes),
      readQueueNums: num(t.readQueueNums),
      writeQueueNums: num(t.writeQueueNums),
      perm: num(t.perm),
      attributes,
      brokers: [brokerName],
      system: isSystemTopic(name, names),
    };
  });
}

/** GET_ALL_SUBSCRIPTIONGROUP_CONFIG body (SubscriptionGroupManager: subscriptionGroupTable by name). */
export function parseSubscriptionGroupTable(body: Buffer | undefined): SubscriptionGroup[] {
  const table = asRecord(asRecord(parseFastjson(body ?? '{}')).subscriptionGroupTable);
  return Object.values(table).map(subscriptionGroup);
}

/** One SubscriptionGroupConfig (also the body of GET_SUBSCRIPTIONGROUP_CONFIG). */
export function subscriptionGroup(v: unknown): SubscriptionGroup {
  const raw = asRecord(v);
  return {
    groupName: str(raw.groupName),
    consumeEnable: bool(raw.consumeEnable, true),
    consumeMessageOrderly: bool(raw.consumeMessageOrderly, false),
    consumeBroadcastEnable: bool(raw.consumeBroadcastEnable, true),
    retryMaxTimes: num(raw.retryMaxTimes, 16),
    retryQueueNums: num(raw.retryQueueNums, 1),
    raw,
  };
}

/**
 * GET_CONSUME_STATS body (ConsumeStats). offsetTable is keyed by MessageQueue objects, which the tolerant
 * parser hands back as their JSON text. Returns the queues grouped by topic.
 */
export function parseConsumeStats(group: string, body: Buffer | undefined): TopicBacklog[] {
  const table = asRecord(asRecord(parseFastjson(body ?? '{}')).offsetTable);
  const byTopic = new Map<string, TopicBacklog>();
  for (const [key, v] of Object.entries(table)) {
    let mq: Record<string, unknown>;
    try {
      mq = asRecord(JSON.parse(key));
    } catch {
      continue; // not a MessageQueue key: nothing we can attribute
    }
    const o = asRecord(v);
    const topic = str(mq.topic);
    const queue: QueueOffsets = {
      brokerName: str(mq.brokerName),
      queueId: num(mq.queueId),
      brokerOffset: num(o.brokerOffset),
      consumerOffset: num(o.consumerOffset),
      pullOffset: num(o.pullOffset),
      ...(num(o.lastTimestamp) > 0 ? { lastTimestamp: new Date(num(o.lastTimestamp)) } : {}),
    };
    let entry = byTopic.get(topic);
    if (!entry) byTopic.set(topic, (entry = { topic, group, backlog: 0, queues: [] }));
    entry.queues.push(queue);
    entry.backlog += Math.max(0, queue.brokerOffset - queue.consumerOffset);
  }
  for (const entry of byTopic.values()) {
    entry.queues.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  }
  return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}

/** Merges the per-broker stats of the same topic (a topic spread over several brokers). */
export function mergeBacklogs(parts: TopicBacklog[]): TopicBacklog[] {
  const byTopic = new Map<string, TopicBacklog>();
  for (const p of parts) {
    const e = byTopic.get(p.topic);
    if (!e) byTopic.set(p.topic, { ...p, queues: [...p.queues] });
    else {
      e.backlog += p.backlog;
      e.queues.push(...p.queues);
    }
  }
  return [...byTopic.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}

/** QUERY_TOPIC_CONSUME_BY_WHO body (GroupList). */
export function parseGroupList(body: Buffer | undefined): string[] {
  return asArray(asRecord(parseFastjson(body ?? '{}')).groupList).map(str);
}

/** GET_CONSUMER_CONNECTION_LIST body (ConsumerConnection): the group's subscriptionTable, topic → SubscriptionData. */
export function parseConsumerSubscriptions(body: Buffer | undefined): ConsumerSubscription[] {
  const table = asRecord(asRecord(parseFastjson(body ?? '{}')).subscriptionTable);
  return Object.entries(table).map(([topic, v]) => {
    const s = asRecord(v);
    return {
      topic: str(s.topic) || topic,
      expressionType: str(s.expressionType) || 'TAG', // SubscriptionData's default
      expression: str(s.subString),
      tags: asArray(s.tagsSet).map(str),
    };
  });
}
