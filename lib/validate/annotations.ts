import { isIP } from 'node:net';
import { errorMessage, InjectionError } from '../errors.ts';
import { isObject } from '../json.ts';
import { parseProxyConfigOverlay } from '../template/proxy-config.ts';

type Check = (value: string) => string | undefined;

/**
 * Istio's `validateAnnotations`: the pod annotations whose values feed iptables, probes and the proxy
 * config are checked before anything renders, and a bad one rejects the pod with a message naming it.
 * All problems are reported at once.
 */
export function validateAnnotations(annotations: Record<string, string> | undefined): void {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(annotations ?? {})) {
    const check = Object.hasOwn(CHECKS, name) ? CHECKS[name] : undefined;
    const problem = check?.(String(value));
    if (problem)
      problems.push(`invalid value '${shorten(String(value))}' for annotation '${name}': ${problem}`);
  }
  if (problems.length) throw new InjectionError('bad-annotation', problems.join('; '));
}

const CHECKS: Record<string, Check> = {
  'sidecar.istio.io/interceptionMode': (v) =>
    ['REDIRECT', 'TPROXY', 'NONE'].includes(v)
      ? undefined
      : `interceptionMode invalid, use REDIRECT,TPROXY,NONE`,
  'status.sidecar.istio.io/port': portProblem,
  'readiness.status.sidecar.istio.io/initialDelaySeconds': uint32,
  'readiness.status.sidecar.istio.io/periodSeconds': uint32,
  'readiness.status.sidecar.istio.io/failureThreshold': uint32,
  'traffic.sidecar.istio.io/includeOutboundIPRanges': (v) =>
    v === '*' ? undefined : prefixed('includeIPRanges', cidrList(v)),
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': (v) => prefixed('excludeIPRanges', cidrList(v)),
  'traffic.sidecar.istio.io/includeInboundPorts': (v) =>
    v === '*' ? undefined : prefixed('includeInboundPorts', portList(v)),
  'traffic.sidecar.istio.io/excludeInboundPorts': (v) => prefixed('excludeInboundPorts', portList(v)),
  'traffic.sidecar.istio.io/excludeOutboundPorts': (v) => prefixed('excludeOutboundPorts', portList(v)),
  'prometheus.istio.io/merge-metrics': (v) =>
    parseGoBool(v) === undefined ? `"${v}" is not a boolean` : undefined,
  'proxy.istio.io/config': proxyConfigProblem,
  'sidecar.istio.io/proxyCPU': quantity,
  'sidecar.istio.io/proxyMemory': quantity,
  'sidecar.istio.io/proxyCPULimit': quantity,
  'sidecar.istio.io/proxyMemoryLimit': quantity,
  'sidecar.istio.io/userVolume': (v) => jsonMapProblem(v, 'a JSON map of volume name to Volume'),
  'sidecar.istio.io/userVolumeMount': (v) => jsonMapProblem(v, 'a JSON map of volume name to VolumeMount'),
};

/** A rejected value is echoed so the user can find it, but not whole: a message must fit a log entry. */
function shorten(value: string): string {
  return value.length <= 200 ? value : `${value.slice(0, 200)}… (${value.length} characters)`;
}

/** Go's strconv.ParseBool, which Istio uses for boolean annotations. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function prefixed(what: string, problem: string | undefined): string | undefined {
  return problem && `${what} invalid: ${problem}`;
}

function cidrList(v: string): string | undefined {
  if (v === '') return undefined;
  for (const cidr of v.split(',')) {
    const [ip = '', bits, extra] = cidr.split('/');
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    // As Go's netip.ParsePrefix: no zone (`fe80::1%eth0`, which isIP allows) and no leading zero in
    // the prefix length (`/08`).
    if (
      family === 0 ||
      ip.includes('%') ||
      bits === undefined ||
      extra !== undefined ||
      !/^(0|[1-9]\d{0,2})$/.test(bits) ||
      Number(bits) > max
    ) {
      return `failed parsing cidr '${cidr}'`;
    }
  }
  return undefined;
}

/** Istio's parsePorts: the list trimmed, each item trimmed; an empty item (`80,,90`, `80,`) is an error. */
function portList(v: string): string | undefined {
  if (v.trim() === '') return undefined;
  for (const part of v.trim().split(',')) {
    const problem = portProblem(part.trim());
    if (problem) return problem;
  }
  return undefined;
}

function portProblem(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) <= 65535 ? undefined : `failed parsing port "${v}"`;
}

function uint32(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) <= 0xffffffff ? undefined : `"${v}" is not an unsigned 32-bit integer`;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;
function quantity(v: string): string | undefined {
  return QUANTITY.test(v) ? undefined : `"${v}" is not a Kubernetes quantity (e.g. 100m, 128Mi)`;
}

function proxyConfigProblem(v: string): string | undefined {
  if (v.trim() === '') return undefined;
  try {
    parseProxyConfigOverlay(v);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

function jsonMapProblem(v: string, what: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(v);
    // An empty list renders nothing in Istio's template (it ranges over it), so it is no error.
    if (Array.isArray(parsed) && parsed.length === 0) return undefined;
    if (!isObject(parsed) || Object.values(parsed).some((x) => !isObject(x))) return `must be ${what}`;
    return undefined;
  } catch {
    return `must be ${what}`;
  }
}
