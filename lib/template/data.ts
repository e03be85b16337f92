import yaml from 'js-yaml';
import type { InjectorConfig } from '../config/compile.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { deepMerge, isObject, type Json, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import { type Workload, workloadOf } from '../kube/workload.ts';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';

/**
 * What a template sees, named for template authors (README "Template data"):
 * `pod` the Pod as JSON (`pod.metadata.annotations`, `pod.spec.containers`), `values` and `mesh` from the
 * bundle, `proxyConfig` (mesh defaultConfig with the pod's `proxy.istio.io/config` over it), `revision`,
 * `cluster` and `network` (URL path, pod label, then values), `workload` (the owning Deployment,
 * CronJob, ... or the pod), `nativeSidecars`, `proxyImage`, `proxyInitImage`, `proxyUID`, `proxyGID`.
 */
export interface TemplateData {
  pod: Pod;
  values: JsonObject;
  mesh: JsonObject;
  proxyConfig: JsonObject;
  revision: string;
  cluster: string;
  network: string;
  workload: Workload;
  nativeSidecars: boolean;
  proxyImage: string;
  proxyInitImage: string;
  proxyUID: number;
  proxyGID: number;
}

export interface RequestContext {
  /** Proxy environment from the webhook URL path (`/inject/cluster/<id>/net/<net>`). */
  proxyEnvs: Record<string, string>;
  revision: string;
  /** Overrides the bundle's nativeSidecars setting (the CLI's --native-sidecars). */
  nativeSidecars?: boolean;
  /** The workload, when known better than the pod's owner references tell (kube-inject). */
  workload?: Workload;
}

export function buildTemplateData(pod: Pod, config: InjectorConfig, ctx: RequestContext): TemplateData {
  const { values, mesh } = config.bundle;
  const annotations = pod.metadata?.annotations ?? {};
  const global = obj(values.global);
  const proxyValues = obj(global.proxy);

  const nativeAnnotation = annotations[NATIVE_SIDECAR_ANNOTATION];
  const nativeSidecars =
    nativeAnnotation === 'true' || nativeAnnotation === 'false'
      ? nativeAnnotation === 'true'
      : (ctx.nativeSidecars ?? config.bundle.nativeSidecars);

  return {
    pod,
    values,
    mesh,
    proxyConfig: proxyConfigFor(mesh, annotations[PROXY_CONFIG_ANNOTATION]),
    revision: ctx.revision,
    cluster: ctx.proxyEnvs.ISTIO_META_CLUSTER_ID ?? str(obj(global.multiCluster).clusterName),
    network:
      pod.metadata?.labels?.['topology.istio.io/network'] ??
      ctx.proxyEnvs.ISTIO_META_NETWORK ??
      str(global.network),
    workload: ctx.workload ?? workloadOf(pod),
    nativeSidecars,
    proxyImage: imageURL(global.hub, proxyValues.image, global.tag, str(global.variant)),
    proxyInitImage: imageURL(global.hub, obj(global.proxy_init).image, global.tag, ''),
    proxyUID: 1337,
    proxyGID: 1337,
  };
}

/** Mesh `defaultConfig` with the pod's `proxy.istio.io/config` (YAML or JSON) merged over it. */
export function proxyConfigFor(mesh: JsonObject, annotation: string | undefined): JsonObject {
  const base = obj(mesh.defaultConfig);
  if (annotation === undefined || annotation.trim() === '') return base;
  let overlay: unknown;
  try {
    overlay = yaml.load(annotation);
  } catch (err) {
    throw new InjectionError(
      'bad-annotation',
      `invalid ${PROXY_CONFIG_ANNOTATION} annotation: ${errorMessage(err)}`,
    );
  }
  if (!isObject(overlay)) {
    throw new InjectionError(
      'bad-annotation',
      `invalid ${PROXY_CONFIG_ANNOTATION} annotation: must be a ProxyConfig map`,
    );
  }
  return deepMerge(base, overlay) as JsonObject;
}

/**
 * Istio's image naming: `<hub>/<image>:<tag>[-<type>]`, or the image as given when it is already a full
 * reference (contains `/`). A `-debug`/`-distroless` suffix on the tag is replaced by the requested type;
 * type `default` means no suffix.
 */
export function imageURL(
  hub: Json | undefined,
  image: Json | undefined,
  tag: Json | undefined,
  type: string,
): string {
  const name = str(image);
  if (name.includes('/')) return name;
  let t = str(tag);
  if (type !== '') {
    t = t.replace(/-(debug|distroless)$/, '');
    if (type !== 'default') t = `${t}-${type}`;
  }
  return `${str(hub)}/${name}:${t}`;
}

function obj(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
