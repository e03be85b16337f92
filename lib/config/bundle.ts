import { InjectionError } from '../errors.ts';
import { deepMerge, isObject, type JsonObject } from '../json.ts';
import { selectorProblem } from '../policy/selector.ts';
import { isProfileRoot, profileBundle, profileProblem } from '../profile/registry.ts';
import { type Bundle, type Features, LAYERS, type PartialBundle, ROOT } from './bundle-types.ts';

export type { Bundle, ClusterOverlay, Features, PartialBundle, RevisionOverlay } from './bundle-types.ts';

const FEATURES: Record<keyof Features, string> = {
  prometheusScrapeTargets: 'true or false',
};

type FieldName = Exclude<keyof Bundle, symbol>;

const FIELDS: Record<FieldName, (v: unknown) => string | undefined> = {
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
  profile: profileProblem,
  compliancePolicy: (v) => (typeof v === 'string' ? undefined : 'must be a string (e.g. fips-140-3)'),
  revisions: (v) => (isObject(v) ? undefined : 'must be a map of revision name to bundle fields'),
  features: (v) => {
    if (!isObject(v)) return `must be a map of ${Object.keys(FEATURES).join(', ')}`;
    for (const [k, x] of Object.entries(v)) {
      if (!Object.hasOwn(FEATURES, k))
        return `${k}: unknown feature; expected one of ${Object.keys(FEATURES).join(', ')}`;
      if (typeof x !== 'boolean') return `${k} must be true or false`;
    }
    return undefined;
  },
};

const { clusters: _, revisions: _r, ...OVERLAY_FIELDS } = FIELDS;

/** A revision name as `istio.io/rev` takes it (a label value), which is also a path segment. */
const REVISION_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks a (partial) bundle read from `source` and returns it typed. Every problem names the source and
 * the path of the bad field, so a user can find it in their file or secret.
 */
export function validateBundle(raw: unknown, source: string): PartialBundle {
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) throw configError(source, '(root)', 'must be a map of bundle fields');
  const bundle: PartialBundle = checkFields(raw, source, '', FIELDS);
  for (const field of ['clusters', 'revisions'] as const) {
    const overlays = bundle[field];
    if (!overlays) continue;
    bundle[field] = Object.fromEntries(
      Object.entries(overlays).map(([id, overlay]) => {
        const path = `${field}.${id}`;
        if (field === 'revisions' && (id === 'default' || id.length > 63 || !REVISION_NAME.test(id)))
          throw configError(source, path, REVISION_PROBLEM);
        if (!isObject(overlay)) throw configError(source, path, 'must be a map of bundle fields');
        return [id, checkFields(overlay, source, `${path}.`, OVERLAY_FIELDS)];
      }),
    );
  }
  return bundle;
}

const REVISION_PROBLEM =
  'a revision name is a label value other than "default" (lower-case letters, digits, \'-\', at most 63)';

/** Checks each field against `fields` and drops nulls (a null field means "not set"). */
function checkFields(
  raw: JsonObject,
  source: string,
  prefix: string,
  fields: Partial<typeof FIELDS>,
): PartialBundle {
  for (const [key, value] of Object.entries(raw)) {
    const check = Object.hasOwn(fields, key) ? fields[key as FieldName] : undefined;
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
 * mesh, clusters, revisions) merge key by key, everything else is replaced.
 *
 * A layer's `profile` changes what everything is layered over: the result is then that profile's
 * bundle with all the layers so far (the base's own and these) over it, as if the layers had been
 * written over that profile from the start. So a cluster or revision overlay that names another Istio
 * release gets that release's templates and values with the same settings on top.
 */
export function layerBundles(base: Bundle, ...layers: PartialBundle[]): Bundle {
  const history = [...(base[LAYERS] ?? []), ...layers];
  let root = base[ROOT] ?? base;
  let out: Bundle;
  const wanted = [...layers].reverse().find((l) => l.profile !== undefined)?.profile;
  if (wanted !== undefined && wanted !== base.profile && root.profile !== '') {
    if (!isProfileRoot(root)) {
      throw new InjectionError(
        'config',
        `cannot change the profile from ${root.profile} to ${wanted}: the base is not an embedded profile`,
      );
    }
    root = profileBundle(wanted);
    out = history.reduce(layerOne, root);
  } else {
    // A copy even without layers: the embedded profiles are never written to.
    out = layers.reduce(layerOne, { ...base });
  }
  out[ROOT] = root;
  out[LAYERS] = history;
  return out;
}

function layerOne(out: Bundle, layer: PartialBundle): Bundle {
  return {
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
    ...(out.revisions &&
      layer.revisions && {
        revisions: deepMerge(
          out.revisions as JsonObject,
          layer.revisions as JsonObject,
        ) as Bundle['revisions'],
      }),
  };
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
