import { invalidArgument, MqError, MqErrorCode } from './errors.js';
import type { Message, TopicType } from './types.js';

/** RocketMQ's default maximum message size (4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]{1,127}$/;

/** A message checked and brought to one shape, as the engines store it (the embedded broker keeps a text body as text). */
export interface OutgoingMessage<Body extends Buffer | string = Buffer> {
  topic: string;
  body: Body;
  tag?: string;
  keys: string[];
  properties: Record<string, string>;
  messageGroup?: string;
  deliverAt?: number;
  /** The type of topic this message needs (RocketMQ 5.x checks the same). */
  type: TopicType;
}

export function checkTopicName(name: unknown, property = 'topic'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument(property, 'must be a non-empty string');
  if (!TOPIC_PATTERN.test(name)) {
    throw invalidArgument(property, `'${name}' may hold only letters, digits, '_', '-', '%', '|' (1–127 characters)`);
  }
  return name;
}

/** Validates a message; throws a typed error naming the bad field. Nothing is stored on failure. */
export function toOutgoing(message: Message, transactional = false): OutgoingMessage {
  return checked(message, transactional, toBody);
}

/**
 * As toOutgoing, but a string body is left a string (its bytes are its UTF-8 encoding). SQLite encodes it while
 * binding it, so the embedded broker makes no Buffer of it on the way in: encoding each body into a Buffer of
 * its own, and keeping those Buffers in the broker's tail cache, made a send with a string body cost more than
 * one with a Buffer body (allocations and garbage collection of the Buffers).
 */
export function toOutgoingKeepingText(message: Message, transactional = false): OutgoingMessage<Buffer | string> {
  return checked(message, transactional, toBodyOrText);
}

function checked<Body extends Buffer | string>(
  message: Message,
  transactional: boolean,
  toStored: (body: unknown) => Body,
): OutgoingMessage<Body> {
  if (message === null || typeof message !== 'object') throw invalidArgument('message', 'must be an object');
  const topic = checkTopicName(message.topic, 'message.topic');
  const body = toStored(message.body);
  const { tag, messageGroup } = message;
  if (tag !== undefined && (typeof tag !== 'string' || tag.length === 0 || tag.includes('||') || /\s/.test(tag))) {
    throw invalidArgument('message.tag', 'must be a non-empty string without spaces or "||"');
  }
  const keys = message.keys === undefined ? [] : Array.isArray(message.keys) ? message.keys : [message.keys];
  for (const key of keys) {
    if (typeof key !== 'string' || key.length === 0) throw invalidArgument('message.keys', 'must be non-empty strings');
  }
  const properties = { ...(message.properties ?? {}) };
  for (const [k, v] of Object.entries(properties)) {
    if (typeof v !== 'string') throw invalidArgument(`message.properties.${k}`, 'must be a string');
    if (k.startsWith('__')) throw invalidArgument(`message.properties.${k}`, "is reserved: names starting with '__' belong to the broker");
  }
  if (messageGroup !== undefined && (typeof messageGroup !== 'string' || messageGroup.length === 0)) {
    throw invalidArgument('message.messageGroup', 'must be a non-empty string');
  }
  const deliverAt = toDeliverAt(message.deliverAt);
  if (messageGroup !== undefined && deliverAt !== undefined) {
    throw invalidArgument('message', 'cannot have both messageGroup (FIFO) and deliverAt (delay)');
  }
  if (transactional && (messageGroup !== undefined || deliverAt !== undefined)) {
    throw invalidArgument('message', 'a transactional message cannot have messageGroup or deliverAt');
  }
  const type: TopicType = transactional
    ? 'TRANSACTION'
    : messageGroup !== undefined
      ? 'FIFO'
      : deliverAt !== undefined
        ? 'DELAY'
        : 'NORMAL';
  return { topic, body, tag, keys, properties, messageGroup, deliverAt, type };
}

function toBody(body: unknown): Buffer {
  let buffer: Buffer;
  if (typeof body === 'string') buffer = Buffer.from(body, 'utf8');
  else if (Buffer.isBuffer(body)) buffer = body;
  else if (body instanceof Uint8Array) buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else throw invalidArgument('message.body', 'must be a string, Buffer or Uint8Array');
  checkBodySize(buffer.length);
  return buffer;
}

/** String.prototype.isWellFormed (Node 20), not in the ES2023 library's types. */
type WellFormedCheck = string & { isWellFormed(): boolean };

function toBodyOrText(body: unknown): Buffer | string {
  // A string with a lone surrogate: SQLite would store the surrogate's own bytes where Buffer.from writes
  // U+FFFD, so it goes as bytes, to be stored as it always was.
  if (typeof body !== 'string' || !(body as WellFormedCheck).isWellFormed()) return toBody(body);
  // At most 3 bytes per UTF-16 unit: the exact count is needed only when that bound passes the limit.
  checkBodySize(body.length * 3 <= MAX_BODY_BYTES ? body.length : Buffer.byteLength(body, 'utf8'));
  return body;
}

function checkBodySize(bytes: number): void {
  if (bytes === 0) throw invalidArgument('message.body', 'must not be empty');
  if (bytes > MAX_BODY_BYTES) {
    throw new MqError(
      MqErrorCode.MESSAGE_TOO_LARGE,
      `message.body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (4 MiB): store large payloads elsewhere and send a reference`,
      { details: { size: bytes, limit: MAX_BODY_BYTES } },
    );
  }
}

function toDeliverAt(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw invalidArgument('message.deliverAt', 'must be a Date or epoch milliseconds');
  }
  return ms;
}

/** Checks that a message fits the topic's type, as RocketMQ 5.x does. */
export function checkMessageType(message: OutgoingMessage<Buffer | string>, topicType: TopicType): void {
  if (message.type === topicType) return;
  throw new MqError(
    MqErrorCode.WRONG_MESSAGE_TYPE,
    `topic '${message.topic}' is a ${topicType} topic and cannot take a ${message.type} message` +
      (topicType === 'DELAY' ? ' (set deliverAt)' : topicType === 'FIFO' ? ' (set messageGroup)' : '') +
      (topicType === 'TRANSACTION' ? ' (use sendInTransaction)' : ''),
    { details: { topic: message.topic, topicType, messageType: message.type } },
  );
}
