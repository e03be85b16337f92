import type { Liquid } from 'liquidjs';
import { isObject, type Json, type JsonObject } from '../json.ts';

/**
 * Filters for sidecar templates, beyond Liquid's own (`default`, `json`, `join`, `append`, `split`,
 * `concat`, `to_integer`, ...). Kept generic: they read the pod, shape values, and never build YAML text
 * (outputs are escaped, see yaml-scalar.ts).
 *
 *   {{ "sidecar.istio.io/proxyCPU" | annotation: "100m" }}   pod annotation, or the default
 *   {{ "app" | label: workload.name }}                       pod label, or the default
 *   {{ name | trim_chars: "-_." }}                           strip these characters from both ends
 *   {{ values.global.proxy.resources | omit_nil }}           drop null fields, recursively
 *   {{ "a,b" | csv_add: "c" }}                               append to a comma list unless present
 *   {{ "15090,15021" | csv_join: more }}                     join two comma lists, either may be empty
 *   {{ text | from_json }}                                   parse JSON (an error names the value)
 *   {{ pod.spec.containers | pod_ports_json }}               ISTIO_META_POD_PORTS, formatted as Istio does
 *   {{ networks | append_multus_network: "default/istio-cni" }}  add a Multus network unless present
 *   {{ name | trim_suffix: "-" }}                            drop one trailing "-" (Go's strings.TrimSuffix)
 *   {{ "/etc/certs/ca.pem" | directory }}                    "/etc/certs/" (Go's path.Split, slash kept)
 */
export function registerFilters(engine: Liquid): void {
  engine.registerFilter('annotation', function (this: FilterThis, name: unknown, fallback: unknown = null) {
    return podMetaField(this, 'annotations', name, fallback);
  });
  engine.registerFilter('label', function (this: FilterThis, name: unknown, fallback: unknown = null) {
    return podMetaField(this, 'labels', name, fallback);
  });
  engine.registerFilter('trim_chars', (value: unknown, cutset: unknown) =>
    trimChars(String(value ?? ''), String(cutset)),
  );
  engine.registerFilter('omit_nil', (value: unknown) => omitNil(value as Json));
  engine.registerFilter('csv_add', (list: unknown, item: unknown) =>
    csvAdd(String(list ?? ''), String(item ?? '')),
  );
  engine.registerFilter('csv_join', (a: unknown, b: unknown) =>
    [a, b]
      .map((x) => String(x ?? ''))
      .filter(Boolean)
      .join(','),
  );
  engine.registerFilter('from_json', (text: unknown) => {
    try {
      return JSON.parse(String(text));
    } catch {
      throw new Error(`not JSON: ${JSON.stringify(String(text)).slice(0, 200)}`);
    }
  });
  engine.registerFilter('pod_ports_json', podPortsJSON);
  engine.registerFilter('append_multus_network', (existing: unknown, network: unknown) =>
    appendMultusNetwork(String(existing ?? ''), String(network)),
  );
  engine.registerFilter('trim_suffix', (value: unknown, suffix: unknown) => {
    const s = String(value ?? '');
    const x = String(suffix ?? '');
    return x !== '' && s.endsWith(x) ? s.slice(0, -x.length) : s;
  });
  engine.registerFilter('directory', (path: unknown) => {
    const s = String(path ?? '');
    return s.slice(0, s.lastIndexOf('/') + 1);
  });
}

interface FilterThis {
  context: { environments: unknown };
}

/**
 * Reads the pod from the render's data itself (not through Liquid's scope lookup, which is several
 * times slower and would let a template's own `assign pod = ...` stand in for the real pod).
 */
function podMetaField(
  self: FilterThis,
  field: 'annotations' | 'labels',
  name: unknown,
  fallback: unknown,
): unknown {
  const data = self.context.environments as { pod?: { metadata?: Record<string, unknown> } } | undefined;
  const map = data?.pod?.metadata?.[field];
  if (isObject(map) && typeof name === 'string' && Object.hasOwn(map, name)) return map[name];
  return fallback;
}

export function trimChars(s: string, cutset: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && cutset.includes(s[start] as string)) start++;
  while (end > start && cutset.includes(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

export function omitNil(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(omitNil);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && x !== undefined) out[k] = omitNil(x);
  }
  return out;
}

export function csvAdd(list: string, item: string): string {
  if (item === '' || item === '0') return list;
  const items = list === '' ? [] : list.split(',');
  return items.includes(item) ? list : [...items, item].join(',');
}

/** Go struct order of a ContainerPort, whose JSON Istio's proxy parses from ISTIO_META_POD_PORTS. */
const PORT_FIELDS = ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP'];

export function podPortsJSON(containers: unknown): string {
  const lines: string[] = [];
  for (const c of Array.isArray(containers) ? containers : []) {
    for (const port of isObject(c) && Array.isArray(c.ports) ? c.ports : []) {
      if (!isObject(port)) continue;
      const ordered: JsonObject = {};
      for (const f of PORT_FIELDS)
        if (port[f] !== undefined && port[f] !== '' && port[f] !== 0) ordered[f] = port[f];
      lines.push(`    ${lines.length ? ',' : ''}${JSON.stringify(ordered)}`);
    }
  }
  return ['[', ...lines, ']'].join('\n');
}

/**
 * Istio's appendMultusNetwork: the annotation is a comma list (`a, ns/b`) or a JSON list of networks
 * (`[{"name": "b", "namespace": "ns"}]`). `network` is `<namespace>/<name>`; in a JSON list it is added
 * as `{"name": "<name>", "namespace": "<namespace>"}`, and found there in that form or as a bare
 * `{"name": "<namespace>/<name>"}`. An annotation that does not parse is left as it is.
 */
export function appendMultusNetwork(existing: string, network: string): string {
  if (existing === '') return network;
  const end = existing.lastIndexOf(']');
  if (end >= 0) {
    let networks: unknown;
    try {
      networks = JSON.parse(existing);
    } catch {
      return existing;
    }
    if (!Array.isArray(networks)) return existing;
    const slash = network.indexOf('/');
    const namespace = slash >= 0 ? network.slice(0, slash) : '';
    const name = slash >= 0 ? network.slice(slash + 1) : network;
    const present = networks.some(
      (n) => isObject(n) && (n.name === network || (n.name === name && (n.namespace ?? '') === namespace)),
    );
    if (present) return existing;
    const entry = namespace
      ? `{"name": ${JSON.stringify(name)}, "namespace": ${JSON.stringify(namespace)}}`
      : `{"name": ${JSON.stringify(name)}}`;
    return `${existing.slice(0, end)}, ${entry}${existing.slice(end)}`;
  }
  return existing.split(',').some((n) => n.trim() === network) ? existing : `${existing}, ${network}`;
}
