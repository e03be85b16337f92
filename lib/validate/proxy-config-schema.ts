import { InjectionError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';

type FieldType =
  | 'string'
  | 'int32'
  | 'uint32'
  | 'bool'
  | 'duration'
  | 'stringMap'
  | 'stringList'
  | 'message'
  | readonly string[];

const TRACING_SERVICE_NAME = [
  'APP_LABEL_AND_NAMESPACE',
  'CANONICAL_NAME_ONLY',
  'CANONICAL_NAME_AND_NAMESPACE',
];

/**
 * The fields of Istio's ProxyConfig (mesh/v1alpha1/proxy.proto) with their protobuf JSON types. Nested
 * messages (tracing, readinessProbe, ...) are checked to be maps; their contents reach only PROXY_CONFIG,
 * never a template's structure.
 */
const PROXY_CONFIG: Record<string, FieldType> = {
  configPath: 'string',
  binaryPath: 'string',
  serviceCluster: 'string',
  tracingServiceName: TRACING_SERVICE_NAME,
  drainDuration: 'duration',
  parentShutdownDuration: 'duration',
  discoveryAddress: 'string',
  discoveryRefreshDelay: 'duration',
  zipkinAddress: 'string',
  statsdUdpAddress: 'string',
  envoyMetricsServiceAddress: 'string',
  proxyAdminPort: 'int32',
  availabilityZone: 'string',
  controlPlaneAuthPolicy: ['NONE', 'MUTUAL_TLS', 'INHERIT'],
  customConfigFile: 'string',
  statNameLength: 'int32',
  concurrency: 'int32',
  proxyBootstrapTemplatePath: 'string',
  interceptionMode: ['REDIRECT', 'TPROXY', 'NONE'],
  tracing: 'message',
  envoyAccessLogService: 'message',
  envoyMetricsService: 'message',
  proxyMetadata: 'stringMap',
  runtimeValues: 'stringMap',
  statusPort: 'int32',
  extraStatTags: 'stringList',
  gatewayTopology: 'message',
  terminationDrainDuration: 'duration',
  meshId: 'string',
  readinessProbe: 'message',
  proxyStatsMatcher: 'message',
  holdApplicationUntilProxyStarts: 'bool',
  caCertificatesPem: 'stringList',
  image: 'message',
  privateKeyProvider: 'message',
  proxyHeaders: 'message',
  fileFlushInterval: 'duration',
  fileFlushMinSizeKb: 'uint32',
};

/** protobuf JSON's Duration: seconds with up to nine fractional digits and an `s` ("45s", "0.5s"). */
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

/**
 * A ProxyConfig overlay as istiod reads it (protobuf JSON after YAML → JSON): every known field must
 * have its type, or the pod is refused naming the field; unknown fields are dropped, as istiod's
 * second, lenient parse drops them. Integers written as strings become numbers, as protojson reads them.
 */
export function checkProxyConfig(overlay: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [field, value] of Object.entries(overlay)) {
    const type = Object.hasOwn(PROXY_CONFIG, field) ? PROXY_CONFIG[field] : undefined;
    if (type === undefined || value === null || value === undefined) continue;
    const checked = checkField(value, type);
    if (checked === undefined) {
      throw new InjectionError('bad-annotation', `field ${field} must be ${describe(type)}`);
    }
    if (field === 'proxyMetadata') checkEnvNames(checked as JsonObject);
    out[field] = checked;
  }
  return out;
}

/**
 * proxyMetadata's keys become the proxy's env var names: the API server refuses a pod with an empty one,
 * or one with `=` or a character outside printable ASCII, so the annotation is refused instead, naming it.
 */
function checkEnvNames(metadata: JsonObject): void {
  for (const name of Object.keys(metadata)) {
    if (!ENV_NAME.test(name)) {
      throw new InjectionError(
        'bad-annotation',
        `field proxyMetadata: ${JSON.stringify(name)} is not an env var name (printable ASCII without "=", not empty)`,
      );
    }
  }
}

const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

function checkField(value: Json, type: FieldType): Json | undefined {
  if (typeof type !== 'string') return typeof value === 'string' && type.includes(value) ? value : undefined;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'int32':
    case 'uint32': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      const [min, max] = type === 'int32' ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
      return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
    }
    case 'duration':
      return typeof value === 'string' && DURATION.test(value) ? value : undefined;
    case 'stringMap':
      return isObject(value) && Object.values(value).every((v) => typeof v === 'string') ? value : undefined;
    case 'stringList':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
    case 'message':
      return isObject(value) ? value : undefined;
  }
}

function describe(type: FieldType): string {
  if (typeof type !== 'string') return `one of ${type.join(', ')}`;
  return {
    string: 'a string',
    bool: 'true or false (not a string)',
    int32: 'an integer',
    uint32: 'an integer of 0 or more',
    duration: 'a duration in seconds, such as "45s"',
    stringMap: 'a map of strings to strings',
    stringList: 'a list of strings',
    message: 'a map',
  }[type];
}
