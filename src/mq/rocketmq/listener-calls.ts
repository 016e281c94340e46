/**
 * The listener calls of one push consumer, so that closing lets the running ones finish and starts
 * no more: a message not started, or waiting between in-place retries, is left to redelivery.
 */
export class ListenerCalls {
  readonly #running = new Set<Promise<unknown>>();
  readonly #pauses = new Set<() => void>();
  #closing = false;

  get running(): number {
    return this.#running.size;
  }

  /** Runs `call`, or returns undefined without running it once closing has begun. */
  async run<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.#closing) return undefined;
    const running = call();
    this.#running.add(running);
    try {
      return await running;
    } finally {
      this.#running.delete(running);
    }
  }

  /** Waits `ms` before a retry; false, at once, when closing begins (the retry is then left to redelivery). */
  pause(ms: number): Promise<boolean> {
    if (this.#closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const end = (waited: boolean) => {
        clearTimeout(timer);
        this.#pauses.delete(wake);
        resolve(waited);
      };
      const wake = () => end(false);
      const timer = setTimeout(() => end(true), ms);
      this.#pauses.add(wake);
    });
  }

  /** No call starts from now on and every pause ends; resolves once the calls running now have finished. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const wake of [...this.#pauses]) wake();
    await Promise.allSettled([...this.#running]);
  }
}
