import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { layerBundles, type PartialBundle } from '../../lib/config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { deepMerge, isObject, type Json, type JsonObject } from '../../lib/json.ts';
import { strategicMerge } from '../../lib/merge/strategic.ts';
import { chartTemplateFiles } from '../../lib/profile/stock.ts';
import { CASES } from './reviews.ts';

/** One of Istio's golden cases with the settings INDEX.md gives for it. */
export interface ConformanceCase {
  input: string;
  golden: string;
  layer?: PartialBundle;
  nativeSidecars?: boolean;
  webhook?: boolean;
}

const customTemplate = readFileSync(
  new URL('../../test/fixtures/custom-template.liquid', import.meta.url),
  'utf8',
);
const iopValues = (file: string): JsonObject =>
  (yaml.load(readFileSync(new URL(file, CASES), 'utf8')) as { spec: { values: JsonObject } }).spec.values;

export const CONFORMANCE_CASES: ConformanceCase[] = [
  { input: 'hello.yaml', golden: 'hello.yaml.injected' },
  { input: 'hello.yaml', golden: 'hello-old-version.yaml.injected', nativeSidecars: false },
  {
    input: 'hello.yaml',
    golden: 'hello.yaml.cni.injected',
    layer: {
      values: { pilot: { cni: { enabled: true, provider: 'default' } }, global: { network: 'network1' } },
    },
  },
  { input: 'hello-probes.yaml', golden: 'hello-probes.yaml.injected' },
  {
    input: 'hello-probes-with-flag-unset-in-annotation.yaml',
    golden: 'hello-probes-with-flag-unset-in-annotation.yaml.injected',
  },
  { input: 'tcp-probes.yaml', golden: 'tcp-probes.yaml.injected' },
  {
    input: 'merge-probers.yaml',
    golden: 'merge-probers.yaml.injected',
    layer: { values: { global: { proxy: { holdApplicationUntilProxyStarts: true } } } },
  },
  {
    input: 'traffic-annotations.yaml',
    golden: 'traffic-annotations.yaml.injected',
    layer: {
      mesh: {
        defaultConfig: {
          proxyMetadata: { ISTIO_META_TLS_CLIENT_KEY: '/etc/identity/client/keys/client-key.pem' },
        },
      },
    },
  },
  { input: 'status_annotations.yaml', golden: 'status_annotations.yaml.injected' },
  { input: 'resource_annotations.yaml', golden: 'resource_annotations.yaml.injected' },
  { input: 'proxy-override.yaml', golden: 'proxy-override.yaml.injected' },
  { input: 'only-proxy-container.yaml', golden: 'only-proxy-container.yaml.injected' },
  { input: 'gateway.yaml', golden: 'gateway.yaml.injected' },
  { input: 'native-sidecar.yaml', golden: 'native-sidecar.yaml.injected' },
  { input: 'native-sidecar-opt-out.yaml', golden: 'native-sidecar-opt-out.yaml.injected' },
  { input: 'multiple-templates.yaml', golden: 'multiple-templates.yaml.injected' },
  {
    input: 'custom-template.yaml',
    golden: 'custom-template.yaml.injected',
    layer: { templates: { custom: customTemplate } },
  },
  { input: 'hello-ignore.yaml', golden: 'hello-ignore.yaml.injected' },
  { input: 'hello-host-network.yaml', golden: 'hello-host-network.yaml.injected' },
  { input: 'cronjob.yaml', golden: 'cronjob.yaml.injected', webhook: false },
  { input: 'list.yaml', golden: 'list.yaml.injected' },
  {
    input: 'hello-image-pull-secret.yaml',
    golden: 'hello-multiple-image-secrets.yaml.injected',
    layer: { values: iopValues('hello-image-secrets-in-values.iop.yaml') },
  },
];

/** test/conformance/istio/ is Istio master at the commit in its NOTICE.md: the istio-master profile. */
export function configFor(c: ConformanceCase): InjectorConfig {
  const bundle = layerBundles(DEFAULT_BUNDLE, { profile: 'istio-master' }, c.layer ?? {});
  return compileBundle(c.nativeSidecars === false ? { ...bundle, nativeSidecars: false } : bundle, c.golden);
}

export function readDocs(name: string): JsonObject[] {
  return yaml.loadAll(readFileSync(new URL(name, CASES), 'utf8')).filter(isObject);
}

/**
 * Istio's `objectToPod` for the webhook path: each workload becomes the pod its controller would create
 * (a Deployment's through a ReplicaSet `<name>-fake` with `pod-template-hash: fake`), Lists expanded.
 */
export function podsOf(doc: JsonObject): JsonObject[] {
  if (doc.kind === 'List')
    return (Array.isArray(doc.items) ? doc.items.filter(isObject) : []).flatMap(podsOf);
  if (doc.kind === 'Pod') return [doc];
  const meta = (doc.metadata ?? {}) as JsonObject;
  const template = (doc.spec as JsonObject | undefined)?.template as JsonObject | undefined;
  // A Service (or anything else without a pod template) makes no pod.
  if (!isObject(template)) return [];
  const tmeta = { ...((template.metadata ?? {}) as JsonObject) };
  const name = String(meta.name ?? '');
  let owner = { apiVersion: String(doc.apiVersion), kind: String(doc.kind), name };
  if (doc.kind === 'Deployment') {
    owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-fake` };
    tmeta.labels = { ...((tmeta.labels ?? {}) as JsonObject), 'pod-template-hash': 'fake' };
  }
  return [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...tmeta,
        generateName: `${owner.name}-`,
        namespace: (meta.namespace as string | undefined) ?? 'default',
        ownerReferences: [{ ...owner, controller: true, uid: 'fake-uid' }],
      },
      spec: (template.spec ?? {}) as JsonObject,
    },
  ];
}

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SCALE: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The documented normalisation for comparing with Istio's goldens, which are Go structs re-serialised:
 * nulls, empty maps and empty lists are dropped (Go's omitempty and our output differ only there);
 * resource quantities are compared by value (Go prints 2000m as "2", as the API server stores it);
 * JSON-valued annotations (`sidecar.istio.io/status`, `proxy.istio.io/overrides`) are compared parsed,
 * with the same rules. No field with a value is ever dropped.
 */
export function normalise(v: Json | undefined, path: string[] = []): Json | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => normalise(x, [...path, '[]'])).filter((x) => x !== undefined) as Json[];
    return items.length ? items : undefined;
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const key of Object.keys(v).sort()) {
      const x = normalise(v[key], [...path, key]);
      if (x !== undefined) out[key] = x;
    }
    return Object.keys(out).length ? out : undefined;
  }
  const parent = path.at(-2);
  if (typeof v === 'string' && (parent === 'limits' || parent === 'requests')) {
    const m = QUANTITY.exec(v);
    if (m) return Number(m[1]) * (SCALE[m[2] ?? ''] ?? 1);
  }
  if (typeof v === 'string' && parent === 'annotations' && (v.startsWith('{') || v.startsWith('['))) {
    try {
      return normalise(JSON.parse(v) as Json, [...path, 'json']) ?? null;
    } catch {
      return v;
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Istio's golden cases per release (test/conformance/istio-versions/<release>/, see its README).

export const VERSIONS = new URL('../../test/conformance/istio-versions/', import.meta.url);

/** The releases with golden cases, and the profile each is checked against. */
export const RELEASES = [
  { dir: '1.28', profile: 'istio-1.28' },
  { dir: '1.29', profile: 'istio-1.29' },
  { dir: '1.30', profile: 'istio-1.30' },
  { dir: 'master', profile: 'istio-master' },
] as const;
export type Release = (typeof RELEASES)[number];

/** One entry of a release's cases.json. */
export interface ReleaseCase {
  name: string;
  input: string;
  golden: string | null;
  values: JsonObject | null;
  mesh: JsonObject | null;
  config: PartialBundle | null;
  nativeSidecars: boolean | null;
  expectError: string | null;
  expectLog: string | null;
  needsLiquidPort: boolean;
  goTemplates: Record<string, string> | null;
  skipWebhook: boolean;
  unsupported: string[] | null;
  notes: string;
}

export function releaseFile(release: Release, path: string): string {
  return readFileSync(new URL(`${release.dir}/${path}`, VERSIONS), 'utf8');
}

export function releaseCases(release: Release): ReleaseCase[] {
  return JSON.parse(releaseFile(release, 'cases.json')) as ReleaseCase[];
}

export function releaseDefaults(release: Release): { values: JsonObject; mesh: JsonObject } {
  return {
    values: JSON.parse(releaseFile(release, 'defaults/values.json')) as JsonObject,
    mesh: yaml.load(releaseFile(release, 'defaults/mesh.yaml')) as JsonObject,
  };
}

/**
 * The images Istio's tests render the chart with (a test hub, tag `latest`), as a bundle layer: the
 * goldens carry them, where a profile ships the release's own images.
 */
export function releaseTestImages(release: Release): { values: JsonObject } {
  const global = releaseDefaults(release).values.global as JsonObject;
  return { values: { global: { hub: global.hub, tag: global.tag } } };
}

export function releaseDocs(release: Release, name: string): JsonObject[] {
  return yaml.loadAll(releaseFile(release, `cases/${name}`)).filter(isObject);
}

/** Our Liquid ports of the Go templates some cases add (`needsLiquidPort`), by template name. */
const LIQUID_PORTS: Record<string, string> = { custom: customTemplate };

/**
 * Settings Istio's test gives a case that istioctl has no flag for (`unsupported`), as the bundle
 * fields that say the same here.
 */
const UNSUPPORTED_AS_BUNDLE: [RegExp, PartialBundle][] = [
  [/^COMPLIANCE_POLICY=fips-140-3 /, { compliancePolicy: 'fips-140-3' }],
];

/** The bundle layer a case's own settings make (templates it adds, unsupported settings). */
export function caseLayer(c: ReleaseCase): PartialBundle {
  let layer: PartialBundle = { ...(c.config ?? {}) };
  if (c.needsLiquidPort) {
    const templates: Record<string, string> = { ...layer.templates };
    for (const name of Object.keys(c.goTemplates ?? {})) {
      const port = LIQUID_PORTS[name];
      if (!port) throw new Error(`${c.name}: no Liquid port of template ${name}`);
      templates[name] = port;
    }
    layer = { ...layer, templates };
  }
  for (const text of c.unsupported ?? []) {
    const found = UNSUPPORTED_AS_BUNDLE.find(([re]) => re.test(text));
    if (!found) throw new Error(`${c.name}: unsupported setting with no bundle field: ${text}`);
    layer = { ...layer, ...found[1] };
  }
  return layer;
}

/**
 * The `istio-sidecar-injector` ConfigMap that a release's chart renders (its
 * istiod-injector-configmap template over defaults/values.json and defaults/templates), as `kubectl get
 * configmap -o yaml` prints it. `values` lays over the defaults; `templates` are user templates (the
 * chart's `sidecarInjectorWebhook.templates`): appended, or replacing a stock one of the same name.
 */
export function injectorConfigMap(
  release: Release,
  opts: {
    values?: JsonObject;
    templates?: Record<string, string>;
    edit?: (name: string, text: string) => string;
  } = {},
): string {
  const { values: defaults } = releaseDefaults(release);
  const values = deepMerge(defaults, opts.values ?? {}) as JsonObject;
  const chart = releaseFile(release, 'defaults/templates/istiod-injector-configmap.helm.yaml');
  const block = (text: string, indent: number) =>
    text
      .trim()
      .split('\n')
      .map((l) => (l === '' ? '' : ' '.repeat(indent) + l))
      .join('\n');
  const webhook = (values.sidecarInjectorWebhook ?? {}) as JsonObject;
  const user = { ...opts.templates };
  const lines = [
    '# defaultTemplates defines the default template to use for pods that do not explicitly specify a template',
    'defaultTemplates: [sidecar]',
    `policy: ${String(((values.global as JsonObject).proxy as JsonObject).autoInject)}`,
    'alwaysInjectSelector:',
    block(yaml.dump(webhook.alwaysInjectSelector ?? []), 2),
    'neverInjectSelector:',
    block(yaml.dump(webhook.neverInjectSelector ?? []), 2),
    'injectedAnnotations:',
    `template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"`,
    'templates:',
  ];
  for (const [name, file] of Object.entries(chartTemplateFiles(chart))) {
    if (Object.hasOwn(user, name)) continue;
    const text = releaseFile(release, `defaults/templates/${file}`);
    lines.push(`  ${name}: |`, block(opts.edit ? opts.edit(name, text) : text, 4));
  }
  if (Object.keys(user).length) lines.push(block(yaml.dump(user, { lineWidth: -1 }), 2));
  return yaml.dump(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `istio-sidecar-injector${values.revision ? `-${String(values.revision)}` : ''}`,
        namespace: 'istio-system',
        labels: { 'istio.io/rev': String(values.revision || 'default'), release: 'istio' },
      },
      data: { values: JSON.stringify(values, null, 2), config: lines.join('\n') },
    },
    { lineWidth: -1 },
  );
}

/** The `istio` ConfigMap (key `mesh`) of a release, with `mesh` laid over its defaults. */
export function meshConfigMap(release: Release, mesh: JsonObject = {}): string {
  const merged = deepMerge(releaseDefaults(release).mesh, mesh);
  return yaml.dump(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh: yaml.dump(merged), meshNetworks: 'networks: {}' },
    },
    { lineWidth: -1 },
  );
}

/** A classic istio-proxy beside the native one, merged into it; the status then lists no containers. */
export function withClassicProxyFolded(doc: Json): Json {
  if (Array.isArray(doc)) return doc.map(withClassicProxyFolded);
  if (!isObject(doc)) return doc;
  const template = isObject(doc.spec) && isObject(doc.spec.template) ? doc.spec.template : doc;
  const spec = template.spec as JsonObject;
  const containers = (spec.containers ?? []) as JsonObject[];
  const classic = containers.find((c) => c.name === 'istio-proxy');
  if (!classic || !((spec.initContainers ?? []) as JsonObject[]).some((c) => c.name === 'istio-proxy'))
    return doc;
  const out = structuredClone(doc) as JsonObject;
  const t = (isObject(out.spec) && isObject(out.spec.template) ? out.spec.template : out) as JsonObject;
  const merged = strategicMerge(
    { spec: { initContainers: (t.spec as JsonObject).initContainers as Json } },
    { spec: { initContainers: [classic] } },
  ) as JsonObject;
  t.spec = {
    ...(t.spec as JsonObject),
    containers: containers.filter((c) => c !== classic) as Json,
    initContainers: (merged.spec as JsonObject).initContainers as Json,
  };
  const status = ((t.metadata as JsonObject).annotations as JsonObject)[
    'sidecar.istio.io/status'
  ] as JsonObject;
  delete status.containers;
  return normalise(out) as Json;
}
