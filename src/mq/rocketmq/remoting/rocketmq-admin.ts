/**
 * RocketMQ administration over the remoting protocol, i.e. what mqadmin does (DefaultMQAdminExtImpl, 5.3.x),
 * for the engine: the gRPC client (rocketmq-client-nodejs) has no admin calls.
 *
 * Addresses: route and cluster data come from the NameServer; topic/group configs, offsets and messages
 * live on each broker, so those calls go to every MASTER (brokerAddrs["0"]), as mqadmin's `-c cluster` does.
 * In the local setup (Proxy in local mode) the broker listens on 127.0.0.1:10911; the proxy's own remoting
 * port (8080) is not used.
 */
import { invalidArgument, MqError, MqErrorCode, topicNotFound } from '../../errors.js';
import { createMessageQueries } from './admin-messages.js';
import {
  mergeBacklogs,
  parseClusterInfo,
  parseConsumeStats,
  parseConsumerSubscriptions,
  parseGroupList,
  parseSubscriptionGroupTable,
  parseTopicConfigTable,
  parseTopicRoute,
} from './admin-parsers.js';
import type {
  BrokerInfo,
  BrokerTopic,
  BrokerTopicType,
  PullResult,
  RocketMQAdmin,
  RocketMQAdminOptions,
  SubscriptionGroup,
  TopicRoute,
} from './admin-types.js';
import { ClientPool } from './client-pool.js';
import { decodeMessages } from './message-decoder.js';
import { MESSAGE_TYPE_ATTRIBUTE, PERM_READ, PERM_WRITE, PULL_FLAG_SUBSCRIPTION, RequestCode, ResponseCode } from './protocol.js';

const TOPIC_NAME = /^[%|a-zA-Z0-9_-]{1,127}$/; // TopicValidator: these characters, at most 127
const GROUP_NAME = /^[%|a-zA-Z0-9_-]{1,255}$/;
/** The broker's topic types (its message.type attribute): the messaging API's TOPIC_TYPES, plus MIXED (enableMixedMessageType). */
const BROKER_TOPIC_TYPES: readonly BrokerTopicType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'];
/**
 * The group PULL_MESSAGE runs as: the broker needs an existing group (autoCreateSubscriptionGroup would make it,
 * we create it explicitly). Pulls never carry FLAG_COMMIT_OFFSET, and the pull offset the broker keeps is this
 * group's own, so no real group's progress moves.
 */
export const ADMIN_READER_GROUP = 'orderflow_admin_reader';

export function createRocketMQAdmin(options: RocketMQAdminOptions): RocketMQAdmin {
  const namesrv = options.namesrv?.trim();
  if (!namesrv || !/^\S+:\d+$/.test(namesrv)) throw invalidArgument('namesrv', `must be host:port, got '${options.namesrv}'`);
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool = new ClientPool(timeoutMs);

  async function cluster(): Promise<{ brokers: BrokerInfo[]; names: Set<string> }> {
    const response = await pool.call(namesrv, { code: RequestCode.GET_BROKER_CLUSTER_INFO }, { what: 'get cluster info' });
    const info = parseClusterInfo(response.body);
    const brokers = info.brokers.filter((b) => !options.cluster || b.cluster === options.cluster);
    return { brokers, names: new Set([...Object.keys(info.clusters), ...info.brokers.map((b) => b.brokerName)]) };
  }

  /** Masters of the cluster; none registered is an error (the broker registers ~10 s after its start). */
  async function masters(): Promise<{ brokerName: string; addr: string }[]> {
    const { brokers } = await cluster();
    const found = brokers.flatMap((b) => (b.masterAddr ? [{ brokerName: b.brokerName, addr: b.masterAddr }] : []));
    if (found.length === 0) {
      const scope = options.cluster ? `cluster '${options.cluster}'` : 'any cluster';
      throw new MqError(
        MqErrorCode.UNAVAILABLE,
        `no master broker of ${scope} is registered with the NameServer ${namesrv}: is the broker up? It registers ~10 s after starting`,
        { retriable: true, details: { namesrv } },
      );
    }
    return found;
  }

  async function topicRoute(name: string): Promise<TopicRoute | undefined> {
    const response = await pool.call(
      namesrv,
      // acceptStandardJsonOnly: quoted map keys (our version field already asks for it; older servers read this)
      { code: RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: { topic: name, acceptStandardJsonOnly: true } },
      { accept: [ResponseCode.TOPIC_NOT_EXIST], what: `get route of topic '${name}'` },
    );
    return response.code === ResponseCode.TOPIC_NOT_EXIST ? undefined : parseTopicRoute(name, response.body);
  }

  async function topicMasters(topic: string): Promise<string[]> {
    const route = await topicRoute(topic);
    const addrs = (route?.brokers ?? []).flatMap((b) => (b.masterAddr ? [b.masterAddr] : []));
    if (addrs.length === 0) throw topicNotFound(topic);
    return addrs;
  }

  /** Polls the NameServer until the route lists every broker the topic was created on. */
  async function awaitRoute(name: string, brokerNames: string[]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const route = await topicRoute(name);
      const listed = new Set(route?.queues.map((q) => q.brokerName));
      if (brokerNames.every((b) => listed.has(b))) return;
      if (Date.now() >= deadline) {
        throw new MqError(
          MqErrorCode.TIMEOUT,
          `topic '${name}' was created but the NameServer ${namesrv} did not serve its route within ${timeoutMs} ms`,
          {
            retriable: true,
            details: { topic: name, brokers: brokerNames },
          },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function listGroups(): Promise<SubscriptionGroup[]> {
    const merged = new Map<string, SubscriptionGroup>();
    for (const t of await masters()) {
      const response = await pool.call(t.addr, { code: RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG }, { what: 'list groups' });
      for (const g of parseSubscriptionGroupTable(response.body)) if (!merged.has(g.groupName)) merged.set(g.groupName, g);
    }
    return [...merged.values()].sort((a, b) => a.groupName.localeCompare(b.groupName));
  }

  const messages = createMessageQueries(pool, topicMasters);
  let readerGroup: Promise<void> | undefined;

  const api: RocketMQAdmin = {
    async clusterBrokers() {
      const out: Record<string, string> = {};
      for (const b of (await cluster()).brokers) if (b.masterAddr) out[b.brokerName] = b.masterAddr;
      return out;
    },

    async createTopic(name, type, queues = 8) {
      if (!TOPIC_NAME.test(name)) throw invalidArgument('topic', `'${name}' must be 1-127 characters of [%|a-zA-Z0-9_-]`);
      if (!BROKER_TOPIC_TYPES.includes(type))
        throw invalidArgument('type', `must be one of ${BROKER_TOPIC_TYPES.join(', ')}, got '${type}'`);
      if (!Number.isInteger(queues) || queues < 1 || queues > 1024) throw invalidArgument('queues', 'must be an integer in 1..1024');
      const targets = await masters();
      const extFields = {
        topic: name,
        defaultTopic: 'TBW102', // TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC, what mqadmin sends
        readQueueNums: queues,
        writeQueueNums: queues,
        perm: PERM_READ | PERM_WRITE,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false, // 4.x ordered-topic flag (namesrv orderConf); 5.x FIFO is the message.type attribute
        attributes: `+${MESSAGE_TYPE_ATTRIBUTE}=${type}`,
      };
      for (const t of targets) {
        await pool.call(t.addr, { code: RequestCode.UPDATE_AND_CREATE_TOPIC, extFields }, { what: `create topic '${name}' (${type})` });
      }
      await awaitRoute(
        name,
        targets.map((t) => t.brokerName),
      );
      return { name, type, queues, brokers: targets.map((t) => t.addr) };
    },

    topicRoute,

    async listTopics({ includeSystem = false } = {}) {
      const { brokers, names } = await cluster();
      const merged = new Map<string, BrokerTopic>();
      for (const b of brokers) {
        if (!b.masterAddr) continue;
        const response = await pool.call(b.masterAddr, { code: RequestCode.GET_ALL_TOPIC_CONFIG }, { what: 'list topics' });
        for (const t of parseTopicConfigTable(response.body, b.brokerName, names)) {
          const seen = merged.get(t.name);
          if (seen) seen.brokers.push(b.brokerName);
          else merged.set(t.name, t);
        }
      }
      return [...merged.values()].filter((t) => includeSystem || !t.system).sort((a, b) => a.name.localeCompare(b.name));
    },

    async createSubscriptionGroup(group, { fifo = false, retryMaxTimes = 16, broadcast = true } = {}) {
      if (!GROUP_NAME.test(group)) throw invalidArgument('group', `'${group}' must be 1-255 characters of [%|a-zA-Z0-9_-]`);
      if (!Number.isInteger(retryMaxTimes) || retryMaxTimes < 0) throw invalidArgument('retryMaxTimes', 'must be an integer >= 0');
      // the whole SubscriptionGroupConfig replaces the stored one; fields left out take the Java defaults
      const body = Buffer.from(
        JSON.stringify({
          groupName: group,
          consumeEnable: true,
          consumeFromMinEnable: true,
          consumeBroadcastEnable: broadcast,
          consumeMessageOrderly: fifo,
          retryQueueNums: 1,
          retryMaxTimes,
          brokerId: 0,
          whichBrokerWhenConsumeSlowly: 1,
          notifyConsumerIdsChangedEnable: true,
        }),
      );
      for (const t of await masters()) {
        await pool.call(t.addr, { code: RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, body }, { what: `create group '${group}'` });
      }
    },

    async subscriptionGroup(group) {
      return (await listGroups()).find((g) => g.groupName === group);
    },

    listSubscriptionGroups: listGroups,

    async consumeStats(group, topic) {
      const addrs = topic ? await topicMasters(topic) : (await masters()).map((m) => m.addr);
      const parts = [];
      for (const addr of addrs) {
        const response = await pool.call(
          addr,
          { code: RequestCode.GET_CONSUME_STATS, extFields: { consumerGroup: group, topic } },
          { what: `get consume stats of group '${group}'` },
        );
        parts.push(...parseConsumeStats(group, response.body));
      }
      return mergeBacklogs(parts);
    },

    async groupsOfTopic(topic) {
      const groups = new Set<string>();
      for (const addr of await topicMasters(topic)) {
        const response = await pool.call(
          addr,
          { code: RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, extFields: { topic } },
          { what: `query groups of topic '${topic}'` },
        );
        // 5.3.3 indexes an online consumer under the TOPIC's name instead of its group (ConsumerManager
        // .registerConsumer, fixed upstream by apache/rocketmq#9443): drop that phantom "group". Groups with
        // committed offsets come from the offset table and are right.
        for (const g of parseGroupList(response.body)) if (g !== topic) groups.add(g);
      }
      return [...groups].sort();
    },

    async consumerSubscriptions(group) {
      if (!GROUP_NAME.test(group)) throw invalidArgument('group', `'${group}' must be 1-255 characters of [%|a-zA-Z0-9_-]`);
      // a consumer registers with the brokers of its topics: the first master that knows the group answers
      for (const t of await masters()) {
        const response = await pool.call(
          t.addr,
          { code: RequestCode.GET_CONSUMER_CONNECTION_LIST, extFields: { consumerGroup: group } },
          { accept: [ResponseCode.CONSUMER_NOT_ONLINE], what: `get the consumers of group '${group}'` },
        );
        if (response.code === ResponseCode.SUCCESS) return parseConsumerSubscriptions(response.body);
      }
      return undefined;
    },

    ...messages,

    async pullMessages(topic, queueId, offset, max = 32, brokerName) {
      if (!Number.isInteger(queueId) || queueId < 0) throw invalidArgument('queueId', 'must be an integer >= 0');
      if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('offset', 'must be an integer >= 0');
      if (!Number.isInteger(max) || max < 1) throw invalidArgument('max', 'must be an integer >= 1');
      const route = await topicRoute(topic);
      let masterAddr = (route?.brokers ?? []).find(
        (b) => b.masterAddr && (brokerName === undefined || b.brokerName === brokerName),
      )?.masterAddr;
      // A topic the broker made itself (a group's %DLQ% topic, at its first dead letter) is in the broker's topic list
      // before the NameServer has its route (seen: listDeadLetters failing "does not exist" for a while): a caller that
      // names the broker it saw the topic on is served by that broker's master.
      if (!masterAddr && brokerName !== undefined) masterAddr = (await masters()).find((m) => m.brokerName === brokerName)?.addr;
      if (!masterAddr) throw topicNotFound(topic);
      readerGroup ??= api.createSubscriptionGroup(ADMIN_READER_GROUP, { retryMaxTimes: 0 }).catch((error: unknown) => {
        readerGroup = undefined;
        throw error;
      });
      await readerGroup;
      // PullMessageRequestHeader (5.3.x); sysFlag = FLAG_SUBSCRIPTION only: the subscription comes with the request
      // (no online consumer needed), no FLAG_COMMIT_OFFSET (nothing committed), no FLAG_SUSPEND (answer at once).
      const extFields = {
        consumerGroup: ADMIN_READER_GROUP,
        topic,
        queueId,
        queueOffset: offset,
        maxMsgNums: max,
        sysFlag: PULL_FLAG_SUBSCRIPTION,
        commitOffset: 0,
        suspendTimeoutMillis: 0,
        subscription: '*',
        subVersion: 0,
        expressionType: 'TAG',
      };
      const response = await pool.call(
        masterAddr,
        { code: RequestCode.PULL_MESSAGE, extFields },
        {
          accept: [ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED],
          what: `pull messages of '${topic}' queue ${queueId} from offset ${offset}`,
        },
      );
      const h = response.extFields ?? {};
      const num = (v: string | undefined, fallback: number) =>
        v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback;
      const result: PullResult = {
        status:
          response.code === ResponseCode.SUCCESS
            ? 'FOUND'
            : response.code === ResponseCode.PULL_NOT_FOUND
              ? 'NO_NEW_MSG'
              : response.code === ResponseCode.PULL_OFFSET_MOVED
                ? 'OFFSET_MOVED'
                : 'RETRY',
        messages: response.code === ResponseCode.SUCCESS && response.body ? decodeMessages(response.body) : [],
        nextOffset: num(h.nextBeginOffset, offset),
        minOffset: num(h.minOffset, 0),
        maxOffset: num(h.maxOffset, 0),
      };
      return result;
    },

    async updateTopicPerm(topic, perm) {
      const config = (await api.listTopics({ includeSystem: true })).find((t) => t.name === topic);
      if (!config) throw topicNotFound(topic);
      const { brokers } = await cluster();
      const attributes = Object.entries(config.attributes)
        .map(([k, v]) => `+${k}=${v}`)
        .join(',');
      const extFields = {
        topic,
        defaultTopic: 'TBW102',
        readQueueNums: config.readQueueNums,
        writeQueueNums: config.writeQueueNums,
        perm,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
        ...(attributes ? { attributes } : {}),
      };
      for (const b of brokers) {
        if (!b.masterAddr || !config.brokers.includes(b.brokerName)) continue;
        await pool.call(
          b.masterAddr,
          { code: RequestCode.UPDATE_AND_CREATE_TOPIC, extFields },
          { what: `set perm ${perm} on topic '${topic}'` },
        );
      }
    },

    close: () => pool.close(),
  };
  return api;
}
