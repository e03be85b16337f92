/**
 * A least-recently-used map bounded by the bytes its entries hold, not by their count: what a pod makes
 * a cache keep grows with the pod, so a count bound alone lets a few large pods fill the heap. An entry
 * over `maxEntryBytes` is not kept at all; the caller says what each entry costs.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private held = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps the entry unless it is too large alone; evicts the least recently used to make room. */
  set(key: string, value: V, bytes: number): void {
    if (bytes > this.maxEntryBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.held -= old.bytes;
    }
    this.entries.set(key, { value, bytes });
    this.held += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes the entries are said to cost, at most `maxBytes`. */
  get bytes(): number {
    return this.held;
  }
}

/** What a JavaScript string costs at most: two bytes a code unit. */
export function stringBytes(s: string): number {
  return 2 * s.length;
}
