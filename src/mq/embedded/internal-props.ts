/** Properties the broker sets on retry and dead-letter copies; hidden from consumers' views. */
export const Prop = {
  ORIGIN_TOPIC: '__ORIGIN_TOPIC',
  RECONSUME_TIMES: '__RECONSUME_TIMES',
  DLQ_GROUP: '__DLQ_GROUP',
  LAST_ERROR: '__LAST_ERROR',
  REPLAYED_FROM: '__REPLAYED_FROM',
} as const;

export const INTERNAL_PREFIX = '__';

export const retryTopicOf = (groupKey: string) => `%RETRY%${groupKey}`;
export const dlqTopicOf = (groupKey: string) => `%DLQ%${groupKey}`;
export const isSystemTopic = (topic: string) => topic.startsWith('%');

export function publicProps(all: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in all) if (!k.startsWith(INTERNAL_PREFIX)) out[k] = all[k];
  return out;
}
