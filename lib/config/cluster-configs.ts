import { type Bundle, checkComplete, layerBundles } from './bundle.ts';
import { compileBundle, type InjectorConfig } from './compile.ts';

/** The config for a cluster id (from `/inject/cluster/<id>/...`; "" when the path names none). */
export type ClusterLookup = (cluster: string) => InjectorConfig;

/**
 * One bundle version, served per cluster: the base compiled now, each cluster's overlay compiled on
 * its first request and kept for as long as this version is. Every overlay is checked now, so a bad
 * one rejects the whole version (and the last good one keeps serving) instead of failing requests:
 * overlays that bring templates are compiled now, the rest can no longer fail to compile.
 */
export function clusterConfigs(
  bundle: Bundle,
  source: string,
  compile: typeof compileBundle = compileBundle,
): ClusterLookup {
  const { clusters = {}, ...shared } = bundle;
  const base = compile(shared, source);
  const compiled = new Map<string, InjectorConfig>();
  const build = (id: string) => compile(layerBundles(shared, clusters[id] ?? {}), `${source} clusters.${id}`);
  for (const [id, overlay] of Object.entries(clusters)) {
    if (overlay.templates) compiled.set(id, build(id));
    else checkComplete(layerBundles(shared, overlay), `${source} clusters.${id}`);
  }
  return (cluster) => {
    if (!Object.hasOwn(clusters, cluster)) return base;
    let config = compiled.get(cluster);
    if (!config) {
      config = build(cluster);
      compiled.set(cluster, config);
    }
    return config;
  };
}
