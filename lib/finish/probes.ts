import { isObject, type Json, type JsonObject } from '../json.ts';
import { findContainer, mapContainers } from '../kube/map-containers.ts';
import type { Container, Pod } from '../kube/types.ts';
import { parseGoBool } from '../validate/annotations.ts';
import { PROXY_CONTAINER } from './reorder.ts';

export const REWRITE_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';
const PROBERS_ENV = 'ISTIO_KUBE_APP_PROBERS';

const PROBES = [
  ['readinessProbe', 'app-health', 'readyz'],
  ['livenessProbe', 'app-health', 'livez'],
  ['startupProbe', 'app-health', 'startupz'],
] as const;
const HOOKS = [
  ['preStop', 'app-lifecycle', 'prestopz'],
  ['postStart', 'app-lifecycle', 'poststartz'],
] as const;

export interface ProbeSettings {
  /** values.sidecarInjectorWebhook.rewriteAppHTTPProbe; the pod's annotation overrides it. */
  rewriteByDefault: boolean;
  /** Where probes are pointed: the pod's status.sidecar.istio.io/port, else the mesh's status port. */
  statusPort: number;
  /**
   * The mesh's status port: a probe already on it counts as rewritten and is not dumped (Istio's
   * DumpAppProbers takes the mesh's port, not the pod's annotation).
   */
  meshStatusPort: number;
  /** The pod carried a status annotation: merge with the probers the previous injection recorded. */
  previouslyInjected: boolean;
}

/**
 * Istio's probe rewrite. With mTLS the kubelet cannot reach the app's HTTP, TCP and gRPC probes and
 * HTTP/TCP lifecycle hooks, so each is pointed at the agent (`/app-health/<container>/<probe>` on the
 * status port), and the original targets go to the agent in ISTIO_KUBE_APP_PROBERS (named ports resolved).
 */
export function rewriteProbes(pod: Pod, settings: ProbeSettings): Pod {
  const flag = pod.metadata?.annotations?.[REWRITE_ANNOTATION];
  const enabled =
    flag === undefined ? settings.rewriteByDefault : (parseGoBool(flag) ?? settings.rewriteByDefault);
  if (!enabled || !findContainer(pod, PROXY_CONTAINER)) return pod;

  const probers = dumpProbers(pod, settings.meshStatusPort);
  let out = pod;
  if (Object.keys(probers).length) {
    out = mapContainers(out, (c) =>
      c.name === PROXY_CONTAINER ? withProbers(c, probers, settings.previouslyInjected) : c,
    );
  }
  return mapContainers(out, (c) =>
    c.name === PROXY_CONTAINER ? c : rewriteContainer(c, settings.statusPort),
  );
}

function dumpProbers(pod: Pod, statusPort: number): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    // The port names are gathered only for a container that has something to rewrite.
    if (
      c.name === PROXY_CONTAINER ||
      !(PROBES.some(([field]) => isObject(c[field])) || isObject(c.lifecycle))
    )
      continue;
    const ports = new Map<string, Json>();
    for (const p of Array.isArray(c.ports) ? c.ports : []) {
      if (isObject(p) && typeof p.name === 'string' && p.name !== '')
        ports.set(p.name, p.containerPort ?? null);
    }
    for (const [field, prefix, suffix] of PROBES) {
      const p = prober(c[field], true, ports, statusPort);
      if (p) out[`/${prefix}/${c.name}/${suffix}`] = p;
    }
    const lifecycle = isObject(c.lifecycle) ? c.lifecycle : {};
    for (const [field, prefix, suffix] of HOOKS) {
      const p = prober(lifecycle[field], false, ports, statusPort);
      if (p) out[`/${prefix}/${c.name}/${suffix}`] = p;
    }
  }
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((k) => [k, out[k] as JsonObject]),
  );
}

/** What the agent needs to run one probe itself; undefined when there is nothing to rewrite. */
function prober(
  probe: Json | undefined,
  withTimeout: boolean,
  ports: Map<string, Json>,
  statusPort: number,
): JsonObject | undefined {
  if (!isObject(probe)) return undefined;
  if (isObject(probe.grpc)) {
    // As Go's GRPCAction marshals: port, then service, which has no omitempty (null when unset).
    const grpc = { port: probe.grpc.port, service: probe.grpc.service ?? null } as JsonObject;
    return compact({ grpc, timeoutSeconds: withTimeout ? probe.timeoutSeconds : undefined });
  }
  const kind = isObject(probe.httpGet) ? 'httpGet' : isObject(probe.tcpSocket) ? 'tcpSocket' : undefined;
  if (!kind) return undefined;
  const action = { ...(probe[kind] as JsonObject) };
  if (typeof action.port === 'string' && !/^\d+$/.test(action.port)) {
    const resolved = ports.get(action.port);
    if (resolved === undefined) return undefined;
    action.port = resolved;
  } else if (Number(action.port) === statusPort) {
    return undefined; // already rewritten
  }
  const ordered =
    kind === 'httpGet'
      ? order(action, ['path', 'port', 'host', 'scheme', 'httpHeaders'])
      : order(action, ['port', 'host']);
  return compact({ [kind]: ordered, timeoutSeconds: withTimeout ? probe.timeoutSeconds : undefined });
}

function withProbers(
  proxy: Container,
  probers: Record<string, JsonObject>,
  previouslyInjected: boolean,
): Container {
  const env = (proxy.env ?? []) as { name: string; value?: string }[];
  const existing = env.findIndex((e) => e.name === PROBERS_ENV);
  if (!previouslyInjected || existing < 0) {
    return { ...proxy, env: [...env, { name: PROBERS_ENV, value: JSON.stringify(probers) }] };
  }
  // A re-injected pod's probes already point at the agent; the recorded originals win.
  let previous: Record<string, JsonObject>;
  try {
    previous = JSON.parse(env[existing]?.value ?? '{}');
  } catch {
    previous = {};
  }
  const merged = { ...probers, ...previous };
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((k) => [k, merged[k]]),
  );
  return {
    ...proxy,
    env: env.map((e, i) => (i === existing ? { name: PROBERS_ENV, value: JSON.stringify(sorted) } : e)),
  };
}

function rewriteContainer(c: Container, statusPort: number): Container {
  let out = c;
  for (const [field, prefix, suffix] of PROBES) {
    const probe = c[field];
    const rewritten = isObject(probe)
      ? redirect(probe, `/${prefix}/${c.name}/${suffix}`, statusPort, true)
      : undefined;
    if (rewritten) out = { ...out, [field]: rewritten };
  }
  if (isObject(c.lifecycle)) {
    const lifecycle: JsonObject = { ...c.lifecycle };
    for (const [field, prefix, suffix] of HOOKS) {
      const hook = lifecycle[field];
      const rewritten = isObject(hook)
        ? redirect(hook, `/${prefix}/${c.name}/${suffix}`, statusPort, false)
        : undefined;
      if (rewritten) lifecycle[field] = rewritten;
    }
    out = { ...out, lifecycle };
  }
  return out;
}

/** The probe or hook pointed at the agent; its other settings (timeouts, thresholds, headers) stay. */
function redirect(
  probe: JsonObject,
  path: string,
  statusPort: number,
  grpc: boolean,
): JsonObject | undefined {
  if (isObject(probe.httpGet)) {
    const httpGet: JsonObject = { ...probe.httpGet, path, port: statusPort };
    if (httpGet.scheme === 'HTTPS') httpGet.scheme = 'HTTP';
    return { ...probe, httpGet };
  }
  if (isObject(probe.tcpSocket) || (grpc && isObject(probe.grpc))) {
    const { tcpSocket: _t, grpc: _g, ...rest } = probe;
    return { httpGet: { path, port: statusPort }, ...rest };
  }
  return undefined;
}

function order(o: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
  return out;
}

function compact(o: Record<string, Json | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== 0) out[k] = v;
  return out;
}
