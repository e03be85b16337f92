import type { InjectorConfig } from '../config/compile.ts';
import { deepFreeze, isObject, type Json, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';
import { type Workload, workloadOf } from '../kube/workload.ts';
import { omitNil } from './filters.ts';
import { otelResourceAttributes } from './otel.ts';
import { effectiveProxyConfig, PROXY_CONFIG_ANNOTATION, proxyConfigJSON } from './proxy-config.ts';

export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
const RESOURCE_ANNOTATIONS = {
  requests: { cpu: 'sidecar.istio.io/proxyCPU', memory: 'sidecar.istio.io/proxyMemory' },
  limits: { cpu: 'sidecar.istio.io/proxyCPULimit', memory: 'sidecar.istio.io/proxyMemoryLimit' },
} as const;

/**
 * What a template sees, named for template authors (docs/configuration.md, "Template data"). Besides
 * the inputs (`pod`, `values`, `mesh`, `revision`, `cluster`, `network`, `workload`), the values Istio
 * computes in Go before rendering are computed here, so templates stay declarative.
 */
export interface TemplateData {
  pod: Pod;
  values: JsonObject;
  mesh: JsonObject;
  /** Effective ProxyConfig: Istio's defaults, mesh defaultConfig, the pod's proxy.istio.io/config. */
  proxyConfig: JsonObject;
  /** The PROXY_CONFIG env value: only fields that differ from Istio's defaults. */
  proxyConfigJSON: string;
  revision: string;
  cluster: string;
  network: string;
  workload: Workload;
  /** Names of the pod's containers other than istio-proxy, in order (ISTIO_META_APP_CONTAINERS, default-container). */
  appContainers: string[];
  nativeSidecars: boolean;
  /** The proxy container's image: the annotation's or the values' full reference, else proxyImageURL. */
  proxyImage: string;
  /**
   * Istio's `.ProxyImage`: always `<hub>/<values.global.proxy.image or proxyv2>:<tag>[-<type>]`, even when
   * that image is a full reference (the 1.28-1.30 init container falls back to it).
   */
  proxyImageURL: string;
  /** Istio master's init container image (`.ProxyInitImage`, with the template's full-reference check). */
  proxyInitImage: string;
  proxyUID: number;
  proxyGID: number;
  /** Proxy resources: the proxyCPU/Memory(Limit) annotations if any is set, else values.global.proxy.resources. */
  proxyResources: JsonObject | null;
  /** `localhost` when the mesh's inbound traffic policy is LOCALHOST, else `passthrough`. */
  inboundTrafficPolicyMode: string;
  /** `sidecar.istio.io/userVolume` and `userVolumeMount` as lists with their names, sorted by name. */
  userVolumes: JsonObject[];
  userVolumeMounts: JsonObject[];
  /** The bundle's `compliancePolicy` (Istio's COMPLIANCE_POLICY, e.g. `fips-140-3`); "" for none. */
  compliancePolicy: string;
  /** OTEL_RESOURCE_ATTRIBUTES from the mesh's OpenTelemetry providers and the pod (template/otel.ts); "" for none. */
  otelResourceAttributes: string;
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
  const proxyConfig = effectiveProxyConfig(mesh, annotations[PROXY_CONFIG_ANNOTATION]);

  // As Istio's template reads it: any value but "false" means native; an empty one is unset.
  const nativeAnnotation = annotations[NATIVE_SIDECAR_ANNOTATION];
  const nativeSidecars = nativeAnnotation
    ? nativeAnnotation !== 'false'
    : (ctx.nativeSidecars ?? config.bundle.nativeSidecars);
  const imageType =
    annotations['sidecar.istio.io/proxyImageType'] ?? str(obj(proxyConfig.full.image).imageType);

  const workload = ctx.workload ?? workloadOf(pod);
  return {
    pod,
    values,
    mesh,
    proxyConfig: proxyConfig.full,
    proxyConfigJSON: proxyConfigJSON(proxyConfig.set),
    revision: ctx.revision,
    cluster: ctx.proxyEnvs.ISTIO_META_CLUSTER_ID ?? str(obj(global.multiCluster).clusterName),
    network:
      pod.metadata?.labels?.['topology.istio.io/network'] ??
      ctx.proxyEnvs.ISTIO_META_NETWORK ??
      str(global.network),
    workload,
    appContainers: (pod.spec?.containers ?? []).map((c) => c.name).filter((n) => n !== 'istio-proxy'),
    nativeSidecars,
    proxyImage: imageFor(annotations, global, proxyValues.image, imageType || str(global.variant)),
    proxyImageURL: imageURL(
      global.hub,
      str(proxyValues.image) || 'proxyv2',
      global.tag,
      imageType || str(global.variant),
    ),
    proxyInitImage: imageFor(
      annotations,
      global,
      str(obj(global.proxy_init).image) || 'proxyv2',
      annotations['sidecar.istio.io/proxyImageType'] ?? str(global.variant),
    ),
    proxyUID: 1337,
    proxyGID: 1337,
    proxyResources: proxyResources(annotations, proxyValues.resources),
    inboundTrafficPolicyMode:
      obj(mesh.inboundTrafficPolicy).mode === 'LOCALHOST' ? 'localhost' : 'passthrough',
    userVolumes: namedList(annotations['sidecar.istio.io/userVolume']),
    userVolumeMounts: namedList(annotations['sidecar.istio.io/userVolumeMount']),
    compliancePolicy: config.bundle.compliancePolicy ?? '',
    otelResourceAttributes: otelResourceAttributes(mesh, pod, workload.namespace),
  };
}

/**
 * Istio's image choice: the `sidecar.istio.io/proxyImage` annotation (or the values image) verbatim when
 * it is a full reference (contains `/`), else `<hub>/<image>:<tag>[-<type>]`.
 */
function imageFor(
  annotations: Record<string, string>,
  global: JsonObject,
  image: Json | undefined,
  type: string,
): string {
  const candidate = annotations['sidecar.istio.io/proxyImage'] ?? str(image);
  return candidate.includes('/') ? candidate : imageURL(global.hub, image, global.tag, type);
}

/**
 * `<hub>/<image>:<tag>[-<type>]`. A `-debug`/`-distroless` suffix on the tag is replaced by the
 * requested type; type `default` means no suffix.
 */
export function imageURL(
  hub: Json | undefined,
  image: Json | undefined,
  tag: Json | undefined,
  type: string,
): string {
  let t = str(tag);
  if (type !== '') {
    t = t.replace(/-(debug|distroless)$/, '');
    if (type !== 'default') t = `${t}-${type}`;
  }
  return `${str(hub)}/${str(image)}:${t}`;
}

function proxyResources(
  annotations: Record<string, string>,
  fromValues: Json | undefined,
): JsonObject | null {
  const out: JsonObject = {};
  for (const [kind, names] of Object.entries(RESOURCE_ANNOTATIONS)) {
    const part: JsonObject = {};
    for (const [resource, name] of Object.entries(names)) {
      if (annotations[name] !== undefined) part[resource] = annotations[name];
    }
    if (Object.keys(part).length) out[kind] = part;
  }
  if (Object.keys(out).length) return out;
  if (!isObject(fromValues)) return null;
  let resources = withoutNil.get(fromValues);
  if (!resources) withoutNil.set(fromValues, (resources = deepFreeze(omitNil(fromValues) as JsonObject)));
  return resources;
}

/**
 * The values' proxy resources without nils, made once per config (its values never change) and frozen:
 * the template prints them whole, twice a sidecar, and the fill reads a frozen value back once
 * (skeleton.ts), not per review.
 */
const withoutNil = new WeakMap<JsonObject, JsonObject>();

/**
 * A validated JSON map annotation (name → object) as a list of objects carrying their names. The map key
 * is the name: a `name` inside the value cannot rename the entry onto one of the injector's own.
 */
function namedList(annotation: string | undefined): JsonObject[] {
  if (annotation === undefined) return [];
  const parsed = JSON.parse(annotation) as Record<string, JsonObject> | [];
  const map = Array.isArray(parsed) ? {} : parsed;
  return Object.keys(map)
    .sort()
    .map((name) => {
      const { name: _, ...fields } = withoutDirectives(map[name] ?? {}) as JsonObject;
      return { name, ...fields };
    });
}

/** `$`-keys at any depth are merge directives, not fields: a pod must not smuggle `$patch` into the sidecar. */
function withoutDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (!k.startsWith('$') && v !== undefined) out[k] = withoutDirectives(v);
  }
  return out;
}

function obj(v: Json | undefined): JsonObject {
  return isObject(v) ? v : {};
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
