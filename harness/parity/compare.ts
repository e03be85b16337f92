// One generated case through Outrigger's kube-inject (in process, the release's profile with the case's
// settings) and Istio's (the oracle, the release's chart defaults with the same settings); parsed
// documents compared. Differences Outrigger knowingly has (docs/configuration.md, "Knowingly different from Istio") are
// normalised here by name and counted, so a class cannot absorb more cases unseen.
import yaml from 'js-yaml';
import { bundleFromParts } from '../../lib/cli/config-flags.ts';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { errorMessage } from '../../lib/errors.ts';
import { deepMerge, isObject, type Json, type JsonObject } from '../../lib/json.ts';
import {
  injectorConfigMap,
  normalise,
  type Release,
  releaseCases,
  releaseDefaults,
  withClassicProxyFolded,
} from '../support/conformance.ts';
import type { Oracle, OracleRequest } from './oracle.ts';
import type { ParityCase, Variation } from './workloads.ts';

/**
 * grpc-agent writes each app container's name unquoted; Go reads a name such as `y`, `on` or `no` as a
 * YAML 1.1 boolean and refuses the pod, which Outrigger injects (docs/configuration.md, "Knowingly
 * different").
 */
const ISTIO_BOOL_NAME = /cannot unmarshal bool into Go struct field Container\.spec\.containers\.name/;

/**
 * Outrigger checks `sidecar.istio.io/userVolume(Mount)` whichever templates render the pod; Istio reads
 * them only in the templates that use them (docs/configuration.md, "Knowingly different").
 */
const USER_VOLUME = /invalid value .* for annotation 'sidecar\.istio\.io\/userVolume(Mount)?'/;

export type Outcome =
  | { kind: 'equal'; classes: string[] }
  | { kind: 'both-refuse'; ours: string; istio: string }
  | { kind: 'different'; signature: string; detail: string };

/** A difference Outrigger knowingly has, and the adjustment that removes exactly it from both sides. */
interface KnownClass {
  name: string;
  adjust: (doc: Json) => Json;
}

/**
 * Go re-serialises a workload through its typed struct: zero-valued status fields (`status: {replicas:
 * 0}`, DaemonSet's counters) appear; kube-inject keeps the manifest's own fields (docs/configuration.md, "Knowingly
 * different": the kube-inject row).
 */
function withoutGoZeroStatus(doc: Json): Json {
  if (!isObject(doc)) return doc;
  if (isObject(doc.status) && Object.values(doc.status).every((v) => v === 0)) {
    const { status: _status, ...rest } = doc;
    return rest;
  }
  return doc;
}

/**
 * Fields the Kubernetes API types declare `omitempty` on a non-pointer type: Go drops them at their zero
 * value (`value: ""`, `initialDelaySeconds: 0`, `hostNetwork: false`); kube-inject keeps the manifest's
 * own (the same row).
 */
const OMITEMPTY = new Set([
  'value',
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'readOnly',
]);

function withoutGoOmitEmpty(doc: Json): Json {
  if (Array.isArray(doc)) return doc.map(withoutGoOmitEmpty);
  if (!isObject(doc)) return doc;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(doc)) {
    if (OMITEMPTY.has(k) && (v === '' || v === 0 || v === false)) continue;
    out[k] = withoutGoOmitEmpty(v as Json);
  }
  return out;
}

const KNOWN: KnownClass[] = [
  { name: 'go-zero-status', adjust: withoutGoZeroStatus },
  { name: 'go-omitempty-zero', adjust: withoutGoOmitEmpty },
  // A template that patches containers[istio-proxy] beside a native sidecar (docs/configuration.md: the sidecar-spire row).
  { name: 'classic-proxy-beside-native', adjust: withClassicProxyFolded },
];

export interface ReleaseSides {
  release: Release;
  /** Outrigger's config for a variation (cached per variation). */
  ours(v: Variation): InjectorConfig;
  /** The oracle's request settings for a variation. */
  istio(v: Variation): Omit<OracleRequest, 'input'>;
}

export function releaseSides(release: Release, liquidCustom: string): ReleaseSides {
  const defaults = releaseDefaults(release);
  const goCustom = releaseCases(release).find((c) => c.goTemplates?.custom)?.goTemplates?.custom;
  if (!goCustom) throw new Error(`${release.dir}: no Go template "custom" among its cases`);
  const ours = new Map<string, InjectorConfig>();
  const istio = new Map<string, Omit<OracleRequest, 'input'>>();
  const key = (v: Variation) => JSON.stringify([v.values, v.mesh, v.native]);
  return {
    release,
    ours: (v) => {
      let config = ours.get(key(v));
      if (!config) {
        const bundle = bundleFromParts({
          layers: [{ templates: { custom: liquidCustom } }],
          profile: release.profile,
          values: deepMerge(defaults.values, v.values),
          mesh: deepMerge(defaults.mesh, v.mesh),
          set: [],
          source: 'parity',
        });
        // Compiled bundles are large: a few are kept, not every variation of a long run.
        if (ours.size >= 32) ours.clear();
        ours.set(key(v), (config = compileBundle(bundle, 'parity')));
      }
      return config;
    },
    istio: (v) => {
      let settings = istio.get(key(v));
      if (!settings) {
        const configMap = yaml.load(
          injectorConfigMap(release, { values: v.values, templates: { custom: goCustom } }),
        ) as { data: { config: string; values: string } };
        settings = {
          config: configMap.data.config,
          values: configMap.data.values,
          mesh: yaml.dump(deepMerge(defaults.mesh, v.mesh)),
          native: v.native,
        };
        if (istio.size >= 256) istio.clear();
        istio.set(key(v), settings);
      }
      return settings;
    },
  };
}

/** Outrigger's answer for a case: the documents it prints, or its error. */
export function oursFor(sides: ReleaseSides, c: ParityCase): { docs?: Json[]; error?: string } {
  try {
    const result = kubeInject(c.text, sides.ours(c.variation), {
      revision: '',
      nativeSidecars: c.variation.native,
    });
    return { docs: yaml.loadAll(result.output).filter(Boolean) as Json[] };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

export async function compareCase(sides: ReleaseSides, oracle: Oracle, c: ParityCase): Promise<Outcome> {
  const [ours, istio] = [
    oursFor(sides, c),
    await oracle.inject({ ...sides.istio(c.variation), input: c.text }),
  ];
  if (ours.error !== undefined || istio.error !== undefined) {
    if (ours.error !== undefined && istio.error !== undefined)
      return { kind: 'both-refuse', ours: ours.error, istio: istio.error };
    if (ours.error === undefined && ISTIO_BOOL_NAME.test(istio.error ?? ''))
      return { kind: 'equal', classes: ['yaml-1.1-boolean-container-name'] };
    if (istio.error === undefined && USER_VOLUME.test(ours.error ?? ''))
      return { kind: 'equal', classes: ['user-volume-checked-for-every-template'] };
    return ours.error !== undefined
      ? { kind: 'different', signature: 'only Outrigger refuses', detail: ours.error }
      : { kind: 'different', signature: 'only Istio refuses', detail: istio.error as string };
  }
  const want = (yaml.loadAll(istio.output ?? '').filter(Boolean) as Json[]).map((d) => normalise(d) as Json);
  let got = (ours.docs as Json[]).map((d) => normalise(d) as Json);
  let adjusted = want;
  const classes: string[] = [];
  if (firstDifference(got, want)) {
    for (const known of KNOWN) {
      const g = got.map(known.adjust);
      const w = adjusted.map((d) => known.adjust(d));
      if (JSON.stringify(g) !== JSON.stringify(got) || JSON.stringify(w) !== JSON.stringify(adjusted)) {
        got = g;
        adjusted = w;
        classes.push(known.name);
      }
    }
  }
  const diff = firstDifference(got, adjusted);
  if (!diff) return { kind: 'equal', classes };
  return {
    kind: 'different',
    signature: diff.path.replace(/\/\d+(?=\/|$)/g, '/#').replace(/\/app-health\/[^/]+\//g, '/app-health/#/'),
    detail: diff.text,
  };
}

function firstDifference(
  got: Json | undefined,
  want: Json | undefined,
  path = '',
): { path: string; text: string } | undefined {
  if (JSON.stringify(got) === JSON.stringify(want)) return undefined;
  // JSON in a string (ISTIO_KUBE_APP_PROBERS, PROXY_CONFIG): the first difference inside it.
  if (typeof got === 'string' && typeof want === 'string' && /^[[{]/.test(got) && /^[[{]/.test(want)) {
    try {
      return firstDifference(JSON.parse(got) as Json, JSON.parse(want) as Json, `${path}/json`);
    } catch {
      // not JSON after all: compared as text below
    }
  }
  if (got && want && typeof got === 'object' && typeof want === 'object') {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
    for (const k of keys) {
      const d = firstDifference((got as JsonObject)[k], (want as JsonObject)[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  return {
    path,
    text: `${path}: Outrigger ${JSON.stringify(got)?.slice(0, 400)}, Istio ${JSON.stringify(want)?.slice(0, 400)}`,
  };
}
