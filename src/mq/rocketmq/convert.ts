import type { MessageOptions, MessageView as ClientMessageView } from 'rocketmq-client-nodejs';
import type { OutgoingMessage } from '../message.js';
import type { MessageView } from '../types.js';

/** Our checked message → the official client's message options. */
export function toClientMessage(out: OutgoingMessage): MessageOptions {
  const options: MessageOptions = { topic: out.topic, body: out.body, keys: out.keys };
  if (out.tag !== undefined) options.tag = out.tag;
  if (Object.keys(out.properties).length > 0) options.properties = new Map(Object.entries(out.properties));
  if (out.messageGroup !== undefined) options.messageGroup = out.messageGroup;
  if (out.deliverAt !== undefined) options.deliveryTimestamp = new Date(out.deliverAt);
  return options;
}

/** The client's view → ours. `receiptHandle` stays the client's (ack and changeInvisibleDuration need it). */
export function fromClientView(view: ClientMessageView): MessageView {
  return {
    messageId: view.messageId,
    topic: view.topic,
    body: view.body,
    tag: view.tag,
    keys: [...(view.keys ?? [])],
    properties: Object.fromEntries(view.properties ?? new Map()),
    messageGroup: view.messageGroup,
    deliverAt: view.deliveryTimestamp,
    bornAt: view.bornTimestamp ?? new Date(0),
    deliveryAttempt: view.deliveryAttempt ?? 1,
    queueId: -1,
    offset: view.offset ?? -1,
    receiptHandle: view.receiptHandle,
  };
}
