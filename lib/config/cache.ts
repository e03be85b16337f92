import { errorMessage, InjectionError } from '../errors.ts';
import type { ConfigLayer, ConfigSource, Fetched, SourceSnapshot } from './source.ts';

export interface ConfigCacheOptions<T> {
  /** The layers, in order; each fetch asks its store for what changed since the version held. */
  sources: ConfigSource[];
  /**
   * Turns the parsed layers (bundles, or one rollout document) into what requests use; called only
   * when some layer's version changed.
   */
  build: (layers: ConfigLayer[]) => T;
  /** Milliseconds; injected so the whole state machine runs under a fake clock in tests. */
  now: () => number;
  /** After this, the next request starts one background refresh (and is still answered from memory). */
  ttlMs: number;
  /** How long the last good copy is served while refreshes fail; past it there is no config. */
  maxStaleMs: number;
  /** One structured entry per event worth an operator's attention (at most one failure per TTL). */
  log: (entry: Record<string, unknown>) => void;
  /** Snapshots already read (local files), built at once so a bad bundle fails start-up, not requests. */
  initial?: SourceSnapshot[];
}

export interface ConfigCache<T> {
  /**
   * The current config. Never waits once a good copy exists; with none (cold start, or past max
   * stale) it waits for the one in-flight fetch and throws InjectionError('config-unavailable') when
   * that fails.
   */
  get(): Promise<T>;
}

interface Loaded<T> {
  value: T;
  versions: string[];
  layers: ConfigLayer[];
  /** When a fetch last confirmed these versions: the age max-stale is measured from. */
  confirmedAt: number;
}

/** Stale-while-revalidate, single-flight cache of the config layers, keeping the last good copy. */
export function createConfigCache<T>(options: ConfigCacheOptions<T>): ConfigCache<T> {
  const { sources, build, now, ttlMs, maxStaleMs, log } = options;
  const uris = sources.map((s) => s.uri);
  let loaded: Loaded<T> | undefined;
  let inflight: Promise<void> | undefined;
  // Refreshes are paced from the last attempt, not the last success: a store that is down is asked
  // once per TTL, not once per request.
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let loggedAt = Number.NEGATIVE_INFINITY;
  let failuresSinceLog = 0;
  let failing = false;

  if (options.initial) {
    attemptedAt = now();
    loaded = apply(undefined, options.initial, attemptedAt);
  }

  function apply(prev: Loaded<T> | undefined, fetched: Fetched[], at: number): Loaded<T> {
    type Next = { version: string; layer: ConfigLayer } | { version: string; snapshot: SourceSnapshot };
    const next = fetched.map((f, i): Next => {
      const version = prev?.versions[i];
      const layer = prev?.layers[i];
      if (f !== 'unchanged' && f.version !== version) return { version: f.version, snapshot: f };
      if (version === undefined || layer === undefined)
        throw new Error(`${uris[i]}: the store answered "unchanged" to a first read`);
      return { version, layer };
    });
    if (prev && next.every((s) => 'layer' in s)) return { ...prev, confirmedAt: at };
    const layers = next.map((s) => ('layer' in s ? s.layer : s.snapshot.parse()));
    const versions = next.map((s) => s.version);
    const value = build(layers);
    log({ level: 'info', msg: 'config loaded', sources: uris, versions });
    return { value, versions, layers, confirmedAt: at };
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      const at = now();
      attemptedAt = at;
      try {
        const fetched = await Promise.all(sources.map((s, i) => s.fetch(loaded?.versions[i])));
        loaded = apply(loaded, fetched, at);
        if (failing) log({ level: 'info', msg: 'config refresh recovered', sources: uris });
        failing = false;
      } catch (err) {
        failing = true;
        report(err, at);
        throw err;
      }
    })().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function report(err: unknown, at: number): void {
    failuresSinceLog++;
    if (at - loggedAt < ttlMs) return;
    const fresh = loaded && at - loaded.confirmedAt < maxStaleMs;
    log({
      level: 'error',
      msg: 'config refresh failed',
      sources: uris,
      error: errorMessage(err),
      serving: fresh ? 'last-known-good' : 'nothing',
      ...(loaded && { lastGoodAgeSeconds: Math.round((at - loaded.confirmedAt) / 1000) }),
      failuresSinceLastLog: failuresSinceLog,
    });
    loggedAt = at;
    failuresSinceLog = 0;
  }

  return {
    async get() {
      const t = now();
      if (loaded && t - loaded.confirmedAt < maxStaleMs) {
        if (!inflight && t - attemptedAt >= ttlMs) refresh().catch(() => {}); // logged in refresh
        return loaded.value;
      }
      try {
        await refresh();
      } catch (err) {
        throw new InjectionError('config-unavailable', `config unavailable: ${errorMessage(err)}`);
      }
      if (!loaded) throw new InjectionError('internal', 'config refresh succeeded without a config');
      return loaded.value;
    },
  };
}
