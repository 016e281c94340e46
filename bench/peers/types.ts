/** Options shared by every peer benchmark (see bench/peers/*.ts). */
export interface PeerOptions {
  /** Jobs per throughput phase (add one by one, add with N in flight, process). */
  messages: number;
  /** Payload size of each job body, in bytes. */
  bodyBytes: number;
  /** Adds in flight for the concurrent-add phase, and worker concurrency for the process phase. */
  concurrency: number;
  /** Number of delayed jobs in the lateness phase. */
  delayed: number;
  /** The delayed jobs are due spread over this many milliseconds. */
  delayMs: number;
  /** Progress lines (about every 10% of a phase). */
  onProgress?: (line: string) => void;
}

export interface Figure {
  name: string;
  unit: 'msg/s' | 'ms' | '×';
  value: number;
  p50Ms?: number;
  p99Ms?: number;
  note?: string;
  /** A broken invariant found while measuring it (messages lost, early, failed): the benchmark prints it and exits 1. */
  violation?: string;
}

export interface PeerResult {
  peer: string;
  version: string;
  durability: string;
  figures: Figure[];
}
