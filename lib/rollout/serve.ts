import type { compileBundle, InjectorConfig } from '../config/compile.ts';
import type { Stores } from '../config/stores.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import type { RolloutPlan } from './document.ts';
import { type LoadedVersion, loadVersion } from './load-version.ts';
import { ByteLru } from '../cache/byte-lru.ts';

/**
 * What one instance holds for rollouts, and its bounds (docs/rollouts.md, "In the function"):
 * compiled versions, at most MAX_VERSIONS and MAX_VERSION_BYTES (estimated: estimateBytes, load-version.ts);
 * each cluster's last good version, at most LAST_GOOD_BYTES (an id and a reference per cluster);
 * failed versions, at most MAX_FAILED, each with a message of at most 1 KiB.
 */
export const MAX_VERSIONS = 16;
export const MAX_VERSION_BYTES = 32 * 1024 * 1024;
export const LAST_GOOD_BYTES = 2 * 1024 * 1024;
const MAX_FAILED = 64;
/** Clusters named in one failure log line; the count says how many more there were. */
const MAX_NAMED_CLUSTERS = 20;
/** A Map entry and its key string, roughly: what one cluster's last-good record costs. */
const LAST_GOOD_ENTRY_BYTES = 96;

export interface VersionServerOptions {
  stores: Stores;
  now: () => number;
  /** A failed version is tried again after this long (the config TTL); meanwhile it fails at once. */
  ttlMs: number;
  log: (entry: Record<string, unknown>) => void;
  compile?: typeof compileBundle;
  maxVersions?: number;
  maxVersionBytes?: number;
  lastGoodBytes?: number;
}

export interface VersionServerStats {
  versions: number;
  versionBytes: number;
  lastGood: number;
  lastGoodBytes: number;
  loads: number;
  evictions: number;
  failed: number;
}

interface Failure {
  error: Error;
  at: number;
  loggedAt: number;
  failuresSinceLog: number;
  heldBack: Set<string>;
}

/**
 * Serves each cluster the version its rollout document resolves to, compiling each version once per
 * instance (while it stays in the LRU). A version that fails to load or compile is not served: the
 * cluster keeps its last good version (or gets the document's default when this instance never served
 * it), and one log line per TTL per version says why. A cluster whose new version is still loading
 * keeps its previous one meanwhile, so no request waits on the store once a cluster has been served.
 */
export function createVersionServer(options: VersionServerOptions) {
  const { stores, now, ttlMs, log } = options;
  const ready = new ByteLru<LoadedVersion>({
    maxEntries: options.maxVersions ?? MAX_VERSIONS,
    maxBytes: options.maxVersionBytes ?? MAX_VERSION_BYTES,
  });
  const lastGood = new ByteLru<string>({ maxBytes: options.lastGoodBytes ?? LAST_GOOD_BYTES });
  const loading = new Map<string, Promise<LoadedVersion>>();
  const failed = new Map<string, Failure>();
  let loads = 0;

  function version(uri: string): Promise<LoadedVersion> {
    const hit = ready.get(uri);
    if (hit) return Promise.resolve(hit);
    const failure = failed.get(uri);
    if (failure && now() - failure.at < ttlMs) return Promise.reject(failure.error);
    let pending = loading.get(uri);
    if (!pending) {
      loads++;
      pending = loadVersion(uri, stores, options.compile)
        .then(
          (loaded) => {
            ready.set(uri, loaded, loaded.bytes);
            if (failed.delete(uri)) log({ level: 'info', msg: 'bundle version recovered', version: uri });
            log({
              level: 'info',
              msg: 'bundle version loaded',
              version: uri,
              versionId: loaded.id,
              estimatedBytes: loaded.bytes,
            });
            return loaded;
          },
          (err: unknown) => {
            const error = err instanceof Error ? err : new Error(String(err));
            const previous = failed.get(uri);
            failed.delete(uri);
            failed.set(uri, {
              error,
              at: now(),
              loggedAt: previous?.loggedAt ?? Number.NEGATIVE_INFINITY,
              failuresSinceLog: previous?.failuresSinceLog ?? 0,
              heldBack: previous?.heldBack ?? new Set(),
            });
            for (const [oldest] of failed) {
              if (failed.size <= MAX_FAILED) break;
              failed.delete(oldest);
            }
            throw error;
          },
        )
        .finally(() => loading.delete(uri));
      loading.set(uri, pending);
    }
    return pending;
  }

  /** One line per TTL per failing version: which version, why, and what its clusters get instead. */
  function report(uri: string, cluster: string, serving: string | undefined): void {
    const failure = failed.get(uri);
    if (!failure) return;
    failure.failuresSinceLog++;
    if (failure.heldBack.size < MAX_NAMED_CLUSTERS) failure.heldBack.add(cluster);
    const t = now();
    if (t - failure.loggedAt < ttlMs) return;
    log({
      level: 'error',
      msg: 'bundle version failed',
      version: uri,
      cluster,
      error: errorMessage(failure.error).slice(0, 1024),
      serving: serving ?? 'nothing',
      clusters: [...failure.heldBack],
      failuresSinceLastLog: failure.failuresSinceLog,
    });
    failure.loggedAt = t;
    failure.failuresSinceLog = 0;
    failure.heldBack = new Set();
  }

  function serve(loaded: LoadedVersion, cluster: string): InjectorConfig {
    const config = loaded.lookup(cluster);
    // A read makes the record recent, so clusters that keep calling are the last to be forgotten.
    if (lastGood.get(cluster) !== loaded.uri) {
      lastGood.set(cluster, loaded.uri, LAST_GOOD_ENTRY_BYTES + 2 * cluster.length);
    }
    return config;
  }

  async function configFor(plan: RolloutPlan, cluster: string): Promise<InjectorConfig> {
    const uri = plan.resolve(cluster).version;
    const hit = ready.get(uri);
    if (hit) return serve(hit, cluster);
    const previous = lastGood.get(cluster);
    const held = previous !== undefined && previous !== uri ? ready.get(previous) : undefined;
    if (held) {
      // The cluster's version changed and the new one is not compiled here yet (or failed): it keeps
      // the one it has while the new one loads, and moves on its next request.
      version(uri).catch(() => report(uri, cluster, held.uri));
      return held.lookup(cluster);
    }
    try {
      return serve(await version(uri), cluster);
    } catch (err) {
      for (const fallback of new Set([previous, plan.doc.default])) {
        if (fallback === undefined || fallback === uri) continue;
        try {
          const loaded = await version(fallback);
          report(uri, cluster, fallback);
          return serve(loaded, cluster);
        } catch {
          // reported when a cluster resolves to it
        }
      }
      report(uri, cluster, undefined);
      throw new InjectionError(
        'config-unavailable',
        `config unavailable: bundle version ${uri} for cluster "${cluster}": ${errorMessage(err)}`,
      );
    }
  }

  function stats(): VersionServerStats {
    return {
      versions: ready.size,
      versionBytes: ready.bytes,
      lastGood: lastGood.size,
      lastGoodBytes: lastGood.bytes,
      loads,
      evictions: ready.evictions,
      failed: failed.size,
    };
  }

  return { configFor, stats };
}

export type VersionServer = ReturnType<typeof createVersionServer>;
