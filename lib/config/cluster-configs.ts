import { InjectionError } from '../errors.ts';
import { type Bundle, checkComplete, layerBundles } from './bundle.ts';
import { compileBundle, type InjectorConfig } from './compile.ts';

/** The config for a cluster id (from `/inject/cluster/<id>/...`; "" when the path names none). */
export type ClusterLookup = (cluster: string) => InjectorConfig;

/**
 * One bundle version, served per cluster and revision: the base compiled now, each cluster's overlay
 * compiled on its first request and kept for as long as this version is, and likewise each revision of
 * each cluster (InjectorConfig.revision). Every overlay, and every cluster × revision combination, is
 * checked now, so a bad one rejects the whole version (and the last good one keeps serving) instead of
 * failing requests: overlays that bring templates are compiled now, the rest can no longer fail to
 * compile.
 *
 * Layers, in order: the bundle, `clusters.<id>`, then `revisions.<name>` (whose `values.revision` is
 * the revision's name unless the overlay says otherwise, as a revisioned istiod's chart renders it).
 */
export function clusterConfigs(
  bundle: Bundle,
  source: string,
  compile: typeof compileBundle = compileBundle,
): ClusterLookup {
  const { clusters = {}, revisions = {}, ...shared } = bundle;
  const served = Object.keys(revisions);
  const clusterBundle = (id: string): Bundle =>
    Object.hasOwn(clusters, id) ? withoutOverlays(layerBundles(shared, clusters[id] ?? {})) : shared;
  const clusterLabel = (id: string) => (Object.hasOwn(clusters, id) ? `${source} clusters.${id}` : source);
  const revisionBundle = (id: string, name: string) =>
    withoutOverlays(layerBundles(clusterBundle(id), { values: { revision: name } }, revisions[name] ?? {}));

  // Per cluster id ("" for the base): its config, and its revisions' configs as they are asked for.
  const configs = new Map<string, InjectorConfig>();
  const revisionConfigs = new Map<string, Map<string, InjectorConfig>>();
  const revisionOf = (id: string, name: string): InjectorConfig | undefined => {
    if (!Object.hasOwn(revisions, name)) return undefined;
    let cache = revisionConfigs.get(id);
    if (!cache) revisionConfigs.set(id, (cache = new Map()));
    let config = cache.get(name);
    if (!config) {
      config = compile(revisionBundle(id, name), `${clusterLabel(id)} revisions.${name}`);
      cache.set(name, config);
    }
    return config;
  };
  const configOf = (id: string): InjectorConfig => {
    let config = configs.get(id);
    if (!config) {
      config = compile(clusterBundle(id), clusterLabel(id));
      if (served.length)
        config = { ...config, revision: (name) => revisionOf(id, name), revisionNames: served };
      configs.set(id, config);
    }
    return config;
  };

  configOf('');
  for (const id of ['', ...Object.keys(clusters)]) {
    const overlay = id === '' ? {} : (clusters[id] ?? {});
    if (overlay.templates) configOf(id);
    else if (id !== '') checkComplete(clusterBundle(id), clusterLabel(id));
    for (const name of served) {
      if (overlay.templates || revisions[name]?.templates) revisionOf(id, name);
      else checkComplete(revisionBundle(id, name), `${clusterLabel(id)} revisions.${name}`);
    }
  }
  return (cluster) => configOf(Object.hasOwn(clusters, cluster) ? cluster : '');
}

/**
 * The config a request on revision `name` gets ("" or `default`: the config itself). Throws for a
 * revision the bundle does not serve, naming those it does.
 */
export function configForRevision(config: InjectorConfig, name: string): InjectorConfig {
  if (name === '' || name === 'default') return config;
  const found = config.revision?.(name);
  if (found) return found;
  const known = ['default', ...(config.revisionNames ?? [])].join(', ');
  throw new InjectionError(
    'config',
    `revision "${name}" is not served by this injector's config (revisions: ${known}); add it under the bundle's revisions`,
  );
}

/** A cluster's or revision's served bundle carries no overlays of its own. */
function withoutOverlays(bundle: Bundle): Bundle {
  const { clusters: _c, revisions: _r, ...rest } = bundle;
  return rest;
}
