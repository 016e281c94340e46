import { performance } from 'node:perf_hooks';

export interface BusyGateOptions {
  /** Above this share of the last window spent running (event-loop utilization), background work waits. */
  maxUtilization?: number;
  /** How often utilization is measured, and waiting work looked at. */
  windowMs?: number;
  /** Let through per window even while busy: background work slows down, it never stops. */
  trickle?: number;
  /**
   * Below maxUtilization but above this, the thread has room but not much (it is serving a steady load):
   * what waited is released `steadyBatch` per window. Below it, `calmBatch` per window (catching up).
   */
  calmUtilization?: number;
  /** Let through per window while between calmUtilization and maxUtilization. */
  steadyBatch?: number;
  /** Let through per window while calm: what waited is released in steps, not in one burst that would make the thread busy again. */
  calmBatch?: number;
}

export interface BusyGate {
  /** Resolves at once while the thread has room; while it is busy, when a window lets this caller through. */
  pass(): Promise<void>;
  /** Lets everything waiting through and stops measuring. */
  close(): void;
}

/**
 * Flow control for background work on a busy thread: the main thread serves payments (HTTP, the order
 * system, the broker) and also hands every consumed message to the consumers' worker thread (mq-bridge.ts).
 * While the thread is busy, those hand-overs wait here — their messages stay in the broker, which is
 * what the queue is for — so a burst of payments is answered first and the consumers catch up after
 * it (the pay path never waits for what follows it). A trickle keeps them moving.
 *
 * Three levels, because the consumers' work costs more than the hand-over: it runs on the other core,
 * which this thread needs whenever both are wanted (2 cores, and V8's GC helpers and the vendors'
 * thread want them too). Under a steady 1,000 payments/s (utilization 0.4–0.5) catching up at full
 * speed doubled the payments' p99 (measured: 6 ms with 16 per window, 10–13 ms with 64); once the thread
 * is calm (below calmUtilization) the backlog is released in large steps. Nothing waits while no
 * backlog exists and the thread is not busy.
 */
export function busyGate(options: BusyGateOptions = {}): BusyGate {
  const maxUtilization = options.maxUtilization ?? 0.5;
  const windowMs = options.windowMs ?? 20;
  const trickle = options.trickle ?? 4;
  const calmUtilization = options.calmUtilization ?? 0.25;
  const steadyBatch = options.steadyBatch ?? 16;
  const calmBatch = options.calmBatch ?? 64;
  let last = performance.eventLoopUtilization();
  let busy = false;
  const waiting: (() => void)[] = [];
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, last).utilization;
    busy = utilization > maxUtilization;
    last = now;
    const release = Math.min(busy ? trickle : utilization > calmUtilization ? steadyBatch : calmBatch, waiting.length);
    for (const resolve of waiting.splice(0, release)) resolve();
    if (waiting.length === 0) timer.unref(); // nothing held back: never what keeps a process alive
  }, windowMs);
  timer.unref();
  const wait = () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      timer.ref(); // work held back is let through, even if nothing else keeps the process running
    });
  return {
    pass: () => (busy || waiting.length > 0 ? wait() : Promise.resolve()),
    close() {
      clearInterval(timer);
      busy = false;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}
