/**
 * A token bucket whose configured rate is a ceiling for ANY one-second window, not an average:
 * it holds at most `burst` tokens and refills at `rate − burst` per second, so the grants in a
 * window [t, t + 1 s) are at most burst + (rate − burst) − 1 = rate − 1, however the window falls
 * (the token that would complete exactly at t + 1 s belongs to the next window). The one grant of
 * headroom absorbs the time between a grant and the write it lets through (a write recorded a few
 * ms late must not push a window over the rate). At rate 1 the refill is 1/s, the bound exactly 1.
 * The default burst is a twentieth of the rate: smooth, yet a timer firing late loses nothing.
 *
 * `take()` waits for a token (first come, first served). The flash-sale creator calls it before each
 * order write, so the backlog waits in the message queue: only the consumer's few in-flight messages
 * wait here.
 *
 * @example
 * const bucket = new TokenBucket({ rate: 200 });
 * await bucket.take(); // then one order insert
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  /** Tokens added per millisecond. */
  readonly #refillPerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  readonly #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: { rate: number; burst?: number; now?: () => number }) {
    const { rate } = options;
    if (!Number.isInteger(rate) || rate < 1) throw new RangeError(`rate must be a whole number of tokens per second ≥ 1, not ${rate}`);
    const burst = options.burst ?? Math.max(1, Math.floor(rate / 20));
    if (!Number.isInteger(burst) || burst < 1 || burst > rate)
      throw new RangeError(`burst must be a whole number from 1 to the rate (${rate}), not ${burst}`);
    this.rate = rate;
    this.burst = burst;
    this.#refillPerMs = Math.max(1, rate - burst) / 1_000;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = burst;
    this.#last = this.#now();
  }

  /** Resolves once a token is taken; rejects if the bucket is closed meanwhile. */
  take(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the token bucket is closed'));
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Takes a token if one is there now and nobody waits before us; never waits. */
  tryTake(): boolean {
    if (this.#closed || this.#waiters.length > 0) return false;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Callers waiting for a token. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Rejects every waiter (their messages go back to the queue) and refuses further takes. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the token bucket is closed'));
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#last) * this.#refillPerMs);
    this.#last = now;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    const waitMs = Math.max(0, (1 - this.#tokens) / this.#refillPerMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#waiters.shift()?.resolve();
      }
      this.#schedule();
    }, Math.ceil(waitMs));
  }
}
