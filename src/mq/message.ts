import { invalidArgument, MqError, MqErrorCode } from './errors.js';
import type { Message, TopicType } from './types.js';

/** RocketMQ's default maximum message size (4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]{1,127}$/;

/** A message checked and brought to one shape, as the engines store it. */
export interface OutgoingMessage {
  topic: string;
  body: Buffer;
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
  if (message === null || typeof message !== 'object') throw invalidArgument('message', 'must be an object');
  const topic = checkTopicName(message.topic, 'message.topic');
  const body = toBody(message.body);
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
  if (buffer.length === 0) throw invalidArgument('message.body', 'must not be empty');
  if (buffer.length > MAX_BODY_BYTES) {
    throw new MqError(
      MqErrorCode.MESSAGE_TOO_LARGE,
      `message.body is ${buffer.length} bytes; the limit is ${MAX_BODY_BYTES} (4 MiB): store large payloads elsewhere and send a reference`,
      { details: { size: buffer.length, limit: MAX_BODY_BYTES } },
    );
  }
  return buffer;
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
export function checkMessageType(message: OutgoingMessage, topicType: TopicType): void {
  if (message.type === topicType) return;
  throw new MqError(
    MqErrorCode.WRONG_MESSAGE_TYPE,
    `topic '${message.topic}' is a ${topicType} topic and cannot take a ${message.type} message` +
      (topicType === 'DELAY' ? ' (set deliverAt)' : topicType === 'FIFO' ? ' (set messageGroup)' : '') +
      (topicType === 'TRANSACTION' ? ' (use sendInTransaction)' : ''),
    { details: { topic: message.topic, topicType, messageType: message.type } },
  );
}
