// Short exclusive sections keyed by what they protect (one address's flood window, one author's identical text), so
// that two posts arriving at once are checked one after the other. In one process a promise chain per key; replicas
// share a Redis implementation of the same interface.

export interface KeyedLocks {
  /** Runs `fn` while holding every key; keys are taken in sorted order, so two callers never wait on each other. */
  withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T>;
}

export class LocalLocks implements KeyedLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withLocks<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    // Every key is queued for in one synchronous pass: callers are served in arrival order and none can wait on
    // another that waits on it.
    const waits: Promise<void>[] = [];
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) {
      const previous = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      this.tails.set(key, tail);
      waits.push(previous);
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    try {
      await Promise.all(waits);
      return await fn();
    } finally {
      for (const release of releases) release();
    }
  }
}
