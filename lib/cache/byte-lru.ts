export interface ByteLruLimits {
  /** What the entries together may cost. */
  maxBytes: number;
  /** At most this many entries (default: no count bound). */
  maxEntries?: number;
  /**
   * An entry costing more is not kept at all (default: kept, alone). A cache of answers can skip an
   * entry; a cache of what must be served (a bundle version) keeps the one it needs.
   */
  maxEntryBytes?: number;
}

/**
 * A least-recently-used map bounded by the bytes its entries hold (and optionally by their count): what
 * a pod makes a cache keep grows with the pod, so a count bound alone lets a few large pods fill the
 * heap. The caller says what each entry costs.
 *
 * Not lru-cache: the rollout's version cache must keep the version it serves even when that one alone
 * is over the budget, and lru-cache 11 cannot. With maxEntrySize above maxSize, setting such an entry
 * empties the cache and leaves calculatedSize negative (-14 after a 14-byte entry under maxSize 10),
 * and maxEntrySize may not be unbounded.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private held = 0;
  private readonly maxEntries: number;
  private readonly maxEntryBytes: number;
  readonly maxBytes: number;
  evictions = 0;

  constructor(limits: ByteLruLimits) {
    this.maxBytes = limits.maxBytes;
    this.maxEntries = limits.maxEntries ?? Number.POSITIVE_INFINITY;
    this.maxEntryBytes = limits.maxEntryBytes ?? Number.POSITIVE_INFINITY;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Keeps the entry (unless it is over maxEntryBytes, when the key's older value goes too: it is no
   * longer the value); evicts the least recently used to make room.
   */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxEntryBytes) return;
    this.entries.set(key, { value, bytes });
    this.held += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxEntries && this.held <= this.maxBytes))
        break;
      this.entries.delete(oldest);
      this.held -= entry.bytes;
      this.evictions++;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.held -= old.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes the entries are said to cost. */
  get bytes(): number {
    return this.held;
  }
}

/** What a JavaScript string costs at most: two bytes a code unit. */
export function stringBytes(s: string): number {
  return 2 * s.length;
}
