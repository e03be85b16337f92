import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import yaml from 'js-yaml';
import { layerBundles, type PartialBundle, validateBundle } from '../config/bundle.ts';
import { clusterConfigs } from '../config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { errorMessage, InjectionError, yamlProblem } from '../errors.ts';
import { difference, isObject, type Json, type JsonObject } from '../json.ts';
import { DEFAULT_PROFILE, profileBundle, profileProblem, stockTemplates } from '../profile/registry.ts';
import { templateHash } from '../profile/stock.ts';

export interface ImportInput {
  /** `kubectl get configmap istio-sidecar-injector[-<rev>] -n istio-system -o yaml`, as text. */
  injectorConfigMap: string;
  /** The same of the `istio[-<rev>]` ConfigMap (the mesh config), if given. */
  meshConfigMap?: string;
  /** The profile to import over, instead of the one whose stock templates the ConfigMap holds. */
  profile?: string;
  /** Import even when templates need porting: their Go source is written aside, the rest is imported. */
  allowCustom: boolean;
}

export interface ImportResult {
  /** The bundle directory's files (`outrigger bundle DIR` reads them), by path inside DIR. */
  files: Record<string, string>;
  profile: string;
  /** What was found and done, one line each. */
  report: string[];
  /**
   * What stops a faithful import: templates that need porting (and, with allowCustom, what the bundle
   * still lacks). Without allowCustom, nothing should be written while there are any.
   */
  problems: string[];
}

/** Istio's injector Config fields, as a bundle carries them. */
const CONFIG_FIELDS = [
  'policy',
  'defaultTemplates',
  'aliases',
  'neverInjectSelector',
  'alwaysInjectSelector',
  'injectedAnnotations',
] as const;

/**
 * `outrigger import`: a running Istio's injector (its `istio-sidecar-injector` ConfigMap, and optionally
 * the `istio` mesh ConfigMap) as an Outrigger bundle directory. The templates are recognised by content
 * (infra/istio/<profile>/stock-templates.yaml): stock ones are the profile's own Liquid ports, a template
 * with no Go actions is plain YAML and imported as it is, and every other one is named in `problems`
 * with what to do. Values and mesh config are written as what differs from the profile.
 */
export function importIstio(input: ImportInput): ImportResult {
  const report: string[] = [];
  const problems: string[] = [];
  const cm = readConfigMap(input.injectorConfigMap, 'the injector ConfigMap', 'config');
  const config = parseData(cm.data.config ?? '', `${cm.name} data.config`, 'yaml');
  if (!isObject(config)) throw importError(`${cm.name} data.config is not a map of injector settings`);
  const values =
    cm.data.values === undefined ? {} : parseData(cm.data.values, `${cm.name} data.values`, 'json');
  if (!isObject(values)) throw importError(`${cm.name} data.values is not a map of Helm values`);
  const templates = isObject(config.templates) ? config.templates : {};
  for (const [name, text] of Object.entries(templates)) {
    // A template name becomes a file name (templates/<name>.liquid, go-templates/<name>.yaml).
    const problem = fileNameProblem(name);
    if (problem)
      throw importError(
        `${cm.name} data.config templates: the template named ${JSON.stringify(name)} ${problem}; a template name must be a plain file name`,
      );
    if (typeof text !== 'string') throw importError(`${cm.name} data.config templates.${name} is not text`);
  }

  // Which release's stock templates these are.
  const stock = stockTemplates();
  const matches = new Map<string, string[]>();
  for (const [name, text] of Object.entries(templates) as [string, string][]) {
    const hash = templateHash(text);
    matches.set(
      name,
      stock.filter((s) => s.templates[name] === hash).map((s) => s.profile),
    );
  }
  const profile = chooseProfile(input.profile, matches, report);
  const base = profileBundle(profile);
  const releaseOf = (p: string) => stock.find((s) => s.profile === p)?.release ?? p;

  // The templates, one by one.
  const files: Record<string, string> = {};
  const bundleTemplates: Record<string, string> = {};
  const referenced = new Set([
    ...(Array.isArray(config.defaultTemplates) ? config.defaultTemplates.map(String) : []),
    ...(isObject(config.aliases)
      ? Object.values(config.aliases).flatMap((l) => (Array.isArray(l) ? l.map(String) : []))
      : []),
  ]);
  const stockHere: string[] = [];
  const controllerOnly: string[] = [];
  for (const [name, text] of Object.entries(templates) as [string, string][]) {
    const releases = matches.get(name) ?? [];
    if (releases.includes(profile) && base.templates[name] !== undefined) {
      stockHere.push(name);
    } else if (releases.includes(profile)) {
      controllerOnly.push(name);
      if (referenced.has(name))
        problems.push(
          `template ${name} is Istio's stock ${name}, which renders gateways for Istio's gateway controller, not pods; Outrigger has no port of it, yet defaultTemplates or aliases name it: take it out of them, or port it to Liquid as templates/${name}.liquid`,
        );
    } else if (!text.includes('{{') && !text.includes('{%')) {
      bundleTemplates[name] = text;
      files[`templates/${name}.liquid`] = text.endsWith('\n') ? text : `${text}\n`;
      report.push(
        `template ${name}: plain YAML (no Go template actions), imported as it is: templates/${name}.liquid`,
      );
    } else {
      const why = releases.length
        ? `is the stock ${name} template of Istio ${releases.map(releaseOf).join(', ')}, not of ${releaseOf(profile)} (the ConfigMap's other templates' release)`
        : `is not a stock Istio template (a custom one, or a stock one edited)`;
      const todo =
        base.templates[name] !== undefined && releases.length
          ? `use --profile ${releases[releases.length - 1]} if the whole injector is that release, or port it`
          : 'port it';
      problems.push(
        `template ${name} ${why}: ${todo} to Liquid as templates/${name}.liquid (docs/cli.md, "Porting Go templates to Liquid")${input.allowCustom ? `; its Go source is in go-templates/${name}.yaml` : ''}`,
      );
      if (input.allowCustom) files[`go-templates/${name}.yaml`] = text.endsWith('\n') ? text : `${text}\n`;
    }
  }
  if (stockHere.length)
    report.push(
      `templates ${stockHere.join(', ')}: Istio ${releaseOf(profile)}'s stock ones: the ${profile} profile's Liquid ports serve them`,
    );
  if (controllerOnly.length)
    report.push(
      `templates ${controllerOnly.join(', ')}: stock, for Istio's gateway controller (not pod injection): not imported`,
    );
  for (const name of Object.keys(base.templates)) {
    if (!Object.hasOwn(templates, name))
      report.push(
        `template ${name}: not in the ConfigMap; the profile's stays available (only pods that name it get it)`,
      );
  }

  // The injector settings.
  const fields: PartialBundle = { profile };
  for (const field of CONFIG_FIELDS) {
    if (config[field] !== undefined && config[field] !== null) (fields as JsonObject)[field] = config[field];
  }
  const ignored = Object.keys(config).filter(
    (k) => !(CONFIG_FIELDS as readonly string[]).includes(k) && k !== 'templates' && k !== 'template',
  );
  if (ignored.length)
    report.push(`config fields ${ignored.join(', ')}: not injector settings Outrigger reads: left out`);

  // Values and mesh config, as what differs from the profile.
  const valuesOverlay = difference(base.values, values);
  const missing = missingKeys(base.values, values);
  report.push(
    Object.keys(valuesOverlay).length
      ? `values that differ from the profile's: ${leafPaths(valuesOverlay).join(', ')}`
      : "values: the profile's, unchanged",
  );
  if (missing.length)
    report.push(`values: ${missing.join(', ')} not in the ConfigMap: the profile's values stand for them`);
  const revision = typeof values.revision === 'string' ? values.revision : '';
  if (revision)
    report.push(
      `revision ${revision}: serve it as the bundle's revisions.${revision} (webhook-config --revision ${revision}), or from a deployment with OUTRIGGER_REVISION=${revision}`,
    );

  let meshOverlay: JsonObject | undefined;
  if (input.meshConfigMap !== undefined) {
    const meshCm = readConfigMap(input.meshConfigMap, 'the mesh ConfigMap', 'mesh');
    const mesh = parseData(meshCm.data.mesh ?? '', `${meshCm.name} data.mesh`, 'yaml') ?? {};
    if (!isObject(mesh)) throw importError(`${meshCm.name} data.mesh is not a mesh config map`);
    meshOverlay = difference(base.mesh, mesh);
    report.push(
      Object.keys(meshOverlay).length
        ? `mesh settings that differ from the profile's: ${leafPaths(meshOverlay).join(', ')}`
        : "mesh: the profile's, unchanged",
    );
  }

  const bundle: PartialBundle = {
    ...fields,
    values: valuesOverlay,
    ...(meshOverlay && { mesh: meshOverlay }),
    ...(Object.keys(bundleTemplates).length && { templates: bundleTemplates }),
  };
  // The result must load as the injector would: checked now, not by the first pod.
  try {
    clusterConfigs(
      layerBundles(DEFAULT_BUNDLE, validateBundle(bundle, `the bundle from ${cm.name}`)),
      cm.name,
    );
  } catch (err) {
    problems.push(`the imported bundle does not load yet: ${errorMessage(err)}`);
  }

  const header = [
    `# Imported by \`outrigger import\` from ConfigMap ${cm.namespace ? `${cm.namespace}/` : ''}${cm.name}${
      revision ? ` (revision ${revision})` : ''
    }: Istio ${releaseOf(profile)}, served by the ${profile} profile.`,
  ];
  files['config.yaml'] = `${header.join('\n')}\n${dump(fields as JsonObject)}`;
  files['values.yaml'] = `# What differs from the ${profile} profile's values.\n${dump(valuesOverlay)}`;
  if (meshOverlay)
    files['mesh.yaml'] = `# What differs from the ${profile} profile's mesh config.\n${dump(meshOverlay)}`;
  return { files, profile, report, problems };
}

function chooseProfile(wanted: string | undefined, matches: Map<string, string[]>, report: string[]): string {
  if (wanted !== undefined) {
    const problem = profileProblem(wanted);
    if (problem) throw importError(`--profile: ${problem}`);
    report.push(`profile ${wanted}: as --profile says`);
    return wanted;
  }
  const sidecar = matches.get('sidecar') ?? [];
  if (sidecar.length) {
    const profile = sidecar[sidecar.length - 1] as string;
    report.push(`profile ${profile}: the sidecar template is that release's stock one`);
    return profile;
  }
  const stock = [...matches.values()].filter((m) => m.length);
  const common = stock.length ? stock.reduce((a, b) => a.filter((p) => b.includes(p))) : [];
  if (common.length) {
    const profile = common[common.length - 1] as string;
    report.push(`profile ${profile}: the newest release whose stock templates these are`);
    return profile;
  }
  report.push(
    `profile ${DEFAULT_PROFILE}: no stock template names a release; the default (or give --profile)`,
  );
  return DEFAULT_PROFILE;
}

interface ConfigMapData {
  name: string;
  namespace: string;
  data: Record<string, string | undefined>;
}

/** A ConfigMap as kubectl prints it (or the one item of a List), with the data key it must have. */
function readConfigMap(text: string, what: string, key: string): ConfigMapData {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw importError(`${what} is not YAML: ${yamlProblem(err)}`);
  }
  if (isObject(doc) && doc.kind === 'List' && Array.isArray(doc.items) && doc.items.length === 1)
    doc = doc.items[0];
  if (!isObject(doc) || doc.kind !== 'ConfigMap' || !isObject(doc.data))
    throw importError(`${what} is not a ConfigMap with data (kubectl get configmap NAME -o yaml)`);
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const data: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(doc.data)) if (typeof v === 'string') data[k] = v;
  const name = typeof meta.name === 'string' ? meta.name : '(unnamed)';
  if (data[key] === undefined) throw importError(`${what} ${name} has no data.${key}`);
  return { name, namespace: typeof meta.namespace === 'string' ? meta.namespace : '', data };
}

function parseData(text: string, what: string, form: 'yaml' | 'json'): Json {
  try {
    return (form === 'json' ? JSON.parse(text) : yaml.load(text)) as Json;
  } catch (err) {
    throw importError(
      `${what} is not ${form === 'json' ? 'JSON' : 'YAML'}: ${form === 'json' ? errorMessage(err) : yamlProblem(err)}`,
    );
  }
}

function missingKeys(base: Json, over: Json, prefix = ''): string[] {
  if (!isObject(base) || !isObject(over)) return [];
  return Object.entries(base).flatMap(([k, v]) =>
    Object.hasOwn(over, k) ? missingKeys(v as Json, over[k] as Json, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function leafPaths(v: Json, prefix = ''): string[] {
  if (!isObject(v) || !Object.keys(v).length) return [prefix.slice(0, -1)];
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x as Json, `${prefix}${k}.`));
}

function dump(doc: JsonObject): string {
  return yaml.dump(doc, { lineWidth: -1, noRefs: true, sortKeys: false });
}

/** Why `name` is not a plain file name (one path segment), or undefined when it is. */
function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('/') || name.includes('\\')) return 'holds a path separator (/ or \\)';
  if (name.includes('..')) return 'holds ..';
  if (name.includes('\0')) return 'holds a NUL character';
  return undefined;
}

function importError(message: string): InjectionError {
  return new InjectionError('config', `import: ${message}`);
}

/**
 * Writes the files into DIR, which must be new or empty (an import never mixes with what was there).
 * Every file must land inside DIR: a name that leads out of it is refused before anything is written.
 */
export function writeBundleDirectory(dir: string, files: Record<string, string>): string[] {
  const root = resolve(dir);
  const inside = root.endsWith(sep) ? root : root + sep;
  const names = Object.keys(files).sort();
  for (const name of names) {
    if (name.includes('\0') || !resolve(root, name).startsWith(inside))
      throw importError(
        `the file ${JSON.stringify(name)} would be written outside ${dir}; nothing was written`,
      );
  }
  if (existsSync(dir) && readdirSync(dir).length)
    throw importError(`${dir} is not empty; import into a new directory`);
  for (const name of names) {
    const path = resolve(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, files[name] as string);
  }
  return names;
}
