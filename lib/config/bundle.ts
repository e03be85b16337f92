import { InjectionError } from '../errors.ts';
import { deepMerge, isObject, type JsonObject } from '../json.ts';
import { type LabelSelector, selectorProblem } from '../policy/selector.ts';

/**
 * Everything that decides what gets injected: Istio's injector Config (policy, templates, selectors,
 * injected annotations) plus the Helm values and the mesh config the templates read. One bundle is one
 * version of the injector's behaviour.
 */
export interface Bundle {
  policy: string;
  defaultTemplates: string[];
  templates: Record<string, string>;
  aliases: Record<string, string[]>;
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
  injectedAnnotations: Record<string, string>;
  values: JsonObject;
  mesh: JsonObject;
  /**
   * Istio decides native sidecars from the kubelet versions of the cluster's nodes, which a function
   * outside the cluster cannot see; here it is a setting (and the `sidecar.istio.io/nativeSidecar`
   * annotation overrides it per pod).
   */
  nativeSidecars: boolean;
  /**
   * Overlays for requests on `/inject/cluster/<id>/...`, so one deployment serves many clusters with
   * their own network, trust domain or images. An id with no entry gets the bundle as it is.
   */
  clusters?: Record<string, ClusterOverlay>;
}

/** A bundle as read from a store or a file: any subset of the fields, layered over a base. */
export type PartialBundle = Partial<Bundle>;

/** One cluster's overlay: any bundle fields but `clusters`, layered over the bundle for that cluster. */
export type ClusterOverlay = Omit<PartialBundle, 'clusters'>;

const FIELDS: Record<keyof Bundle, (v: unknown) => string | undefined> = {
  policy: (v) => (typeof v === 'string' ? undefined : 'must be a string (enabled or disabled)'),
  defaultTemplates: stringList,
  templates: (v) => stringMap(v, 'Liquid template source'),
  aliases: (v) => {
    if (!isObject(v)) return 'must be a map of alias name to a list of template names';
    for (const [k, list] of Object.entries(v)) {
      const p = stringList(list);
      if (p) return `${k}: ${p}`;
    }
    return undefined;
  },
  neverInjectSelector: selectorList,
  alwaysInjectSelector: selectorList,
  injectedAnnotations: (v) => stringMap(v, 'string'),
  values: (v) => (isObject(v) ? undefined : 'must be a map'),
  mesh: (v) => (isObject(v) ? undefined : 'must be a map'),
  nativeSidecars: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  clusters: (v) => (isObject(v) ? undefined : 'must be a map of cluster id to bundle fields'),
};

const { clusters: _, ...OVERLAY_FIELDS } = FIELDS;

/**
 * Checks a (partial) bundle read from `source` and returns it typed. Every problem names the source and
 * the path of the bad field, so a user can find it in their file or secret.
 */
export function validateBundle(raw: unknown, source: string): PartialBundle {
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) throw configError(source, '(root)', 'must be a map of bundle fields');
  const bundle: PartialBundle = checkFields(raw, source, '', FIELDS);
  if (bundle.clusters) {
    bundle.clusters = Object.fromEntries(
      Object.entries(bundle.clusters).map(([id, overlay]) => {
        const path = `clusters.${id}`;
        if (!isObject(overlay)) throw configError(source, path, 'must be a map of bundle fields');
        return [id, checkFields(overlay, source, `${path}.`, OVERLAY_FIELDS)];
      }),
    );
  }
  return bundle;
}

/** Checks each field against `fields` and drops nulls (a null field means "not set"). */
function checkFields(
  raw: JsonObject,
  source: string,
  prefix: string,
  fields: Partial<typeof FIELDS>,
): PartialBundle {
  for (const [key, value] of Object.entries(raw)) {
    const check = Object.hasOwn(fields, key) ? fields[key as keyof Bundle] : undefined;
    if (!check) {
      const known = Object.keys(fields).join(', ');
      throw configError(source, prefix + key, `unknown field; expected one of ${known}`);
    }
    if (value === null) continue;
    const problem = check(value);
    if (problem) throw configError(source, prefix + key, problem);
  }
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) as PartialBundle;
}

/**
 * Lays partial bundles over a complete one, in order: maps (templates, aliases, annotations, values,
 * mesh, clusters) merge key by key, everything else is replaced.
 */
export function layerBundles(base: Bundle, ...layers: PartialBundle[]): Bundle {
  let out: Bundle = base;
  for (const layer of layers) {
    out = {
      ...out,
      ...layer,
      templates: { ...out.templates, ...layer.templates },
      aliases: { ...out.aliases, ...layer.aliases },
      injectedAnnotations: { ...out.injectedAnnotations, ...layer.injectedAnnotations },
      values: layer.values ? (deepMerge(out.values, layer.values) as JsonObject) : out.values,
      mesh: layer.mesh ? (deepMerge(out.mesh, layer.mesh) as JsonObject) : out.mesh,
      // Two layers' overlays for one cluster combine by the rules above, which for every field
      // amount to a deep merge.
      ...(out.clusters &&
        layer.clusters && {
          clusters: deepMerge(out.clusters as JsonObject, layer.clusters as JsonObject) as Bundle['clusters'],
        }),
    };
  }
  return out;
}

/** Whole-bundle checks that only make sense once the layers are combined. */
export function checkComplete(b: Bundle, source: string): void {
  for (const name of b.defaultTemplates) {
    if (!b.templates[name] && !b.aliases[name]) {
      throw configError(
        source,
        'defaultTemplates',
        `names template "${name}", which the bundle does not define`,
      );
    }
  }
  for (const [alias, names] of Object.entries(b.aliases)) {
    for (const name of names) {
      if (!b.templates[name]) {
        throw configError(
          source,
          `aliases.${alias}`,
          `names template "${name}", which the bundle does not define`,
        );
      }
    }
  }
}

export function configError(source: string, path: string, problem: string): InjectionError {
  return new InjectionError('config', `invalid config bundle ${source}: ${path}: ${problem}`);
}

function stringList(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be a list of strings';
  const i = v.findIndex((x) => typeof x !== 'string');
  return i >= 0 ? `[${i}] must be a string` : undefined;
}

function stringMap(v: unknown, what: string): string | undefined {
  if (!isObject(v)) return `must be a map of name to ${what}`;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return `${k} must be a ${what}`;
  }
  return undefined;
}

function selectorList(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be a list of label selectors';
  for (const [i, s] of v.entries()) {
    const p = selectorProblem(s);
    if (p) return `[${i}]: ${p}`;
  }
  return undefined;
}
