import { isObject, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';

/**
 * Structural checks of an injected pod: the subset of the API server's Pod validation an injector can
 * get wrong (kubernetes-models is a development dependency only, so the shipped CLI carries its own).
 * Names present, well formed and unique per list; mounts refer to volumes; at most one source per
 * volume (none is an emptyDir); port
 * numbers, protocols and quantities well formed; one handler per probe; labels and annotations within
 * Kubernetes' limits. Returns every problem, each naming the field.
 */
export function podProblems(pod: Pod): string[] {
  const problems: string[] = [];
  const say = (path: string, problem: string) => problems.push(`${path}: ${problem}`);
  checkMetadata(pod.metadata, say);
  const spec = pod.spec;
  if (!isObject(spec)) {
    say('spec', 'is missing');
    return problems;
  }
  const volumes = new Set<string>();
  if (spec.volumes !== undefined) {
    if (!Array.isArray(spec.volumes)) say('spec.volumes', 'must be a list');
    else
      for (const [i, v] of spec.volumes.entries()) {
        const path = `spec.volumes[${i}]`;
        if (!isObject(v)) {
          say(path, 'must be a map');
          continue;
        }
        const name = checkName(v.name, path, say, DNS_LABEL, 63);
        if (name !== undefined) {
          if (volumes.has(name)) say(`${path}.name`, `"${name}" is used by another volume`);
          volumes.add(name);
        }
        // A volume with no source is defaulted to an emptyDir by the API server.
        const sources = Object.keys(v).filter((k) => k !== 'name');
        if (sources.length > 1) say(path, `has more than one volume source (${sources.join(', ')})`);
      }
  }
  const containerNames = new Set<string>();
  const lists = ['initContainers', 'containers', 'ephemeralContainers'] as const;
  if (!Array.isArray(spec.containers) || spec.containers.length === 0)
    say('spec.containers', 'must be a list of at least one container');
  for (const list of lists) {
    const value = spec[list];
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      say(`spec.${list}`, 'must be a list');
      continue;
    }
    for (const [i, c] of value.entries()) {
      const path = `spec.${list}[${i}]`;
      if (!isObject(c)) {
        say(path, 'must be a map');
        continue;
      }
      const name = checkName(c.name, path, say, DNS_LABEL, 63);
      if (name !== undefined) {
        if (containerNames.has(name))
          say(`${path}.name`, `"${name}" is used by another container of the pod`);
        containerNames.add(name);
      }
      checkContainer(c, path, list, volumes, say);
    }
  }
  return problems;
}

type Say = (path: string, problem: string) => void;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|n|u)?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function checkName(value: unknown, path: string, say: Say, pattern: RegExp, max: number): string | undefined {
  if (typeof value !== 'string' || value === '') {
    say(`${path}.name`, 'is missing');
    return undefined;
  }
  if (value.length > max || !pattern.test(value))
    say(
      `${path}.name`,
      `"${value}" is not a valid name (lower-case letters, digits and '-', at most ${max})`,
    );
  return value;
}

function checkContainer(c: JsonObject, path: string, list: string, volumes: Set<string>, say: Say): void {
  if (list !== 'ephemeralContainers' && (typeof c.image !== 'string' || c.image.trim() === ''))
    say(`${path}.image`, 'is missing');
  for (const field of ['command', 'args'] as const) {
    const v = c[field];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
      say(`${path}.${field}`, 'must be a list of strings');
  }
  if (c.env !== undefined) {
    if (!Array.isArray(c.env)) say(`${path}.env`, 'must be a list');
    else
      for (const [i, e] of c.env.entries()) {
        const at = `${path}.env[${i}]`;
        if (!isObject(e) || typeof e.name !== 'string' || e.name === '') say(`${at}.name`, 'is missing');
        else {
          if (e.name.includes('=')) say(`${at}.name`, `"${e.name}" may not contain "="`);
          if (e.value !== undefined && e.valueFrom !== undefined) say(at, 'sets both value and valueFrom');
          if (e.value !== undefined && typeof e.value !== 'string') say(`${at}.value`, 'must be a string');
        }
      }
  }
  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports)) say(`${path}.ports`, 'must be a list');
    else {
      const names = new Set<string>();
      for (const [i, p] of c.ports.entries()) {
        const at = `${path}.ports[${i}]`;
        if (!isObject(p)) {
          say(at, 'must be a map');
          continue;
        }
        const port = p.containerPort;
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
          say(`${at}.containerPort`, `must be a port number from 1 to 65535, not ${JSON.stringify(port)}`);
        if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(p.protocol)))
          say(`${at}.protocol`, `must be TCP, UDP or SCTP, not ${JSON.stringify(p.protocol)}`);
        if (p.name !== undefined) {
          const name = String(p.name);
          if (name.length > 15 || !PORT_NAME.test(name) || name.includes('--'))
            say(`${at}.name`, `"${name}" is not a valid port name (at most 15 characters, a-z, 0-9, '-')`);
          if (names.has(name)) say(`${at}.name`, `"${name}" is used by another port of the container`);
          names.add(name);
        }
      }
    }
  }
  if (c.volumeMounts !== undefined) {
    if (!Array.isArray(c.volumeMounts)) say(`${path}.volumeMounts`, 'must be a list');
    else {
      const paths = new Set<string>();
      for (const [i, m] of c.volumeMounts.entries()) {
        const at = `${path}.volumeMounts[${i}]`;
        if (!isObject(m)) {
          say(at, 'must be a map');
          continue;
        }
        if (typeof m.name !== 'string' || m.name === '') say(`${at}.name`, 'is missing');
        else if (!volumes.has(m.name)) say(`${at}.name`, `"${m.name}" is not a volume of the pod`);
        if (typeof m.mountPath !== 'string' || m.mountPath === '') say(`${at}.mountPath`, 'is missing');
        else {
          if (paths.has(m.mountPath)) say(`${at}.mountPath`, `"${m.mountPath}" is mounted twice`);
          paths.add(m.mountPath);
        }
      }
    }
  }
  if (c.resources !== undefined) {
    if (!isObject(c.resources)) say(`${path}.resources`, 'must be a map');
    else
      for (const kind of ['requests', 'limits'] as const) {
        const values = c.resources[kind];
        if (values === undefined) continue;
        if (!isObject(values)) {
          say(`${path}.resources.${kind}`, 'must be a map');
          continue;
        }
        for (const [name, q] of Object.entries(values)) {
          if ((typeof q !== 'string' && typeof q !== 'number') || !QUANTITY.test(String(q)))
            say(`${path}.resources.${kind}.${name}`, `${JSON.stringify(q)} is not a quantity`);
        }
      }
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const p = c[probe];
    if (p === undefined) continue;
    if (!isObject(p)) {
      say(`${path}.${probe}`, 'must be a map');
      continue;
    }
    const handlers = PROBE_HANDLERS.filter((h) => p[h] !== undefined);
    if (handlers.length !== 1)
      say(
        `${path}.${probe}`,
        `must have exactly one handler (${PROBE_HANDLERS.join(', ')}), has ${handlers.length}`,
      );
  }
  if (c.restartPolicy !== undefined && list === 'initContainers' && c.restartPolicy !== 'Always')
    say(
      `${path}.restartPolicy`,
      `may only be Always on an init container, not ${JSON.stringify(c.restartPolicy)}`,
    );
  const sc = c.securityContext;
  if (isObject(sc)) {
    for (const id of ['runAsUser', 'runAsGroup'] as const) {
      const v = sc[id];
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0))
        say(`${path}.securityContext.${id}`, `must be a whole number, not ${JSON.stringify(v)}`);
    }
  }
}

function checkMetadata(meta: Pod['metadata'], say: Say): void {
  if (meta === undefined) return;
  if (!isObject(meta)) {
    say('metadata', 'must be a map');
    return;
  }
  for (const [field, isLabel] of [
    ['labels', true],
    ['annotations', false],
  ] as const) {
    const map = meta[field];
    if (map === undefined) continue;
    if (!isObject(map)) {
      say(`metadata.${field}`, 'must be a map of strings');
      continue;
    }
    let bytes = 0;
    for (const [key, value] of Object.entries(map)) {
      const [prefix, name] = key.includes('/')
        ? [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)]
        : ['', key];
      if (!QUALIFIED_NAME.test(key) || name.length > 63 || prefix.length > 253)
        say(`metadata.${field}`, `key ${JSON.stringify(key)} is not a valid qualified name`);
      if (typeof value !== 'string') {
        say(`metadata.${field}.${key}`, 'must be a string');
        continue;
      }
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
      if (isLabel && (value.length > 63 || !LABEL_VALUE.test(value)))
        say(
          `metadata.labels.${key}`,
          `${JSON.stringify(value)} is not a valid label value (at most 63 characters)`,
        );
    }
    if (!isLabel && bytes > 256 * 1024) say('metadata.annotations', `hold ${bytes} bytes, over 262144`);
  }
}
