import { InjectionError } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { findContainer, mapContainers } from '../kube/map-containers.ts';
import type { Pod } from '../kube/types.ts';
import { parseGoBool } from '../validate/annotations.ts';
import { PROXY_CONTAINER } from './reorder.ts';

/** Ports the proxy itself listens on; an application cannot ask Prometheus to scrape them. */
const RESERVED_PORTS = new Set([15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090]);

export interface PrometheusSettings {
  /** The port the agent serves merged metrics on (mesh defaultConfig.statusPort). */
  statusPort: number;
  /** mesh enablePrometheusMerge (default true). */
  meshMerge: boolean;
  /** The release reads `prometheus.istio.io/scrape-targets` (bundle features.prometheusScrapeTargets). */
  scrapeTargets?: boolean;
}

const SCRAPE_TARGETS = 'prometheus.istio.io/scrape-targets';

/**
 * Istio's metrics merging: the agent scrapes the application and serves both its own and the app's
 * metrics on the status port, so the pod's `prometheus.io/*` annotations are handed to the proxy in
 * ISTIO_PROMETHEUS_ANNOTATIONS and replaced by ones pointing at the agent. Off when the pod disables
 * scraping or merging, and a no-op when the annotations already point at the agent (re-injection).
 */
export function applyPrometheusMerge(pod: Pod, settings: PrometheusSettings): Pod {
  const annotations = pod.metadata?.annotations ?? {};
  // One pass over the keys: what the prometheus.io/* annotations say (the first key of each field, in
  // any of its spellings) and whether any spelling of `scrape` turns scraping off.
  const fields: Partial<Record<'scrape' | 'path' | 'port', string>> = {};
  let scrapeOff = false;
  let prometheusKeys = false;
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith('prometheus')) continue;
    prometheusKeys = true;
    const field = prometheusField(k);
    if (field === undefined) continue;
    fields[field] ??= v;
    if (field === 'scrape' && parseGoBool(v) === false) scrapeOff = true;
  }
  if (scrapeOff || !mergeEnabled(annotations, settings.meshMerge)) return pod;
  const target = String(settings.statusPort);
  if (fields.port === target) return pod;

  const scrape = fields.scrape;
  const targets = settings.scrapeTargets
    ? parseTargets(annotations[SCRAPE_TARGETS], settings.statusPort)
    : undefined;
  // The first target stands for a missing port or path annotation.
  const path = fields.path ?? targets?.[0]?.path;
  const port = fields.port ?? targets?.[0]?.port;
  // Releases before scrape targets (1.30 and earlier) pass any port through to the agent unchecked.
  if (port !== undefined && settings.scrapeTargets) checkPort(port, settings.statusPort);

  let out = pod;
  if (
    (scrape !== undefined || path !== undefined || port !== undefined || targets) &&
    findContainer(pod, PROXY_CONTAINER)
  ) {
    const config: Record<string, unknown> = { scrape: scrape ?? '', path: path ?? '', port: port ?? '' };
    if (targets) config.targets = targets;
    const env = { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(config) };
    out = mapContainers(pod, (c) =>
      c.name === PROXY_CONTAINER ? { ...c, env: [...((c.env as JsonObject[]) ?? []), env] } : c,
    );
  }
  const kept = prometheusKeys
    ? Object.fromEntries(
        Object.entries(annotations).filter(
          ([k]) => prometheusField(k) === undefined && !(settings.scrapeTargets && k === SCRAPE_TARGETS),
        ),
      )
    : annotations;
  return {
    ...out,
    metadata: {
      ...out.metadata,
      annotations: {
        ...kept,
        'prometheus.io/port': target,
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/scrape': 'true',
      },
    },
  };
}

/**
 * `prometheus.istio.io/secure-port` follows the proxy's ENVOY_SECURE_MERGED_METRICS_PORT unless the pod
 * set it itself.
 */
export function applySecurePrometheusPort(pod: Pod): Pod {
  const proxy = findContainer(pod, PROXY_CONTAINER);
  const env = (proxy?.env ?? []) as { name: string; value?: string }[];
  const port = env.find((e) => e.name === 'ENVOY_SECURE_MERGED_METRICS_PORT')?.value;
  const annotations = pod.metadata?.annotations ?? {};
  if (
    !port ||
    port === '0' ||
    Object.keys(annotations).some((k) => sanitise(k) === 'prometheus_istio_io_secure_port')
  )
    return pod;
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...annotations, 'prometheus.istio.io/secure-port': port } },
  };
}

function mergeEnabled(annotations: Record<string, string>, meshMerge: boolean): boolean {
  const v = annotations['prometheus.istio.io/merge-metrics'];
  return v !== undefined ? (parseGoBool(v) ?? meshMerge) : meshMerge;
}

/**
 * Prometheus' label sanitising: `prometheus.io/scrape`, `prometheus.io.scrape` and `prometheus-io/scrape`
 * are one. Only a key starting with `prometheus` can sanitise to one of those asked for here, and most
 * of a pod's annotations do not: they are not rewritten at all.
 */
function sanitise(key: string): string {
  return key.startsWith('prometheus') ? key.replace(/[^a-zA-Z0-9_]/g, '_') : key;
}

/** Which of `prometheus.io/scrape`, `port`, `path` the key is, in any spelling Prometheus reads as it. */
export function prometheusField(key: string): 'scrape' | 'path' | 'port' | undefined {
  return PROMETHEUS_FIELD.exec(sanitise(key))?.[1] as 'scrape' | 'path' | 'port' | undefined;
}

const PROMETHEUS_FIELD = /^prometheus_io_(scrape|port|path)$/;

function parseTargets(
  value: string | undefined,
  statusPort: number,
): { port: string; path: string }[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((entry) => {
    const [port = '', ...rest] = entry.trim().split(':');
    checkPort(port, statusPort);
    return { port, path: rest.join(':') || '/metrics' };
  });
}

function checkPort(port: string, statusPort: number): void {
  const n = Number(port);
  const problem =
    !/^\d+$/.test(port) || n < 1 || n > 65535
      ? `port "${port}" is not a port number`
      : n === statusPort || RESERVED_PORTS.has(n)
        ? `port ${n} conflicts with agent port`
        : undefined;
  if (problem)
    throw new InjectionError('bad-annotation', `invalid prometheus scrape configuration: ${problem}`);
}
