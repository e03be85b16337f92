import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ByteLru } from '../cache/byte-lru.ts';
import { parseSourceUri, type SourceRef } from '../config/source-uri.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { isObject, type JsonObject } from '../json.ts';

/**
 * A rollout document: which immutable bundle version each cluster gets. It lives in any store
 * OUTRIGGER_CONFIG can name and says what it is with `kind: Rollout` (a bundle has no `kind` field).
 *
 *     kind: Rollout
 *     default: s3://acme/outrigger/bundle.1111111111111111.yaml   # clusters no started wave names
 *     version: s3://acme/outrigger/bundle.2222222222222222.yaml   # the version being rolled out
 *     waves: [{clusters: [c1]}, {clusters: ['dev-*']}, {clusters: ['*']}]
 *     started: 1                                                  # waves[0..started) are on `version`
 *
 * A cluster gets the version of the first `pinned` entry that names it, else `version` when a started
 * wave names it, else `default`. Patterns are cluster ids or globs (`*` any run, `?` one character).
 */
export interface RolloutDocument {
  kind: 'Rollout';
  default: string;
  version?: string;
  waves?: RolloutWave[];
  started?: number;
  /** Clusters held on a version whatever the waves say (edited by hand); the first match wins. */
  pinned?: RolloutPin[];
  /** What last wrote the document and when, for `rollout status`. */
  updated?: string;
}

export interface RolloutWave {
  clusters: string[];
}

export interface RolloutPin {
  clusters: string[];
  version: string;
}

export function isRollout(layer: unknown): layer is RolloutDocument {
  return isObject(layer) && layer.kind === 'Rollout';
}

const FIELDS = ['kind', 'default', 'version', 'waves', 'started', 'pinned', 'updated'];

/** Checks a parsed rollout document; every problem names the source and the field. */
export function validateRollout(raw: JsonObject, source: string): RolloutDocument {
  const fail = (path: string, problem: string) =>
    new InjectionError('config', `invalid rollout document ${source}: ${path}: ${problem}`);
  for (const key of Object.keys(raw)) {
    if (!FIELDS.includes(key)) throw fail(key, `unknown field; expected one of ${FIELDS.join(', ')}`);
  }
  const uri = (path: string, v: unknown): string => {
    if (typeof v !== 'string' || v.trim() === '') throw fail(path, 'must be a bundle version URI');
    let ref: SourceRef;
    try {
      ref = parseSourceUri(v);
    } catch (err) {
      throw fail(path, errorMessage(err));
    }
    const problem = localVersionProblem(ref, source);
    if (problem) throw fail(path, problem);
    return v;
  };
  const patterns = (path: string, v: unknown): string[] => {
    if (!Array.isArray(v) || v.length === 0) throw fail(path, 'must be a list of cluster ids or globs');
    for (const [i, p] of v.entries()) {
      if (typeof p !== 'string' || p === '' || /[\s/]/.test(p))
        throw fail(`${path}[${i}]`, 'must be a cluster id or glob (no spaces or slashes)');
    }
    return v as string[];
  };
  const doc: RolloutDocument = { kind: 'Rollout', default: uri('default', raw.default) };
  if (raw.version !== undefined && raw.version !== null) doc.version = uri('version', raw.version);
  if (raw.waves !== undefined && raw.waves !== null) {
    if (!Array.isArray(raw.waves)) throw fail('waves', 'must be a list of {clusters: [...]}');
    doc.waves = raw.waves.map((w, i) => {
      if (!isObject(w) || Object.keys(w).some((k) => k !== 'clusters'))
        throw fail(`waves[${i}]`, 'must be {clusters: [ids or globs]}');
      return { clusters: patterns(`waves[${i}].clusters`, w.clusters) };
    });
  }
  if (raw.started !== undefined && raw.started !== null) {
    const n = raw.started;
    const max = doc.waves?.length ?? 0;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max)
      throw fail('started', `must be a whole number from 0 to the number of waves (${max})`);
    doc.started = n;
  }
  if ((doc.started ?? 0) > 0 && doc.version === undefined)
    throw fail('version', 'is required while a wave is started');
  if (raw.pinned !== undefined && raw.pinned !== null) {
    if (!Array.isArray(raw.pinned)) throw fail('pinned', 'must be a list of {clusters, version}');
    doc.pinned = raw.pinned.map((p, i) => {
      if (!isObject(p) || Object.keys(p).some((k) => k !== 'clusters' && k !== 'version'))
        throw fail(`pinned[${i}]`, 'must be {clusters: [ids or globs], version: URI}');
      return {
        clusters: patterns(`pinned[${i}].clusters`, p.clusters),
        version: uri(`pinned[${i}].version`, p.version),
      };
    });
  }
  if (raw.updated !== undefined && raw.updated !== null) {
    if (typeof raw.updated !== 'string') throw fail('updated', 'must be a string');
    doc.updated = raw.updated;
  }
  return doc;
}

/**
 * A version in a local file must sit in the rollout document's own folder, and only a local document
 * may name one: otherwise whoever may write the document could serve any file of the host (its size
 * and format leaking through the error), or one large enough to fill the instance.
 */
function localVersionProblem(ref: SourceRef, source: string): string | undefined {
  if (ref.scheme !== 'file') return undefined;
  let doc: SourceRef | undefined;
  try {
    doc = parseSourceUri(source);
  } catch {
    doc = undefined;
  }
  if (doc?.scheme !== 'file')
    return 'a local file; a rollout document in a store names versions in a store (s3://, gs://, secretsmanager://)';
  // Compared as the files really are where they exist: a link inside the folder may point out of it.
  const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path));
  const folder = dirname(real(doc.path));
  const inside = relative(folder, real(ref.path));
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
    return `${ref.path} is outside the rollout document's folder ${folder}; a local version must be in it`;
  return undefined;
}

/** Where a cluster's version comes from: a pin, a started wave (1-based), or the default. */
export type Rule = { kind: 'pinned'; index: number } | { kind: 'wave'; index: number } | { kind: 'default' };

export interface Resolution {
  version: string;
  rule: Rule;
}

/** A rollout document ready to answer "which version for this cluster", in time linear in its rules. */
export interface RolloutPlan {
  doc: RolloutDocument;
  resolve(cluster: string): Resolution;
}

export function compilePlan(doc: RolloutDocument): RolloutPlan {
  const pins = (doc.pinned ?? []).map((p) => ({ match: matcher(p.clusters), version: p.version }));
  const started = doc.version
    ? (doc.waves ?? []).slice(0, doc.started ?? 0).map((w) => matcher(w.clusters))
    : [];
  const rules = (cluster: string): Resolution => {
    for (const [index, pin] of pins.entries()) {
      if (pin.match(cluster)) return { version: pin.version, rule: { kind: 'pinned', index } };
    }
    for (const [index, wave] of started.entries()) {
      if (wave(cluster)) return { version: doc.version as string, rule: { kind: 'wave', index } };
    }
    return { version: doc.default, rule: { kind: 'default' } };
  };
  // Every request resolves its cluster: each cluster's answer is kept with the document it came from.
  const answers = new ByteLru<Resolution>({ maxBytes: RESOLUTION_CACHE_BYTES });
  return {
    doc,
    resolve(cluster) {
      let answer = answers.get(cluster);
      if (!answer) {
        answer = rules(cluster);
        answers.set(cluster, answer, RESOLUTION_ENTRY_BYTES + 2 * cluster.length);
      }
      return answer;
    },
  };
}

/** The cached answers of one document: some 5,000 clusters' worth. */
export const RESOLUTION_CACHE_BYTES = 512 * 1024;
/** A Map entry, its key string and a Resolution, roughly. */
const RESOLUTION_ENTRY_BYTES = 96;

/** The versions some cluster can get from this document: what must exist and compile before it is written. */
export function servedVersions(doc: RolloutDocument): string[] {
  const out = [doc.default];
  if (doc.version && (doc.started ?? 0) > 0) out.push(doc.version);
  for (const p of doc.pinned ?? []) out.push(p.version);
  return [...new Set(out)];
}

/** Exact ids in a set, globs matched by globMatch. */
export function matcher(patterns: string[]): (cluster: string) => boolean {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const p of patterns) {
    if (p === '*') return () => true;
    if (/[*?]/.test(p)) globs.push(p);
    else exact.add(p);
  }
  return (cluster) => exact.has(cluster) || globs.some((g) => globMatch(g, cluster));
}

/**
 * Whether `text` matches `glob` (`*` any run, `?` any one character, all else literal), in at most
 * glob × text steps. A regular expression with `.*` per star backtracks: `*a*a*a*a*a*a*b` against 120
 * `a`s did not finish in 30 s, on every request. Here a mismatch only ever returns to the last star.
 */
export function globMatch(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || (glob[g] !== '*' && glob[g] === text[t]))) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}
