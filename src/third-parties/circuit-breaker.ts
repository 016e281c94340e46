/**
 * A circuit breaker per vendor (docs/architecture.md, "Third-party vendors"): once a vendor has failed `failureThreshold` calls in a
 * row we stop calling it for `openMs` — failing fast instead of making every consumer wait out a
 * timeout against a vendor that is down — then let ONE trial call through: success closes the
 * circuit, failure opens it for another `openMs`.
 *
 * HALF_OPEN needs no timer: it is OPEN whose openMs has passed, so there is nothing to stop on close.
 */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_OPEN_MS = 5_000;

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  now: () => number;
  onStateChange?: (to: CircuitState, detail: { consecutiveFailures: number }) => void;
}

/** Granted by acquire(); handed back to success()/failure() so a trial call is told apart. */
export interface Permit {
  readonly trial: boolean;
}

const NORMAL: Permit = Object.freeze({ trial: false });

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #open = false;
  #openedAt = 0;
  #consecutiveFailures = 0;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  state(): CircuitState {
    if (!this.#open) return 'CLOSED';
    return this.#trialInFlight || this.retryInMs() === 0 ? 'HALF_OPEN' : 'OPEN';
  }

  /** Time left before a trial call is allowed (0 when CLOSED or already due). */
  retryInMs(): number {
    if (!this.#open) return 0;
    return Math.max(0, this.#openedAt + this.#options.openMs - this.#options.now());
  }

  /** A permit to call the vendor, or undefined: fail fast without calling it. */
  acquire(): Permit | undefined {
    if (!this.#open) return NORMAL;
    if (this.#trialInFlight || this.retryInMs() > 0) return undefined;
    this.#trialInFlight = true; // every other caller keeps failing fast until the trial settles
    this.#options.onStateChange?.('HALF_OPEN', { consecutiveFailures: this.#consecutiveFailures });
    return { trial: true };
  }

  /** The vendor answered (a 2xx, or a 4xx: it is alive and judging our request). */
  success(permit: Permit): void {
    if (permit.trial) {
      this.#trialInFlight = false;
      this.#open = false;
      this.#consecutiveFailures = 0;
      this.#options.onStateChange?.('CLOSED', { consecutiveFailures: 0 });
    } else if (!this.#open) {
      this.#consecutiveFailures = 0;
    }
    // A non-trial call that started before the circuit opened does not decide anything: the trial does.
  }

  /** The vendor timed out, was unreachable, or answered 5xx / garbage. */
  failure(permit: Permit): void {
    if (permit.trial) {
      this.#trialInFlight = false;
      this.#consecutiveFailures += 1;
      this.#trip();
    } else if (!this.#open) {
      this.#consecutiveFailures += 1;
      if (this.#consecutiveFailures >= this.#options.failureThreshold) this.#trip();
    }
  }

  #trip(): void {
    this.#open = true;
    this.#openedAt = this.#options.now();
    this.#options.onStateChange?.('OPEN', { consecutiveFailures: this.#consecutiveFailures });
  }
}
