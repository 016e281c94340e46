import type { MessageOptions, MessageView as ClientMessageView } from 'rocketmq-client-nodejs';
import type { OutgoingMessage } from '../message.js';
import type { MessageView, SendResult } from '../types.js';

/** Our checked message → the official client's message options. */
export function toClientMessage(out: OutgoingMessage): MessageOptions {
  const options: MessageOptions = { topic: out.topic, body: out.body, keys: out.keys };
  if (out.tag !== undefined) options.tag = out.tag;
  if (Object.keys(out.properties).length > 0) options.properties = new Map(Object.entries(out.properties));
  if (out.messageGroup !== undefined) options.messageGroup = out.messageGroup;
  if (out.deliverAt !== undefined) options.deliveryTimestamp = new Date(out.deliverAt);
  return options;
}

/** What the client's SendReceipt holds that we use (rocketmq-client-nodejs 1.0.8). */
interface ClientReceipt {
  messageId: string;
  transactionId?: string;
  offset?: number;
}

/**
 * The client's receipt → our SendResult, with only what the broker reported. The Proxy chooses the queue itself
 * (SendMessageActivity.SendMessageQueueSelector, 5.3.3: the next write queue round-robin, or a consistent hash of
 * the message group for FIFO), whatever queue the client addressed, and its SendResultEntry carries no queue id:
 * the client's `messageQueue` is where the client addressed the message, not where it was stored. So queueId is
 * -1 (admin.findMessage gives the queue, for a round trip when asked; a look-up on every send would cost one each).
 * `offset` is the broker's queue offset, except where it is not the topic's: a half message's is in the broker's
 * half topic, and a message with deliverAt that the broker finds not due yet is stored in its timer queue first.
 */
export function toSendResult(receipt: ClientReceipt, out: OutgoingMessage, transactional = false): SendResult {
  const inTopic = !transactional && out.deliverAt === undefined;
  return {
    messageId: receipt.messageId,
    topic: out.topic,
    queueId: -1,
    offset: inTopic ? Number(receipt.offset ?? -1) : -1,
    ...(transactional ? { transactionId: receipt.transactionId } : {}),
  };
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
