/**
 * What makes a simulator idempotent on idempotencyKey: the first request with a key executes its
 * effect and stores the answer; any later request with the same key gets the stored answer back.
 *
 * `run` is synchronous on purpose: check, execute and store happen in one turn of the event loop,
 * so 50 concurrent requests with the same key can never both find the key absent. Keep effects
 * synchronous (or make this store pending-aware) or the "executed once" counter stops being exact.
 */
export type IdempotentOutcome<T> =
  | { kind: 'executed'; value: T }
  | { kind: 'replayed'; value: T }
  /** Same key, different request body: a caller bug that a real provider refuses (409). */
  | { kind: 'conflict'; value: T };

interface Entry<T> {
  fingerprint: string;
  value: T;
}

export class IdempotencyStore<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;
  #executed = 0;

  /** maxEntries bounds memory in long benchmarks; the oldest keys are forgotten first. */
  constructor(maxEntries = Number.POSITIVE_INFINITY) {
    this.#maxEntries = maxEntries;
  }

  /** Effects carried out since start, each key counted once. */
  get executed(): number {
    return this.#executed;
  }

  get(key: string): T | undefined {
    return this.#entries.get(key)?.value;
  }

  run(key: string, fingerprint: string, execute: () => T): IdempotentOutcome<T> {
    const existing = this.#entries.get(key);
    if (existing) {
      return { kind: existing.fingerprint === fingerprint ? 'replayed' : 'conflict', value: existing.value };
    }
    const value = execute();
    this.#executed += 1;
    this.#entries.set(key, { fingerprint, value });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return { kind: 'executed', value };
  }
}
