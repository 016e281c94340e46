/**
 * Message look-ups of the admin (what mqadmin queryMsgByKey / queryMsgByUniqueKey / queryMsgById do,
 * MQAdminImpl.queryMessage in 5.3.x): QUERY_MESSAGE to every master of the topic's route, then the client
 * filters, because the broker's index is a hash of `topic#key` and may return collisions.
 * The index is built asynchronously after the store: a message is findable by key a few ms after its send.
 */
import { invalidArgument, isMqError, MqErrorCode } from '../../errors.js';
import type { DecodedMessage, QueryMessagesOptions } from './admin-types.js';
import type { ClientPool } from './client-pool.js';
import { RemotingResponseError } from './errors.js';
import { decodeMessages, parseOffsetMsgId } from './message-decoder.js';
import { Property, RequestCode, ResponseCode } from './protocol.js';

const LONG_MAX = '9223372036854775807';

export interface MessageQueries {
  queryMessagesByKey(topic: string, key: string, options?: QueryMessagesOptions): Promise<DecodedMessage[]>;
  queryMessageById(topic: string, msgId: string, options?: QueryMessagesOptions): Promise<DecodedMessage | undefined>;
  viewMessage(offsetMsgId: string): Promise<DecodedMessage | undefined>;
}

/**
 * Where RocketMQ keeps a message before it reaches its topic, indexed under THAT topic's name (its real
 * topic is the REAL_TOPIC property): delayed messages until due (TimerMessageStore), transactional ones
 * until committed (TransactionalMessageBridge).
 */
const STAGING = [
  { topic: 'rmq_sys_wheel_timer', staged: 'SCHEDULED' },
  { topic: 'RMQ_SYS_TRANS_HALF_TOPIC', staged: 'HALF' },
] as const;

/** `topicMasters` resolves the master addresses holding a topic (throws topic-not-found). */
export function createMessageQueries(pool: ClientPool, topicMasters: (topic: string) => Promise<string[]>): MessageQueries {
  /** QUERY_MESSAGE for `key` in the index of `indexTopic` on each of its masters; keeps what `keep` accepts. */
  async function search(
    indexTopic: string,
    key: string,
    unique: boolean,
    options: QueryMessagesOptions,
    keep: (m: DecodedMessage) => boolean,
  ) {
    const addresses = await topicMasters(indexTopic);
    const extFields = {
      topic: indexTopic,
      key,
      maxNum: options.max ?? 32,
      beginTimestamp: options.begin === undefined ? 0 : +options.begin,
      endTimestamp: options.end === undefined ? LONG_MAX : +options.end,
      // MixAll.UNIQUE_MSG_QUERY_FLAG: search the UNIQ_KEY index entries instead of KEYS ones
      _UNIQUE_KEY_QUERY: String(unique),
    };
    const what = unique ? `query message ${key} in '${indexTopic}'` : `query messages with key '${key}' in '${indexTopic}'`;
    const settled = await Promise.allSettled(
      addresses.map((address) =>
        pool.call(address, { code: RequestCode.QUERY_MESSAGE, extFields }, { accept: [ResponseCode.QUERY_NOT_FOUND], what }),
      ),
    );
    // one broker down should not hide what the others have; all down is an error
    if (settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
    const found: DecodedMessage[] = [];
    for (const s of settled) {
      if (s.status !== 'fulfilled' || s.value.code !== ResponseCode.SUCCESS || !s.value.body) continue;
      // the index is a hash of topic#key: collisions come back too, hence the filter
      for (const m of decodeMessages(s.value.body)) if (keep(m) && (unique ? m.msgId === key : m.keys.includes(key))) found.push(m);
    }
    return found;
  }

  async function query(topic: string, key: string, unique: boolean, options: QueryMessagesOptions): Promise<DecodedMessage[]> {
    if (!key) throw invalidArgument(unique ? 'msgId' : 'key', 'must not be empty');
    const found = await search(topic, key, unique, options, (m) => m.topic === topic);
    if (options.includeStaged) {
      const arrived = new Set(found.map((m) => m.msgId));
      for (const { topic: staging, staged } of STAGING) {
        const hits = await search(staging, key, unique, options, (m) => m.properties[Property.REAL_TOPIC] === topic).catch(
          (error: unknown) => (isMqError(error, MqErrorCode.TOPIC_NOT_FOUND) ? [] : Promise.reject(error)),
        );
        // a staged copy stays after its message arrived in the topic: report the message once, as arrived
        for (const m of hits) if (!arrived.has(m.msgId)) found.push({ ...m, staged });
      }
    }
    const seen = new Set<string>();
    const distinct = found.filter((m) => !seen.has(m.offsetMsgId) && seen.add(m.offsetMsgId));
    distinct.sort((a, b) => a.storeTimestamp.getTime() - b.storeTimestamp.getTime() || a.commitLogOffset - b.commitLogOffset);
    return distinct.slice(0, options.max ?? 32);
  }

  return {
    queryMessagesByKey: (topic, key, options = {}) => query(topic, key, false, options),

    async queryMessageById(topic, msgId, options = {}) {
      // several hits mean the same id was stored more than once (a producer retry after a lost answer):
      // return the latest copy
      const hits = await query(topic, msgId, true, { ...options, max: options.max ?? 32 });
      return hits.at(-1);
    },

    async viewMessage(offsetMsgId) {
      const id = parseOffsetMsgId(offsetMsgId);
      if (!id) throw invalidArgument('offsetMsgId', `'${offsetMsgId}' is not an offset message id (32 or 56 hex chars)`);
      const response = await pool.call(
        id.address,
        { code: RequestCode.VIEW_MESSAGE_BY_ID, extFields: { offset: id.offset.toString() } },
        { accept: [ResponseCode.SYSTEM_ERROR], what: `view message ${offsetMsgId}` },
      );
      if (response.code !== ResponseCode.SUCCESS) {
        // QueryMessageProcessor answers SYSTEM_ERROR "can not find message by the offset, N" for an unknown offset
        if (/can not find message/i.test(response.remark ?? '')) return undefined;
        throw new RemotingResponseError(RequestCode.VIEW_MESSAGE_BY_ID, id.address, response.code, response.remark);
      }
      return response.body ? decodeMessages(response.body)[0] : undefined;
    },
  };
}
