// Answers built from a site's comments, kept until the next write to that site. Reads then cost a map lookup.
// In one process this is exact; with replicas, every replica's writes reach every cache as events (Redis pub/sub),
// and while that link is down the cache answers nothing from memory.

export class SiteCache<V> {
  private readonly versions = new Map<string, number>();
  private readonly entries = new Map<string, { version: number; value: V }>();
  private suspended = false;
  /** Moves on every resume, so an answer built before or during a suspension is never stored after it. */
  private epoch = 0;

  constructor(private readonly maxEntries = 5000) {}

  /** Take this before reading what the answer is built from, and give it back to `set`. */
  version(siteId: string): number {
    return this.epoch * 2 ** 32 + (this.versions.get(siteId) ?? 0);
  }

  get(siteId: string, key: string): V | undefined {
    if (this.suspended) return undefined;
    const e = this.entries.get(`${siteId}\0${key}`);
    return e && e.version === this.version(siteId) ? e.value : undefined;
  }

  /** Stores an answer built from data read at `version`; a write since then makes it a miss, never a stale hit. */
  set(siteId: string, key: string, value: V, version: number): void {
    if (this.suspended) return;
    // Oldest-first eviction: Map keeps insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(`${siteId}\0${key}`, { version, value });
  }

  /** Called on every write that can change what a site's public answers show. */
  invalidate(siteId: string): void {
    this.versions.set(siteId, (this.versions.get(siteId) ?? 0) + 1);
  }

  /** Stops serving and keeping answers: other replicas' writes may be going unheard. */
  suspend(): void {
    this.suspended = true;
    this.entries.clear();
  }

  /** Serves answers again, starting from nothing (whatever was missed is not in memory). */
  resume(): void {
    this.epoch++;
    this.entries.clear();
    this.suspended = false;
  }
}
