import type { Base64 } from '../admission/review.ts';
import { ByteLru, stringBytes } from '../cache/byte-lru.ts';
import type { InjectorConfig } from '../config/compile.ts';
import type { ObjectMeta, Pod } from '../kube/types.ts';
import { selectTemplates } from '../template/select.ts';
import type { InjectContext, InjectOutcome } from './inject-pod.ts';

/** Metadata the API server sets per object; replicas of one workload differ only here. */
const PER_OBJECT_FIELDS = [
  'name',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
];

/** Pods larger than this are not worth keeping a copy of as a key. */
const MAX_KEY_LENGTH = 64 * 1024;

/** What the cache may hold per instance, keys and answers counted as the strings they are. */
export const RESULT_CACHE_BYTES = 4 * 1024 * 1024;
/** An answer larger than this (a patch for a very large pod) is not kept. */
const MAX_ENTRY_BYTES = 1024 * 1024;
/** The keys seen once and not yet kept (see InjectionCache.set), counted as the strings they are. */
export const SEEN_KEYS_BYTES = 512 * 1024;
/** What a map entry costs beside its key: small keys would otherwise hold twice what they count. */
const SEEN_ENTRY_BYTES = 100;

export type CachedInjection = Pick<InjectOutcome, 'decision' | 'templates'> & { patch: Base64 };

/**
 * Remembers injection results so the replicas of one workload cost two renders. The key is everything
 * the result can depend on: config version, request context and the pod, minus the per-object
 * metadata, which is dropped only when no template reads it and the workload does not come from the
 * pod's own name. So a hit returns exactly the bytes a fresh injection would give. An LRU bounded by
 * bytes (RESULT_CACHE_BYTES), so large pods cannot make it hold more.
 *
 * An answer is kept the second time its key comes, not the first: most pods have no replica to come
 * after them (a Job's, a bare pod, each of a fleet of distinct workloads), and keeping every answer
 * cost a distinct review a tenth of its time, in the heap growing with answers nobody asks for again.
 * Until then only the key is kept, in a smaller LRU (SEEN_KEYS_BYTES).
 */
export class InjectionCache {
  private readonly entries: ByteLru<CachedInjection>;
  private readonly seen = new ByteLru<true>({ maxBytes: SEEN_KEYS_BYTES });
  readonly stats = { hits: 0, misses: 0 };
  private readonly volatileReads = new WeakMap<InjectorConfig, Map<string, boolean>>();

  constructor(maxBytes = RESULT_CACHE_BYTES) {
    this.entries = new ByteLru({ maxBytes, maxEntryBytes: Math.min(maxBytes, MAX_ENTRY_BYTES) });
  }

  /** The bytes the answers hold now, at most the bound given at construction (the keys seen once aside). */
  get bytes(): number {
    return this.entries.bytes;
  }

  /**
   * `bodyBytes`, the UTF-8 size of the request body the pod came in, when known: a pod in a body over
   * MAX_KEY_LENGTH is measured before it is serialised, and one whose key would be over the bound is
   * not serialised only to throw the text away. A smaller body is not measured: its key is serialised
   * and its length checked, as any key's.
   */
  key(pod: Pod, config: InjectorConfig, ctx: InjectContext, bodyBytes?: number): string | undefined {
    const meta = pod.metadata ?? {};
    const fromController =
      !!meta.generateName && (meta.ownerReferences ?? []).some((r) => r.controller === true);
    let keyed: Pod = pod;
    if (fromController) {
      let names: string[];
      try {
        const { defaultTemplates, aliases } = config.bundle;
        names = selectTemplates(pod, defaultTemplates, aliases, config.templates);
      } catch {
        // A pod naming a template the config lacks: not worth caching; injectPod gives the answer.
        return undefined;
      }
      if (!names.some((name) => this.readsObjectMeta(config, name)))
        keyed = { ...pod, metadata: withoutPerObjectFields(meta) };
    }
    if (bodyBytes !== undefined && bodyBytes > MAX_KEY_LENGTH && jsonOver(keyed, MAX_KEY_LENGTH))
      return undefined;
    let key: string;
    try {
      key = JSON.stringify([
        config.version,
        ctx.namespace,
        ctx.revision,
        ctx.proxyEnvs,
        ctx.nativeSidecars ?? null,
        keyed,
      ]);
    } catch {
      // Nesting too deep to serialise: not worth caching, and injectPod gives the real answer.
      return undefined;
    }
    return key.length <= MAX_KEY_LENGTH ? key : undefined;
  }

  get(key: string): CachedInjection | undefined {
    const hit = this.entries.get(key);
    if (hit) this.stats.hits++;
    else this.stats.misses++;
    return hit;
  }

  set(key: string, value: CachedInjection): void {
    if (this.seen.get(key) === undefined) {
      this.seen.set(key, true, stringBytes(key) + SEEN_ENTRY_BYTES);
      return;
    }
    this.seen.delete(key);
    const names = JSON.stringify(value.templates) + value.decision.reason;
    this.entries.set(key, value, stringBytes(key) + stringBytes(value.patch) + stringBytes(names));
  }

  /**
   * Does the template read the pod's per-object metadata (or the pod or its metadata whole)? Asked only
   * of the templates a pod selects (the key holds what selects them), so a start parses and compiles
   * only those.
   */
  private readsObjectMeta(config: InjectorConfig, name: string): boolean {
    let byName = this.volatileReads.get(config);
    if (!byName) this.volatileReads.set(config, (byName = new Map()));
    let reads = byName.get(name);
    if (reads === undefined) {
      reads =
        !config.templates.has(name) ||
        config.templates.reads(name).some((segments) => {
          if (segments[0] !== 'pod') return false;
          const [, second, third] = segments;
          if (typeof second !== 'string' || (second === 'metadata' && typeof third !== 'string')) return true;
          return second === 'metadata' && PER_OBJECT_FIELDS.includes(third as string);
        });
      byName.set(name, reads);
    }
    return reads;
  }
}

/**
 * Whether JSON.stringify(value) would be over `limit` characters, told without writing it: strings, keys
 * and brackets counted at no more than JSON writes for each (so the count never exceeds the text's
 * length), until it passes the limit: every value counts at least 1, so the walk visits at most about
 * `limit` values however large the pod. Iterative, so a deeply nested pod cannot overflow the stack.
 */
function jsonOver(value: unknown, limit: number): boolean {
  const pending: unknown[] = [];
  let count = 0;
  // A string is counted where it is found, not queued: most of a pod's values are strings.
  const add = (v: unknown) => {
    if (typeof v === 'string') count += v.length + 2;
    else pending.push(v);
  };
  add(value);
  while (pending.length) {
    const v = pending.pop();
    if (Array.isArray(v)) {
      // The brackets and the commas between items; a list too long is told before it is walked.
      count += 1 + v.length;
      if (count > limit) return true;
      for (let i = 0; i < v.length; i++) add(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      count += 2;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length && count <= limit; i++) {
        const k = keys[i] as string;
        const item = (v as Record<string, unknown>)[k];
        // Not written by JSON.stringify: values JSON has no text for.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        // The quoted key and its colon; the commas are left uncounted.
        count += k.length + 3;
        add(item);
      }
    } else count += 1;
    if (count > limit) return true;
  }
  return false;
}

function withoutPerObjectFields(meta: ObjectMeta): ObjectMeta {
  const trimmed = { ...meta };
  for (const f of PER_OBJECT_FIELDS) delete trimmed[f];
  return trimmed;
}
