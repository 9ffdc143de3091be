// A Map that forgets its least recently used entries past a count and/or a byte budget: for every in-memory
// structure whose keys come from requests, so none grows with what clients send.

export interface LruOptions<K, V> {
  maxEntries?: number;
  maxBytes?: number;
  /** Bytes an entry holds; required with maxBytes. */
  sizeOf?: (value: V, key: K) => number;
  /** Hears each entry pushed out to make room (not ones deleted or replaced by the caller). */
  onEvict?: (key: K, value: V) => void;
}

export class Lru<K, V> {
  // Map order is recency order: a read moves the entry to the end, eviction takes from the front.
  private readonly map = new Map<K, { value: V; size: number }>();
  private total = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: LruOptions<K, V>) {
    this.maxEntries = opts.maxEntries ?? Infinity;
    this.maxBytes = opts.maxBytes ?? Infinity;
    if (opts.maxBytes !== undefined && !opts.sizeOf) throw new Error('Lru: maxBytes needs sizeOf');
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Reads without making the entry recent. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Stores the value as the most recent; false (and nothing stored) when it alone is larger than the budget. */
  set(key: K, value: V): boolean {
    const size = this.opts.sizeOf ? this.opts.sizeOf(value, key) : 0;
    this.delete(key);
    if (size > this.maxBytes) return false;
    this.map.set(key, { value, size });
    this.total += size;
    while (this.map.size > this.maxEntries || this.total > this.maxBytes) {
      const [oldKey, old] = this.map.entries().next().value as [K, { value: V; size: number }];
      this.map.delete(oldKey);
      this.total -= old.size;
      this.opts.onEvict?.(oldKey, old.value);
    }
    return true;
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.map.delete(key);
    this.total -= e.size;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Least recently used first. */
  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}
