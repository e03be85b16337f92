import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { layerBundles, validateBundle } from '../config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../config/compile.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { readSources } from '../config/read-sources.ts';
import { InjectionError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';

export interface ConfigFlags {
  config: string[];
  values?: string;
  mesh?: string;
  set: string[];
}

/**
 * The config the CLI runs with: the embedded default, the `--config` bundles (paths or source URIs, as
 * OUTRIGGER_CONFIG takes) over it, then `--values` and `--mesh` replacing those parts whole, then each
 * `--set a.b.c=VALUE` on values.
 */
export async function configFromFlags(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InjectorConfig> {
  let bundle = layerBundles(DEFAULT_BUNDLE, ...(await readSources(flags.config, env)));
  for (const part of ['values', 'mesh'] as const) {
    const file = flags[part];
    if (file)
      bundle = {
        ...bundle,
        ...validateBundle({ [part]: yaml.load(readFileSync(file, 'utf8')) ?? {} }, file),
      };
  }
  if (flags.set.length) bundle = { ...bundle, values: flags.set.reduce(applySet, bundle.values) };
  return compileBundle(bundle, flags.config.join(',') || 'embedded default');
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
