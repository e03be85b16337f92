import { type Bundle, layerBundles } from '../config/bundle.ts';
import { type ClusterLookup, clusterConfigs } from '../config/cluster-configs.ts';
import { compileBundle, type InjectorConfig } from '../config/compile.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { bundleLayer } from '../config/parse.ts';
import type { ConfigLayer, SourceSnapshot } from '../config/source.ts';
import { parseSourceUri } from '../config/source-uri.ts';
import type { Stores } from '../config/stores.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { checkContent } from './content.ts';

/** One bundle version a rollout names, read, checked and compiled: what a cluster is served from. */
export interface LoadedVersion {
  uri: string;
  /** The content hash id (lib/rollout/content.ts): what log lines and metrics name the version by. */
  id: string;
  lookup: ClusterLookup;
  /** An estimate of the heap the compiled version holds, for the cache's byte bound. */
  bytes: number;
}

/**
 * Heap bytes a compiled bundle holds per character of its JSON: measured 17.5 for the embedded Istio
 * profile (48 KB of JSON, 0.82 MiB compiled: parsed Liquid templates are most of it), rounded up.
 */
export const COMPILED_BYTES_PER_CHAR = 20;

/**
 * Reads one version (any store's URI), checks that its content is what its name says, layers it over
 * the embedded default and compiles it as the function will: every overlay is checked now, and each
 * cluster's config compiles on its first request. The configs it serves carry the version `<id>@<hash
 * of the compiled bundle>`, so a result cache never mixes two versions and the request log can name
 * the bundle version (lib/observe/request-log.ts).
 */
export async function loadVersion(
  uri: string,
  stores: Stores,
  compile: typeof compileBundle = compileBundle,
): Promise<LoadedVersion> {
  const fetched = await stores.readFirst(parseSourceUri(uri));
  return versionFromSnapshot(uri, fetched, fetched.parse(), compile);
}

/**
 * loadVersion of a version already read (and parsed, as `layer`): for a reader that had to read the
 * document to tell a bundle from a rollout document (publish --against), so it is not read twice.
 */
export function versionFromSnapshot(
  uri: string,
  fetched: SourceSnapshot,
  layer: ConfigLayer,
  compile: typeof compileBundle = compileBundle,
): LoadedVersion {
  const ref = parseSourceUri(uri);
  const id = fetched.text === undefined ? fetched.version : checkContent(ref, fetched.text);
  const bundle = layerBundles(DEFAULT_BUNDLE, bundleLayer(layer, uri));
  const compileVersion = (b: Bundle, source: string): InjectorConfig => {
    const config = compile(b, source);
    return { ...config, version: `${id}@${config.version}` };
  };
  let lookup: ClusterLookup;
  try {
    lookup = clusterConfigs(bundle, uri, compileVersion);
  } catch (err) {
    throw new InjectionError('config', `bundle version ${uri} does not compile: ${errorMessage(err)}`);
  }
  return { uri, id, lookup, bytes: estimateBytes(bundle) };
}

/** The shared bundle, plus for each overlay the values and mesh it is merged into, in JSON characters. */
export function estimateBytes(bundle: Bundle): number {
  const { clusters = {}, ...shared } = bundle;
  const merged = JSON.stringify(shared.values).length + JSON.stringify(shared.mesh).length;
  let chars = JSON.stringify(shared).length;
  for (const overlay of Object.values(clusters)) chars += merged + JSON.stringify(overlay).length;
  return COMPILED_BYTES_PER_CHAR * chars;
}
