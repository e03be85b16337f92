import { errorMessage, InjectionError } from '../errors.ts';
import { deepMerge, isObject, type Json, type JsonObject } from '../json.ts';
import { parseBoundedYaml } from '../validate/bounded-parse.ts';
import { checkProxyConfig } from '../validate/proxy-config-schema.ts';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/**
 * Istio's `mesh.DefaultProxyConfig()`: what a ProxyConfig field means when nobody sets it. The same
 * for every release profile (1.28 on): Istio dropped the default Zipkin tracer (`tracing.zipkin.address
 * zipkin.istio-system:9411`) in 2024, so a mesh that sets that address gets it in PROXY_CONFIG.
 */
export const DEFAULT_PROXY_CONFIG: JsonObject = {
  configPath: './etc/istio/proxy',
  binaryPath: '/usr/local/bin/envoy',
  serviceCluster: 'istio-proxy',
  drainDuration: '45s',
  discoveryAddress: 'istiod.istio-system.svc:15012',
  proxyAdminPort: 15000,
  controlPlaneAuthPolicy: 'MUTUAL_TLS',
  statNameLength: 189,
  interceptionMode: 'REDIRECT',
  statusPort: 15020,
  terminationDrainDuration: '5s',
};

/** ProxyConfig fields in the order of their declaration in Istio's proxy.proto (protojson's order). */
const FIELD_ORDER = [
  'configPath',
  'binaryPath',
  'serviceCluster',
  'tracingServiceName',
  'drainDuration',
  'parentShutdownDuration',
  'discoveryAddress',
  'discoveryRefreshDelay',
  'zipkinAddress',
  'statsdUdpAddress',
  'envoyMetricsServiceAddress',
  'proxyAdminPort',
  'availabilityZone',
  'controlPlaneAuthPolicy',
  'customConfigFile',
  'statNameLength',
  'concurrency',
  'proxyBootstrapTemplatePath',
  'interceptionMode',
  'tracing',
  'envoyAccessLogService',
  'envoyMetricsService',
  'proxyMetadata',
  'runtimeValues',
  'statusPort',
  'extraStatTags',
  'gatewayTopology',
  'terminationDrainDuration',
  'meshId',
  'readinessProbe',
  'proxyStatsMatcher',
  'holdApplicationUntilProxyStarts',
  'caCertificatesPem',
  'image',
  'privateKeyProvider',
  'proxyHeaders',
  'fileFlushInterval',
  'fileFlushMinSizeKb',
];

/**
 * The pod's effective ProxyConfig: defaults, then mesh `defaultConfig`, then the pod's
 * `proxy.istio.io/config` annotation (YAML or JSON). Maps merge key by key (proxyMetadata), and
 * proxyMetadata is key-sorted, as Go templates range over it.
 */
export function effectiveProxyConfig(
  mesh: JsonObject,
  annotation: string | undefined,
): { full: JsonObject; set: JsonObject } {
  const fromMesh = isObject(mesh.defaultConfig) ? mesh.defaultConfig : {};
  const set = deepMerge(fromMesh, parseAnnotation(annotation)) as JsonObject;
  const full = deepMerge(DEFAULT_PROXY_CONFIG, set) as JsonObject;
  if (isObject(full.proxyMetadata)) full.proxyMetadata = sortKeys(full.proxyMetadata);
  return { full, set };
}

/**
 * Istio's `protoToJSON` of a cleaned ProxyConfig (the PROXY_CONFIG env var): only the fields that
 * differ from the defaults, in proto declaration order, maps key-sorted.
 */
export function proxyConfigJSON(set: JsonObject): string {
  const out: JsonObject = {};
  const keys = Object.keys(set).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const value = set[key];
    if (value === undefined || value === null) continue;
    if (JSON.stringify(value) === JSON.stringify(DEFAULT_PROXY_CONFIG[key])) continue;
    out[key] = isObject(value) && key === 'proxyMetadata' ? sortKeys(value) : value;
  }
  return JSON.stringify(out);
}

/**
 * The pod's `proxy.istio.io/config` as a ProxyConfig overlay: YAML within the parse limits of a pod
 * field, each known field of its type (unknown ones dropped, as istiod drops them). Throws an
 * InjectionError whose message is the bare problem; validateAnnotations words it as Istio does.
 */
export function parseProxyConfigOverlay(text: string): JsonObject {
  const overlay = parseBoundedYaml(text, '');
  if (!isObject(overlay)) throw new InjectionError('bad-annotation', 'must be a ProxyConfig map');
  return checkProxyConfig(overlay);
}

function parseAnnotation(annotation: string | undefined): JsonObject {
  if (annotation === undefined || annotation.trim() === '') return {};
  try {
    return parseProxyConfigOverlay(annotation);
  } catch (err) {
    throw new InjectionError(
      'bad-annotation',
      `invalid annotation ${PROXY_CONFIG_ANNOTATION}: ${errorMessage(err)}`,
    );
  }
}

function rank(key: string): number {
  const i = FIELD_ORDER.indexOf(key);
  return i < 0 ? FIELD_ORDER.length : i;
}

function sortKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as Json;
  return out;
}
