/** What an engine opened and must close on `close()`: producers and consumers remove themselves when closed first. */
export class Closables {
  readonly #open = new Set<{ close(): Promise<void> }>();

  /** Registers `thing`; its own close() also unregisters it. */
  track<T extends { close(): Promise<void> }>(thing: T): T {
    this.#open.add(thing);
    const close = thing.close.bind(thing);
    thing.close = async () => {
      this.#open.delete(thing);
      await close();
    };
    return thing;
  }

  /** What is still open, in the order it was opened. */
  open(): Iterable<{ close(): Promise<void> }> {
    return this.#open;
  }

  /** Closes everything still open (in-flight work finishes in each one's close()). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#open].map((thing) => thing.close()));
  }
}
