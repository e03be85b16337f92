import type { JsonObject } from '../json.ts';
import { mapContainers } from '../kube/map-containers.ts';
import type { Container, Pod } from '../kube/types.ts';
import { PROXY_CONTAINER } from './reorder.ts';

interface EnvVar extends JsonObject {
  name: string;
}

/**
 * Istio's `overwriteClusterInfo`: the proxy env that comes from the URL path (and the resolved cluster
 * and network) replaces same-named template env vars and goes last, sorted by name.
 */
export function overwriteClusterEnv(pod: Pod, proxyEnvs: Record<string, string>): Pod {
  const names = Object.keys(proxyEnvs).sort();
  if (!names.length) return pod;
  const rewrite = (c: Container): Container => {
    if (c.name !== PROXY_CONTAINER) return c;
    const env = ((c.env ?? []) as unknown as EnvVar[]).filter((e) => !Object.hasOwn(proxyEnvs, e.name));
    return { ...c, env: [...env, ...names.map((name) => ({ name, value: proxyEnvs[name] as string }))] };
  };
  return mapContainers(pod, rewrite);
}
