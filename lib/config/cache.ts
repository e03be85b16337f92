import { errorMessage, InjectionError } from '../errors.ts';
import type { ConfigLayer } from './layer.ts';
import type { ConfigSource, Fetched, SourceSnapshot } from './source.ts';

export interface ConfigCacheOptions<T, L = ConfigLayer> {
  /** The layers, in order; each fetch asks its store for what changed since the version held. */
  sources: ConfigSource[];
  /**
   * Turns the parsed layers (bundles, or one rollout document) into what requests use; called only
   * when some layer's version changed.
   */
  build: (layers: L[]) => T;
  /** Reads one new snapshot into a layer; by default the snapshot's own parse (a config document). */
  parse?: (snapshot: SourceSnapshot, uri: string) => L;
  /** What the log lines call it: "config" unless said ("auth keys"). */
  name?: string;
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
   * The current config if a good copy is held (starting a background refresh when one is due), else
   * undefined: for a caller that must not wait when it need not.
   */
  current(): T | undefined;
  /**
   * The current config. Never waits once a good copy exists; with none (cold start, or past max
   * stale) it waits for the one in-flight fetch and throws InjectionError('config-unavailable') when
   * that fails.
   */
  get(): Promise<T>;
}

interface Loaded<T, L> {
  value: T;
  versions: string[];
  layers: L[];
  /** When a fetch last confirmed these versions: the age max-stale is measured from. */
  confirmedAt: number;
}

/** Stale-while-revalidate, single-flight cache of the config layers, keeping the last good copy. */
export function createConfigCache<T, L = ConfigLayer>(options: ConfigCacheOptions<T, L>): ConfigCache<T> {
  const { sources, build, now, ttlMs, maxStaleMs, log } = options;
  const parse = options.parse ?? ((snapshot: SourceSnapshot) => snapshot.parse() as L);
  const name = options.name ?? 'config';
  const uris = sources.map((s) => s.uri);
  let loaded: Loaded<T, L> | undefined;
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

  function apply(prev: Loaded<T, L> | undefined, fetched: Fetched[], at: number): Loaded<T, L> {
    type Next = { version: string; layer: L } | { version: string; snapshot: SourceSnapshot };
    const next = fetched.map((f, i): Next => {
      const version = prev?.versions[i];
      const layer = prev?.layers[i];
      if (f !== 'unchanged' && f.version !== version) return { version: f.version, snapshot: f };
      if (version === undefined || layer === undefined)
        throw new Error(`${uris[i]}: the store answered "unchanged" to a first read`);
      return { version, layer };
    });
    if (prev && next.every((s) => 'layer' in s)) return { ...prev, confirmedAt: at };
    const layers = next.map((s, i) => ('layer' in s ? s.layer : parse(s.snapshot, uris[i] as string)));
    const versions = next.map((s) => s.version);
    const value = build(layers);
    log({ level: 'info', msg: `${name} loaded`, sources: uris, versions });
    return { value, versions, layers, confirmedAt: at };
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      const at = now();
      attemptedAt = at;
      try {
        const fetched = await Promise.all(sources.map((s, i) => s.fetch(loaded?.versions[i])));
        loaded = apply(loaded, fetched, at);
        if (failing) log({ level: 'info', msg: `${name} refresh recovered`, sources: uris });
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
      msg: `${name} refresh failed`,
      sources: uris,
      error: errorMessage(err),
      serving: fresh ? 'last-known-good' : 'nothing',
      ...(loaded && { lastGoodAgeSeconds: Math.round((at - loaded.confirmedAt) / 1000) }),
      failuresSinceLastLog: failuresSinceLog,
    });
    loggedAt = at;
    failuresSinceLog = 0;
  }

  const current = (): T | undefined => {
    const t = now();
    if (!loaded || t - loaded.confirmedAt >= maxStaleMs) return undefined;
    if (!inflight && t - attemptedAt >= ttlMs) refresh().catch(() => {}); // logged in refresh
    return loaded.value;
  };

  return {
    current,
    async get() {
      const held = current();
      if (held !== undefined) return held;
      try {
        await refresh();
      } catch (err) {
        throw new InjectionError('config-unavailable', `${name} unavailable: ${errorMessage(err)}`);
      }
      if (!loaded) throw new InjectionError('internal', 'config refresh succeeded without a config');
      return loaded.value;
    },
  };
}
