import { type Bundle, layerBundles, type PartialBundle } from '../config/bundle.ts';
import { type ClusterLookup, clusterConfigs } from '../config/cluster-configs.ts';
import { compileBundle, type InjectorConfig } from '../config/compile.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { bundleLayer } from '../config/parse.ts';
import type { ConfigLayer } from '../config/layer.ts';
import type { SourceSnapshot } from '../config/source.ts';
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
 * Heap a parsed template holds per character of its text: measured 11 to 17 for the Istio profiles'
 * templates (some 45,000 characters each, in liquidjs's parse tree), rounded up.
 */
export const TEMPLATE_BYTES_PER_CHAR = 20;

/**
 * Heap a compiled config holds per JSON character of its merged values and mesh config (and a version
 * per character of its other settings and its overlays): measured 1.5 to 2.3 KiB a config over a
 * profile's 2,250 characters (a merge copies only the maps an overlay changes and shares the rest) and
 * 1.2 bytes a character for a whole copy; 2 covers a config whose overlays change all of it, with the
 * config's own fixed cost.
 */
export const DATA_BYTES_PER_CHAR = 2;

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

/**
 * The heap a compiled version holds, for the cache's byte bound: every config clusterConfigs can make
 * (the base, one per cluster overlay, and one per revision of each of those: (clusters + 1) ×
 * revisions), each with its own merged values and mesh config; the bundle's other settings and its
 * overlays once; and each distinct template (name and text, as lib/template/engine.ts shares parses)
 * once, however many configs use it. A revision or cluster that names another profile brings that
 * profile's templates. Parses shared with other versions are counted in each: any one of them may be
 * the last to hold them.
 */
export function estimateBytes(bundle: Bundle): number {
  const { clusters = {}, revisions = {}, ...shared } = bundle;
  const templates = new Map<string, number>();
  const addTemplates = (b: Bundle) => {
    for (const [name, text] of Object.entries(b.templates)) templates.set(`${name}\0${text}`, text.length);
  };
  const json = (v: unknown) => JSON.stringify(v)?.length ?? 0;
  const data = (b: PartialBundle) => json(b.values) + json(b.mesh);
  // An overlay's own fields, as the bundle holds them (its templates are counted with the others).
  const own = ({ templates: _, ...rest }: PartialBundle) => json(rest);

  const { templates: _t, values: _v, mesh: _m, ...settings } = shared;
  let chars = json(settings) + data(shared);
  addTemplates(shared);
  // Each revision over the base: its merged data, also the base of its config for every cluster.
  const revisionData = Object.entries(revisions).map(([name, overlay]) => {
    const merged = layerBundles(shared, { values: { revision: name } }, overlay);
    addTemplates(merged);
    chars += own(overlay) + data(merged);
    return data(merged);
  });
  for (const overlay of Object.values(clusters)) {
    const merged = layerBundles(shared, overlay);
    addTemplates(merged);
    chars += own(overlay) + data(merged);
    // The cluster's config of each revision: the revision's data with the cluster's changes on it.
    for (const revision of revisionData) chars += revision + data(overlay);
  }
  let templateChars = 0;
  for (const length of templates.values()) templateChars += length;
  return DATA_BYTES_PER_CHAR * chars + TEMPLATE_BYTES_PER_CHAR * templateChars;
}
