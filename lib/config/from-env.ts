import { errorMessage, InjectionError } from '../errors.ts';
import { compilePlan, isRollout } from '../rollout/document.ts';
import { createVersionServer, type VersionServerStats } from '../rollout/serve.ts';
import { layerBundles, type PartialBundle } from './bundle.ts';
import { createConfigCache } from './cache.ts';
import { clusterConfigs } from './cluster-configs.ts';
import type { compileBundle, InjectorConfig } from './compile.ts';
import { DEFAULT_BUNDLE } from './default.ts';
import type { ConfigLayer } from './layer.ts';
import type { SourceSnapshot } from './source.ts';
import { parseSourceList, type SourceRef } from './source-uri.ts';
import { fileStore } from './sources/file.ts';
import { createStores, type Stores, storeSettingsFromEnv } from './stores.ts';

/** What the running function supplies besides the environment; tests replace each. */
export interface ConfigRuntime {
  now?: () => number;
  /** One structured entry per config event; the default writes one JSON line to stderr. */
  log?: (entry: Record<string, unknown>) => void;
  compile?: typeof compileBundle;
  /** Bounds of the rollout caches (lib/rollout/serve.ts); the defaults are MAX_VERSIONS and friends. */
  rollout?: { maxVersions?: number; maxVersionBytes?: number; lastGoodBytes?: number };
  /** The store clients, shared with the caller-key source; by default made from the environment. */
  stores?: Stores;
}

/** The per-request lookup, with what the rollout caches hold (all zero without a rollout document). */
export type ConfigLookup = ((cluster: string) => Promise<InjectorConfig>) & {
  rolloutStats(): VersionServerStats;
};

type Served = (cluster: string) => InjectorConfig | Promise<InjectorConfig>;

/**
 * The config of a running function: OUTRIGGER_CONFIG, comma-separated source URIs layered in order over
 * the embedded default, or one rollout document (`kind: Rollout`) naming the bundle version of each
 * cluster; cached per OUTRIGGER_CONFIG_TTL and OUTRIGGER_CONFIG_MAX_STALE (docs/configuration.md,
 * "Config sources and caching"; docs/rollouts.md). Returns the per-request lookup; the cluster id comes
 * from the URL.
 */
export function configFromEnv(env: NodeJS.ProcessEnv, runtime: ConfigRuntime = {}): ConfigLookup {
  const refs = parseSourceList(env.OUTRIGGER_CONFIG ?? '');
  const label = refs.map((r) => r.uri).join(',') || 'embedded default';
  const stores = runtime.stores ?? createStores(storeSettingsFromEnv(env));
  const now = runtime.now ?? Date.now;
  const { ttlMs, maxStaleMs } = cacheTimesFromEnv(env);
  const log = runtime.log ?? logToStderr;
  // Made whatever the sources are: a bundle source may become a rollout document on its next version.
  const versions = createVersionServer({
    stores,
    now,
    ttlMs,
    log,
    compile: runtime.compile,
    ...runtime.rollout,
  });
  const build = (layers: ConfigLayer[]): Served => {
    const rollout = layers.find(isRollout);
    if (!rollout) {
      return clusterConfigs(
        layerBundles(DEFAULT_BUNDLE, ...(layers as PartialBundle[])),
        label,
        runtime.compile,
      );
    }
    if (layers.length !== 1) {
      throw new InjectionError(
        'config',
        `OUTRIGGER_CONFIG: a rollout document (kind: Rollout) must be the only source, not one of ${layers.length}`,
      );
    }
    const plan = compilePlan(rollout);
    log({
      level: 'info',
      msg: 'rollout loaded',
      source: label,
      default: rollout.default,
      version: rollout.version,
      started: rollout.started ?? 0,
      waves: rollout.waves?.length ?? 0,
    });
    return (cluster) => versions.configFor(plan, cluster);
  };
  const cache = createConfigCache({
    sources: refs.map(stores.source),
    build,
    now,
    ttlMs,
    maxStaleMs,
    log,
    // Local files load while the module initialises, so a cold start pays for template parsing once
    // and a bad bundle fails the deployment loudly instead of every request. Remote stores are first
    // contacted by the first request that needs the config: no network at import time.
    initial: refs.every(isFile) ? refs.map(readLocal) : undefined,
  });
  const lookup = async (cluster: string) => (await cache.get())(cluster);
  return Object.assign(lookup, { rolloutStats: versions.stats });
}

/**
 * OUTRIGGER_CONFIG_TTL (a refresh is due this long after the last attempt) and
 * OUTRIGGER_CONFIG_MAX_STALE (the last good copy is served this long while refreshes fail), which hold
 * for the config and the caller keys alike.
 */
export function cacheTimesFromEnv(env: NodeJS.ProcessEnv): { ttlMs: number; maxStaleMs: number } {
  return {
    ttlMs: seconds(env, 'OUTRIGGER_CONFIG_TTL', 60) * 1000,
    maxStaleMs: seconds(env, 'OUTRIGGER_CONFIG_MAX_STALE', 24 * 3600) * 1000,
  };
}

/** The config caches' log by default: one JSON line per event on stderr. */
export function logToStderr(entry: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify(entry)}\n`);
}

/** OUTRIGGER_ON_CONFIG_ERROR: what a pod gets while no config could be loaded at all. */
export function onConfigErrorFromEnv(env: NodeJS.ProcessEnv): 'deny' | 'allow' {
  const mode = env.OUTRIGGER_ON_CONFIG_ERROR || 'deny';
  if (mode !== 'deny' && mode !== 'allow') {
    throw new InjectionError('config', `OUTRIGGER_ON_CONFIG_ERROR must be deny or allow, not "${mode}"`);
  }
  return mode;
}

export function isFile(ref: SourceRef): ref is Extract<SourceRef, { scheme: 'file' }> {
  return ref.scheme === 'file';
}

/** A local source read now, while the module initialises: its failure fails the deployment. */
export function readLocal(ref: Extract<SourceRef, { scheme: 'file' }>): SourceSnapshot {
  try {
    return fileStore.readNow(ref);
  } catch (err) {
    throw new InjectionError('config', `config source ${ref.uri}: ${errorMessage(err)}`);
  }
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value >= 0)) throw new InjectionError('config', `${name} must be seconds (0 or more), not "${raw}"`);
  return value;
}
