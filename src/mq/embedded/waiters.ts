/** Consumers waiting for messages on topics; woken after a commit touches one of them. */
export class Waiters {
  readonly #byTopic = new Map<string, Set<() => void>>();

  /** Resolves when one of `topics` changes, after `timeoutMs`, or when `signal` aborts. */
  wait(topics: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        for (const topic of topics) this.#byTopic.get(topic)?.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      for (const topic of topics) {
        let set = this.#byTopic.get(topic);
        if (!set) this.#byTopic.set(topic, (set = new Set()));
        set.add(done);
      }
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted) return done();
      timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)));
    });
  }

  notify(topics: Iterable<string>): void {
    for (const topic of topics) {
      const set = this.#byTopic.get(topic);
      if (!set || set.size === 0) continue;
      for (const wake of [...set]) wake();
    }
  }

  wakeAll(): void {
    this.notify([...this.#byTopic.keys()]);
  }
}
