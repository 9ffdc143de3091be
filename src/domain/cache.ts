// Answers built from a site's comments, kept until the next write to that site. Reads then cost a map lookup.
// In one process this is exact; replicas would share the per-site version (e.g. in Redis) instead.

export class SiteCache<V> {
  private readonly versions = new Map<string, number>();
  private readonly entries = new Map<string, { version: number; value: V }>();

  constructor(private readonly maxEntries = 5000) {}

  /** Take this before reading what the answer is built from, and give it back to `set`. */
  version(siteId: string): number {
    return this.versions.get(siteId) ?? 0;
  }

  get(siteId: string, key: string): V | undefined {
    const e = this.entries.get(`${siteId}\0${key}`);
    return e && e.version === this.version(siteId) ? e.value : undefined;
  }

  /** Stores an answer built from data read at `version`; a write since then makes it a miss, never a stale hit. */
  set(siteId: string, key: string, value: V, version: number): void {
    // Oldest-first eviction: Map keeps insertion order.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(`${siteId}\0${key}`, { version, value });
  }

  /** Called on every write that can change what a site's public answers show. */
  invalidate(siteId: string): void {
    this.versions.set(siteId, this.version(siteId) + 1);
  }
}
