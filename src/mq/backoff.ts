/**
 * RocketMQ's delay levels, used as the retry back-off of consumers: the n-th redelivery of a
 * message waits RETRY_LEVELS_MS[n + 2] (RocketMQ starts consumer retries at level 3, 10 s),
 * capped at the last level (2 h). `scale` shrinks them for tests (0.01 → first retry after 100 ms).
 */
export const RETRY_LEVELS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000, 1_200_000,
  1_800_000, 3_600_000, 7_200_000,
] as const;

/** RocketMQ's default for maxReconsumeTimes. */
export const DEFAULT_MAX_RECONSUME_TIMES = 16;

/** Delay before redelivery number `reconsumeTimes + 1` (reconsumeTimes = failures so far, from 0). */
export function retryDelayMs(reconsumeTimes: number, scale = 1): number {
  const level = Math.min(reconsumeTimes + 2, RETRY_LEVELS_MS.length - 1);
  return Math.max(1, Math.round(RETRY_LEVELS_MS[level] * scale));
}
