/**
 * Wire format of RocketMQ's "remoting" protocol (RemotingCommand.encode/decode, 5.3.x):
 *
 *   int32 total length (everything after this field)
 *   int32 (serializeType << 24) | headerLength      serializeType 0 = JSON, 1 = ROCKETMQ (binary)
 *   header (headerLength bytes)
 *   body   (the rest)
 *
 * All integers big-endian. We always SEND JSON headers (what the Java client does by default), but DECODE
 * both header types: a broker started with -Drocketmq.serialize.type=ROCKETMQ answers in the binary form.
 */
import { MqError, MqErrorCode } from '../../errors.js';

/** `flag` bit 0: the frame is a response; bit 1: one-way request (no response expected). */
export const FLAG_RESPONSE = 1 << 0;
export const FLAG_ONEWAY = 1 << 1;

/**
 * `version` of our requests. Servers branch on it: the NameServer only quotes the numeric map keys of
 * route data (BrowserCompatible + QuoteFieldNames) for clients >= V4_9_4. 479 = MQVersion.Version.V5_3_3.ordinal().
 */
export const CLIENT_VERSION = 479;
/** Frames above this are treated as a corrupt stream rather than buffered (RocketMQ's own cap is 16 MiB). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface RemotingCommand {
  code: number;
  opaque: number;
  flag: number;
  /** Header fields; RocketMQ sends every custom-header value as a string. */
  extFields: Record<string, string>;
  remark?: string;
  language?: string;
  version?: number;
  body?: Buffer;
}

/** Bytes from the broker that do not parse: a protocol fault, not worth retrying. */
export class FrameError extends MqError {
  override readonly name = 'FrameError';
  constructor(message: string) {
    super(MqErrorCode.UNAVAILABLE, message);
  }
}

/** Encodes a request/response with a JSON header. Undefined ext fields are dropped (Java skips nulls). */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const extFields: Record<string, string> = {};
  for (const [k, v] of Object.entries(cmd.extFields)) if (v !== undefined && v !== null) extFields[k] = String(v);
  const header = Buffer.from(
    JSON.stringify({
      code: cmd.code,
      // JAVA, not NODE_JS: brokers older than 5.x have no NODE_JS in their LanguageCode enum and fail to parse it
      language: cmd.language ?? 'JAVA',
      version: cmd.version ?? CLIENT_VERSION,
      opaque: cmd.opaque,
      flag: cmd.flag,
      ...(cmd.remark === undefined ? {} : { remark: cmd.remark }),
      extFields,
      serializeTypeCurrentRPC: 'JSON',
    }),
    'utf8',
  );
  const body = cmd.body ?? Buffer.alloc(0);
  const frame = Buffer.allocUnsafe(8 + header.length + body.length);
  frame.writeInt32BE(4 + header.length + body.length, 0);
  frame.writeInt32BE(header.length & 0xffffff, 4); // serialize type 0 = JSON in the top byte
  header.copy(frame, 8);
  body.copy(frame, 8 + header.length);
  return frame;
}

/** Decodes one frame WITHOUT its leading length field (what FrameDecoder yields). */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new FrameError(`frame of ${frame.length} bytes is too short`);
  const mark = frame.readUInt32BE(0);
  const type = mark >>> 24;
  const headerLength = mark & 0xffffff;
  if (headerLength > frame.length - 4) throw new FrameError(`bad header length ${headerLength} in a ${frame.length}-byte frame`);
  const headerBytes = frame.subarray(4, 4 + headerLength);
  const cmd = type === 0 ? decodeJsonHeader(headerBytes) : type === 1 ? decodeBinaryHeader(headerBytes) : undefined;
  if (!cmd) throw new FrameError(`unknown serialize type ${type}`);
  // copy: the frame may be a view into a larger socket buffer we keep no reference to
  if (frame.length > 4 + headerLength) cmd.body = Buffer.from(frame.subarray(4 + headerLength));
  return cmd;
}

function decodeJsonHeader(bytes: Buffer): RemotingCommand {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new FrameError(`header is not JSON: ${(error as Error).message}`);
  }
  const extFields: Record<string, string> = {};
  if (h.extFields && typeof h.extFields === 'object') {
    for (const [k, v] of Object.entries(h.extFields as Record<string, unknown>)) if (v != null) extFields[k] = String(v);
  }
  return {
    code: Number(h.code),
    opaque: Number(h.opaque),
    flag: Number(h.flag ?? 0),
    extFields,
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    language: typeof h.language === 'string' ? h.language : undefined,
    version: typeof h.version === 'number' ? h.version : undefined,
  };
}

/** RocketMQSerializable.rocketMQProtocolDecode: fixed fields, then length-prefixed remark and ext fields. */
function decodeBinaryHeader(b: Buffer): RemotingCommand {
  let p = 0;
  const code = b.readInt16BE(p);
  const languageCode = b.readUInt8(p + 2);
  const version = b.readInt16BE(p + 3);
  const opaque = b.readInt32BE(p + 5);
  const flag = b.readInt32BE(p + 9);
  p = 13;
  const remarkLength = b.readInt32BE(p);
  p += 4;
  const remark = remarkLength > 0 ? b.toString('utf8', p, p + remarkLength) : undefined;
  p += Math.max(remarkLength, 0);
  const extLength = b.readInt32BE(p);
  p += 4;
  const end = p + extLength;
  const extFields: Record<string, string> = {};
  while (p < end) {
    const kl = b.readInt16BE(p);
    const key = b.toString('utf8', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = b.readInt32BE(p);
    extFields[key] = b.toString('utf8', p + 4, p + 4 + vl);
    p += 4 + vl;
  }
  return { code, opaque, flag, extFields, remark, language: String(languageCode), version };
}

/**
 * Reassembles frames from TCP chunks: a frame may arrive split over several chunks, and one chunk may hold
 * several frames (or the end of one and the start of the next). Yields frames without the length field.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        // "HTTP" read as a length is 1.2 GB: a web server or proxy answered, not a RocketMQ remoting port
        const http = head.toString('latin1') === 'HTTP' ? ': the peer speaks HTTP, not RocketMQ remoting (wrong port?)' : '';
        throw new FrameError(`frame length ${length} exceeds ${MAX_FRAME_BYTES}${http}`);
      }
      if (this.buffered < 4 + length) break;
      const all = this.take(4 + length);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered;
  }

  reset(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
