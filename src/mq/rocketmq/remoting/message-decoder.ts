/**
 * Decodes messages in RocketMQ's commit-log layout (MessageDecoder.decode, 5.3.x), which is what
 * QUERY_MESSAGE (several, back to back) and VIEW_MESSAGE_BY_ID (one) return as their body:
 *
 *  totalSize i32 | magic i32 | bodyCRC i32 | queueId i32 | flag i32 | queueOffset i64 | commitLogOffset i64
 *  | sysFlag i32 | bornTimestamp i64 | bornHost (4|16 bytes ip + i32 port) | storeTimestamp i64
 *  | storeHost (4|16 + i32) | reconsumeTimes i32 | preparedTransactionOffset i64
 *  | bodyLength i32 + body | topicLength (i8, or i16 for magic V2) + topic | propertiesLength i16 + properties
 *
 * Properties are `name\x01value\x02` pairs. The id a client knows (gRPC messageId, Java msgId) is the
 * UNIQ_KEY property; the "offsetMsgId" is hex(storeHost ip + port + commitLogOffset) and locates the
 * message on its broker (VIEW_MESSAGE_BY_ID).
 */
import { decompressBody } from './compression.js';
import { KEY_SEPARATOR, Property } from './protocol.js';
import { MqError, MqErrorCode } from '../../errors.js';

const MAGIC_V1 = -626843481; // daa320a7
const MAGIC_V2 = -626843477; // topic length on 2 bytes (topics > 127 bytes)
const BORNHOST_V6_FLAG = 1 << 4;
const STOREHOST_V6_FLAG = 1 << 5;

export interface DecodedMessage {
  /** The id producers and consumers see: UNIQ_KEY, or the offsetMsgId for messages sent without one. */
  msgId: string;
  /** Broker address + commit log offset, hex (32 chars for IPv4): input of viewMessage. */
  offsetMsgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  tags?: string;
  keys: string[];
  properties: Record<string, string>;
  body: Buffer;
  /** Set when the body is still compressed because this runtime cannot inflate it (e.g. zstd on Node < 22). */
  bodyCompression?: string;
  bornTimestamp: Date;
  storeTimestamp: Date;
  bornHost: string;
  storeHost: string;
  reconsumeTimes: number;
  sysFlag: number;
  flag: number;
  preparedTransactionOffset: number;
  /** Set by queries with includeStaged for a copy found in a staging topic: not delivered yet / not committed. */
  staged?: 'SCHEDULED' | 'HALF';
}

/** Bytes from the broker that do not parse: a protocol fault, not worth retrying. */
export class MessageDecodeError extends MqError {
  override readonly name = 'MessageDecodeError';
  constructor(message: string) {
    super(MqErrorCode.UNAVAILABLE, message);
  }
}

/** Decodes every message in `buf` (QUERY_MESSAGE body). Throws on a truncated or corrupt message. */
export function decodeMessages(buf: Buffer): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 4) throw new MessageDecodeError(`${buf.length - pos} stray bytes after message ${out.length}`);
    const size = buf.readInt32BE(pos);
    if (size <= 0 || pos + size > buf.length) {
      throw new MessageDecodeError(`message ${out.length} claims ${size} bytes, ${buf.length - pos} left`);
    }
    out.push(decodeMessage(buf.subarray(pos, pos + size)));
    pos += size;
  }
  return out;
}

/** Decodes one message occupying all of `buf`. */
export function decodeMessage(buf: Buffer): DecodedMessage {
  let p = 0;
  const i32 = () => ((p += 4), buf.readInt32BE(p - 4));
  const i64 = () => ((p += 8), buf.readBigInt64BE(p - 8));
  const bytes = (n: number) => {
    if (n < 0 || p + n > buf.length) throw new MessageDecodeError(`field of ${n} bytes overruns the ${buf.length}-byte message at ${p}`);
    return buf.subarray(p, (p += n));
  };
  const host = (v6: boolean) => {
    const ip = bytes(v6 ? 16 : 4);
    return { ip, port: i32() };
  };
  try {
    i32(); // total size
    const magic = i32();
    if (magic !== MAGIC_V1 && magic !== MAGIC_V2) throw new MessageDecodeError(`bad magic code ${magic.toString(16)}`);
    i32(); // body CRC
    const queueId = i32();
    const flag = i32();
    const queueOffset = Number(i64());
    const commitLogOffset = i64();
    const sysFlag = i32();
    const bornTimestamp = new Date(Number(i64()));
    const born = host((sysFlag & BORNHOST_V6_FLAG) !== 0);
    const storeTimestamp = new Date(Number(i64()));
    const store = host((sysFlag & STOREHOST_V6_FLAG) !== 0);
    const reconsumeTimes = i32();
    const preparedTransactionOffset = Number(i64());
    const rawBody = Buffer.from(bytes(i32()));
    const topicLength = magic === MAGIC_V2 ? buf.readInt16BE((p += 2) - 2) : buf.readInt8((p += 1) - 1);
    const topic = bytes(topicLength).toString('utf8');
    const propertiesLength = buf.readUInt16BE((p += 2) - 2);
    const properties = parseProperties(bytes(propertiesLength).toString('utf8'));
    const { body, compression } = decompressBody(rawBody, sysFlag);
    const offsetMsgId = createOffsetMsgId(store.ip, store.port, commitLogOffset);
    return {
      msgId: properties[Property.UNIQ_KEY] ?? offsetMsgId,
      offsetMsgId,
      topic,
      queueId,
      queueOffset,
      commitLogOffset: Number(commitLogOffset),
      tags: properties[Property.TAGS],
      keys: (properties[Property.KEYS] ?? '').split(KEY_SEPARATOR).filter((k) => k.length > 0),
      properties,
      body,
      ...(compression ? { bodyCompression: compression } : {}),
      bornTimestamp,
      storeTimestamp,
      bornHost: formatHost(born.ip, born.port),
      storeHost: formatHost(store.ip, store.port),
      reconsumeTimes,
      sysFlag,
      flag,
      preparedTransactionOffset,
    };
  } catch (error) {
    if (error instanceof MessageDecodeError) throw error;
    throw new MessageDecodeError(`corrupt message: ${(error as Error).message}`);
  }
}

/** MessageDecoder.string2messageProperties: pairs with an empty name or value are skipped, as in Java. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split('\u0002')) {
    const sep = pair.indexOf('\u0001');
    if (sep > 0 && sep < pair.length - 1) out[pair.slice(0, sep)] = pair.slice(sep + 1);
  }
  return out;
}

export function createOffsetMsgId(ip: Uint8Array, port: number, commitLogOffset: bigint): string {
  const b = Buffer.alloc(ip.length + 12);
  Buffer.from(ip).copy(b, 0);
  b.writeInt32BE(port, ip.length);
  b.writeBigInt64BE(commitLogOffset, ip.length + 4);
  return b.toString('hex').toUpperCase(); // UtilAll.bytes2string: upper-case hex
}

/** MessageDecoder.decodeMessageId: the broker address and commit log offset inside an offsetMsgId. */
export function parseOffsetMsgId(id: string): { address: string; offset: bigint } | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(id) || (id.length !== 32 && id.length !== 56)) return undefined;
  const b = Buffer.from(id, 'hex');
  const ipLength = id.length === 32 ? 4 : 16;
  return { address: formatHost(b.subarray(0, ipLength), b.readInt32BE(ipLength)), offset: b.readBigInt64BE(ipLength + 4) };
}

function formatHost(ip: Uint8Array, port: number): string {
  if (ip.length === 4) return `${ip.join('.')}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] << 8) | ip[i + 1]).toString(16));
  return `[${groups.join(':')}]:${port}`;
}
