import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { AssignTag, type Liquid, type Template, toValueSync, Value, type Variable } from 'liquidjs';
import { type Bundle, layerBundles, type PartialBundle, validateBundle } from '../config/bundle.ts';
import { type ClusterLookup, clusterConfigs } from '../config/cluster-configs.ts';
import { type InjectorConfig, sharedEngine } from '../config/compile.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { readSources } from '../config/read-sources.ts';
import { InjectionError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import { TemplateSet } from '../template/engine.ts';

export interface ConfigFlags {
  config: string[];
  values?: string;
  mesh?: string;
  set: string[];
  /** `--profile`: the Istio release profile, over whatever the `--config` bundles name. */
  profile?: string;
}

/** The CLI's config, its files already read: what configFromFlags builds the bundle from. */
export interface ConfigParts {
  /** The `--config` bundles, in order. */
  layers: PartialBundle[];
  profile?: string;
  /** `--values` and `--mesh`: each replaces that part of the bundle whole. */
  values?: unknown;
  mesh?: unknown;
  set: string[];
  /** Names the config in messages. */
  source: string;
}

/**
 * The config the CLI runs with: the embedded default, the `--config` bundles (paths or source URIs, as
 * OUTRIGGER_CONFIG takes) over it, `--profile` over theirs, then `--values` and `--mesh` replacing those
 * parts whole, then each `--set PATH=VALUE`.
 */
export async function configFromFlags(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InjectorConfig> {
  return (await clusterLookupFromFlags(flags, env))('');
}

/** The config of each cluster the bundle's overlays name (`clusters.<id>`), from the same flags. */
export async function clusterLookupFromFlags(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClusterLookup> {
  const read = (file: string | undefined) =>
    file ? (yaml.load(readFileSync(file, 'utf8')) ?? {}) : undefined;
  // Through clusterConfigs, so a bundle's revisions come along (InjectorConfig.revision).
  return clusterConfigs(
    bundleFromParts({
      layers: await readSources(flags.config, env),
      profile: flags.profile,
      values: read(flags.values),
      mesh: read(flags.mesh),
      set: flags.set,
      source: [...flags.config, flags.values, flags.mesh].filter(Boolean).join(',') || 'embedded default',
    }),
    flags.config.join(',') || 'embedded default',
  );
}

export function bundleFromParts(parts: ConfigParts): Bundle {
  const layers = parts.profile === undefined ? parts.layers : [...parts.layers, { profile: parts.profile }];
  let bundle = layerBundles(DEFAULT_BUNDLE, ...layers.map((l) => validateBundle(l, parts.source)));
  for (const part of ['values', 'mesh'] as const) {
    if (parts[part] !== undefined)
      bundle = { ...bundle, ...validateBundle({ [part]: parts[part] }, `--${part}`) };
  }
  for (const assignment of parts.set) bundle = applySetFlag(bundle, assignment);
  return bundle;
}

/**
 * One `--set`, in Helm's spelling (`global.proxy.image=X`, a values path) or istioctl's
 * (`values.global.proxy.image=X`; `meshConfig.trustDomain=X` for the mesh config). A values path must
 * be one the injector reads: present in the profile's values, or read by one of the bundle's templates
 * (itself or a map above it), so a typo is an error instead of a setting nothing reads.
 */
export function applySetFlag(bundle: Bundle, assignment: string): Bundle {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InjectionError('config', `--set ${assignment}: want KEY.PATH=VALUE`);
  const key = assignment.slice(0, eq);
  if (key.startsWith('meshConfig.')) {
    return {
      ...bundle,
      mesh: applySet(bundle.mesh, `${key.slice('meshConfig.'.length)}${assignment.slice(eq)}`),
    };
  }
  if (key === 'profile') throw new InjectionError('config', '--set profile: use --profile NAME');
  if (/^(components|spec|hub|tag)(\.|$)/.test(key)) {
    throw new InjectionError(
      'config',
      `--set ${key}: an IstioOperator install setting, not one the injector reads; set injector values as values.<path> (values.global.hub, values.global.tag, values.pilot.cni.enabled=true for CNI)`,
    );
  }
  const path = key.startsWith('values.') ? key.slice('values.'.length) : key;
  if (!knownValuesPath(bundle, path.split('.'))) {
    throw new InjectionError(
      'config',
      `--set ${key}: ${path} is not in the ${bundle.profile || 'bundle'} values and no template reads it (a typo?); the values' top-level keys are ${Object.keys(bundle.values).sort().join(', ')}`,
    );
  }
  return { ...bundle, values: applySet(bundle.values, `${path}${assignment.slice(eq)}`) };
}

/**
 * Values read by the injector's TypeScript code (lib/template/data.ts, lib/finish/), not by templates:
 * no template analysis can see these reads, so they are listed by hand.
 */
const CODE_READS = [
  'global.hub',
  'global.tag',
  'global.variant',
  'global.network',
  'global.multiCluster.clusterName',
  'global.proxy.image',
  'global.proxy.resources',
  'global.proxy.statusPort',
  'global.proxy.holdApplicationUntilProxyStarts',
  'global.proxy_init.image',
  'sidecarInjectorWebhook.rewriteAppHTTPProbe',
];

function knownValuesPath(bundle: Bundle, path: string[]): boolean {
  let cur: Json | undefined = bundle.values;
  for (const k of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, k)) {
      cur = undefined;
      break;
    }
    cur = cur[k];
  }
  if (cur !== undefined) return true;
  // A read of the path itself or of a map above it (`proxy.lifecycle` read whole takes any key below).
  const parsed = new TemplateSet(sharedEngine, bundle.templates);
  const reads = [
    ...CODE_READS,
    ...[...parsed].flatMap(([, template]) => valuesReads(sharedEngine, template)),
  ];
  return reads.some((r) => {
    const read = r.split('.');
    return read.length <= path.length && read.every((k, i) => k === path[i]);
  });
}

/**
 * The values paths a parsed Liquid template reads, from liquidjs's static analysis (so `{{- values.a -}}`,
 * `values["a"]["b"]`, filter arguments and tag arguments all count). A read stops at its first computed
 * segment (`values.a[key]` reads `a` whole). liquidjs does not follow `assign`, so this does: where
 * `assign x = values.a.b` makes `x` stand for `values.a.b`, `x.c` reads `a.b.c`, and the assignment
 * itself reads nothing unless `x` is never read through (`assign cni = values.pilot.cni.enabled`).
 */
export function valuesReads(engine: Liquid, template: Template[]): string[] {
  const analysis = engine.analyzeSync(template, { partials: false });
  const at = (v: Variable) => `${v.location.file ?? ''}:${v.location.row}:${v.location.col}`;
  const aliases = new Map<string, Variable[]>();
  for (const tag of assignTags(template)) {
    const [value, ...more] = [...(tag.arguments?.() ?? [])];
    const [name] = [...(tag.localScope?.() ?? [])];
    if (!(value instanceof Value) || more.length || !name || value.filters.length) continue;
    if (value.initial.postfix.length !== 1) continue;
    const [target, ...others] = Object.values(engine.analyzeSync([tag]).globals).flat();
    if (!target || others.length || target.segments[0] !== 'values') continue;
    const list = aliases.get(name.content) ?? [];
    list.push(target);
    aliases.set(name.content, list);
  }
  const throughAlias = new Set<string>();
  const reads: string[] = [];
  for (const [name, list] of aliases) {
    // Every read of the name, `{{ x }}` too (a read of the whole map it stands for).
    const uses = analysis.variables[name] ?? [];
    for (const target of list) {
      if (!uses.length) continue;
      throughAlias.add(at(target));
      for (const use of uses) reads.push(...pathOf([...target.segments, ...use.segments.slice(1)]));
    }
  }
  for (const v of analysis.globals.values ?? []) {
    if (!throughAlias.has(at(v))) reads.push(...pathOf(v.segments));
  }
  return [...new Set(reads)];
}

/** `values.a.b...` as `a.b...`, up to the first segment that is not a literal; none for `values` alone. */
function pathOf(segments: Variable['segments']): string[] {
  const path: string[] = [];
  for (const s of segments.slice(1)) {
    if (typeof s !== 'string' && typeof s !== 'number') break;
    path.push(String(s));
  }
  return path.length ? [path.join('.')] : [];
}

/** Every `assign` tag of a template, inside blocks too (partials are not followed). */
function* assignTags(templates: Template[]): Generator<Template> {
  for (const t of templates) {
    if (t instanceof AssignTag) yield t;
    const node: Template = t;
    if (node.children) yield* assignTags(toValueSync(node.children(false, true)));
  }
}

/** Helm-style `--set global.proxy.image=foo`: a YAML scalar (so `true`, `3` are typed) at a dotted path. */
export function applySet(values: JsonObject, assignment: string): JsonObject {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InjectionError('config', `--set ${assignment}: want KEY.PATH=VALUE`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
    throw new InjectionError('config', `--set ${assignment.slice(0, eq)}: not a values path`);
  }
  const value = yaml.load(assignment.slice(eq + 1), { schema: yaml.JSON_SCHEMA }) as Json;
  const out = structuredClone(values);
  let cur: JsonObject = out;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    cur = cur[key] = isObject(next) ? next : {};
  }
  cur[path.at(-1) as string] = value ?? '';
  return out;
}
