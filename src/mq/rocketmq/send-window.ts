/** Requests one producer has with the client at once; the rest wait here, in order. */
export const DEFAULT_SEND_WINDOW = 256;

interface Waiting {
  start(): void;
}

/**
 * A window over the client's requests. The official client starts its request timeout (3 s) when a
 * send is handed to it, however many are queued ahead of it in its gRPC channel: 40,000 one-way sends
 * fired at once lost 79 % to that timeout (docs/benchmarks.md). Held back here instead, a send's clock
 * starts only when the broker can be asked, so a burst is slower but complete.
 */
export class SendWindow {
  readonly #size: number;
  #active = 0;
  readonly #waiting: Waiting[] = [];

  constructor(size = DEFAULT_SEND_WINDOW) {
    this.#size = size;
  }

  /** Requests held back right now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  run<T>(request: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#active++;
        let started: Promise<T>;
        try {
          started = request();
        } catch (error) {
          started = Promise.reject(error);
        }
        started.then(resolve, reject).finally(() => {
          this.#active--;
          this.#waiting.shift()?.start();
        });
      };
      if (this.#active < this.#size) start();
      else this.#waiting.push({ start });
    });
  }
}
