import yaml from 'js-yaml';
import { WriteConflict } from '../config/source.ts';
import { parseSourceUri, type SourceRef } from '../config/source-uri.ts';
import { createStores, SourceError, type Stores, storeSettingsFromEnv } from '../config/stores.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import {
  compilePlan,
  isRollout,
  type RolloutDocument,
  type RolloutWave,
  servedVersions,
  validateRollout,
} from '../rollout/document.ts';
import { loadVersion } from '../rollout/load-version.ts';

export type RolloutCommand = 'init' | 'start' | 'next' | 'undo' | 'status';

export interface RolloutArgs {
  command: RolloutCommand;
  /** Where the rollout document lives: any URI OUTRIGGER_CONFIG takes. */
  to: string;
  /** A bundle version URI, as `publish` prints it. */
  version?: string;
  /** Patterns per wave, in order; a final `*` wave is added when missing. */
  waves?: string[][];
  /** `status`: cluster ids to show the resolved version of. */
  clusters?: string[];
}

/**
 * `outrigger rollout ...`: each command reads the rollout document once and, except `status`, writes
 * it once, conditionally on the store version it read (S3 If-Match, GCS ifGenerationMatch; files and
 * Secrets Manager check just before writing). Before writing, every version a cluster could get from
 * the new document is read and compiled as the function will; one that fails refuses the write.
 * Returns what to print: the document's state after the command.
 */
export async function runRollout(args: RolloutArgs, env: NodeJS.ProcessEnv): Promise<string> {
  const stores = createStores(storeSettingsFromEnv(env));
  const ref = parseSourceUri(args.to);
  const { doc, version } = await readDocument(stores, ref);
  const stamp = (what: string) => `${new Date().toISOString()} rollout ${what}`;
  let next: RolloutDocument;
  switch (args.command) {
    case 'status':
      return describe(ref, await must(doc, ref), version, stores, args.clusters ?? []);
    case 'init': {
      if (doc) throw usage(`${ref.uri} already holds a rollout document; use rollout start`);
      next = { kind: 'Rollout', default: required(args.version, '--version V'), updated: stamp('init') };
      break;
    }
    case 'start': {
      const current = await must(doc, ref);
      const to = required(args.version, '--version V');
      const waves = wavesOf(args.waves);
      const started = current.started ?? 0;
      const count = current.waves?.length ?? 0;
      if (current.version && started > 0 && started < count) {
        throw usage(
          `a rollout of ${current.version} is in progress (wave ${started} of ${count} started); continue it with rollout next or take it back with rollout undo`,
        );
      }
      // A finished rollout's version is what every cluster has: it becomes the default.
      const base = current.version && count > 0 && started === count ? current.version : current.default;
      if (to === base) throw usage(`${to} is already what every cluster gets`);
      next = {
        ...current,
        default: base,
        version: to,
        waves,
        started: 1,
        updated: stamp(`start (wave 1 of ${waves.length})`),
      };
      break;
    }
    case 'next': {
      const current = await must(doc, ref);
      const started = current.started ?? 0;
      const count = current.waves?.length ?? 0;
      if (!current.version || count === 0)
        throw usage('no rollout to continue; begin one with rollout start');
      if (started >= count)
        throw usage(`every wave is on ${current.version} already; the rollout is complete`);
      next = { ...current, started: started + 1, updated: stamp(`next (wave ${started + 1} of ${count})`) };
      break;
    }
    case 'undo': {
      const current = await must(doc, ref);
      if (!current.version || (current.started ?? 0) === 0)
        throw usage('nothing to undo: no cluster is on a rolled-out version');
      next = { ...current, started: 0, updated: stamp(`undo (every wave back to the default)`) };
      break;
    }
  }
  // The document as the function will read it, then every version it serves, compiled.
  const text = documentText(next, ref);
  validateRollout(yaml.load(text) as Record<string, never>, ref.uri);
  await checkVersions(next, stores);
  let written: string;
  try {
    written = await stores.write(ref, text, version);
  } catch (err) {
    if (err instanceof WriteConflict)
      throw new InjectionError(
        'config',
        `${ref.uri} changed since it was read (another writer?); nothing was written, run the command again`,
      );
    throw err;
  }
  return `wrote ${ref.uri} (store version ${written})\n${await describe(ref, next, written, stores, args.clusters ?? [], false)}`;
}

/** The rollout document at `ref`, or none when the store has no such document. */
async function readDocument(
  stores: Stores,
  ref: SourceRef,
): Promise<{ doc: RolloutDocument | undefined; version: string | null }> {
  let fetched;
  try {
    fetched = await stores.readFirst(ref);
  } catch (err) {
    if (err instanceof SourceError && err.notFound) return { doc: undefined, version: null };
    throw err;
  }
  const layer = fetched.parse();
  if (!isRollout(layer))
    throw new InjectionError('config', `${ref.uri} holds a bundle, not a rollout document (kind: Rollout)`);
  return { doc: layer, version: fetched.version };
}

/** Every version some cluster could get from `doc`: each must exist, match its name and compile. */
async function checkVersions(doc: RolloutDocument, stores: Stores): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    servedVersions(doc).map((uri) =>
      loadVersion(uri, stores).catch((err: unknown) => failures.push(`${uri}: ${errorMessage(err)}`)),
    ),
  );
  if (failures.length) {
    throw new InjectionError(
      'config',
      `refusing to write the rollout document: ${failures.length === 1 ? 'a version it serves fails' : 'versions it serves fail'}:\n  ${failures.join('\n  ')}`,
    );
  }
}

async function describe(
  ref: SourceRef,
  doc: RolloutDocument,
  version: string | null,
  stores: Stores,
  clusters: string[],
  check = true,
): Promise<string> {
  const health = new Map<string, string>();
  if (check) {
    // Each version once: servedVersions holds the rolled-out version already once a wave has started.
    const uris = new Set([...servedVersions(doc), ...(doc.version ? [doc.version] : [])]);
    await Promise.all(
      [...uris].map(async (uri) => {
        health.set(
          uri,
          await loadVersion(uri, stores).then(
            (v) => `id ${v.id}, compiles`,
            (err: unknown) => `FAILS: ${errorMessage(err)}`,
          ),
        );
      }),
    );
  }
  const tag = (uri: string) => (health.has(uri) ? `  [${health.get(uri)}]` : '');
  const started = doc.started ?? 0;
  const waves = doc.waves ?? [];
  const lines = [`rollout ${ref.uri}${version ? ` (store version ${version})` : ''}`];
  lines.push(`  default: ${doc.default}${tag(doc.default)}`);
  if (doc.version) {
    const state =
      started === 0
        ? 'not started (or undone)'
        : started === waves.length
          ? 'complete'
          : `wave ${started} of ${waves.length}`;
    lines.push(`  version: ${doc.version}${tag(doc.version)}  (${state})`);
    for (const [i, w] of waves.entries()) {
      const on = i < started;
      lines.push(
        `  wave ${i + 1}: ${w.clusters.join(' ')}  → ${on ? 'version' : 'default'}${on ? '' : ' (pending)'}`,
      );
    }
  }
  for (const [i, p] of (doc.pinned ?? []).entries()) {
    lines.push(`  pinned ${i + 1}: ${p.clusters.join(' ')}  → ${p.version}${tag(p.version)}`);
  }
  if (clusters.length) {
    const plan = compilePlan(doc);
    for (const c of clusters) {
      const r = plan.resolve(c);
      const why = r.rule.kind === 'default' ? 'default' : `${r.rule.kind} ${r.rule.index + 1}`;
      lines.push(`  cluster ${c}: ${r.version} (${why})`);
    }
  }
  if (doc.updated) lines.push(`  updated: ${doc.updated}`);
  return `${lines.join('\n')}\n`;
}

function documentText(doc: RolloutDocument, ref: SourceRef): string {
  const ordered: Record<string, unknown> = {
    kind: 'Rollout',
    default: doc.default,
    version: doc.version,
    waves: doc.waves,
    started: doc.started,
    pinned: doc.pinned,
    updated: doc.updated,
  };
  const clean = Object.fromEntries(Object.entries(ordered).filter(([, v]) => v !== undefined));
  const json = ref.uri.endsWith('.json');
  return json ? `${JSON.stringify(clean, null, 2)}\n` : yaml.dump(clean, { lineWidth: -1, noRefs: true });
}

function wavesOf(waves: string[][] | undefined): RolloutWave[] {
  const list = (waves ?? []).filter((w) => w.length > 0);
  if (list.length === 0) throw usage("--waves PATTERNS... is required, e.g. --waves 'dev-*' 'staging-*' '*'");
  // Every rollout ends with every cluster on the new version, so it can be finished and built upon.
  if (!list.at(-1)?.includes('*')) list.push(['*']);
  return list.map((clusters) => ({ clusters }));
}

async function must(doc: RolloutDocument | undefined, ref: SourceRef): Promise<RolloutDocument> {
  if (!doc)
    throw usage(
      `no rollout document at ${ref.uri}; create one with rollout init --to ${ref.uri} --version V`,
    );
  return doc;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw usage(`${flag} is required`);
  return value;
}

function usage(message: string): InjectionError {
  return new InjectionError('config', `rollout: ${message}`);
}

/**
 * The arguments of `outrigger rollout <command>`: `--to URI`, `--version V`, `--waves W...` (each wave
 * one argument, ids and globs comma-separated within it) and `--cluster ID...`; the list flags take
 * every argument up to the next flag.
 */
export function parseRolloutArgs(argv: string[]): RolloutArgs {
  const [command, ...rest] = argv;
  const commands: RolloutCommand[] = ['init', 'start', 'next', 'undo', 'status'];
  if (!commands.includes(command as RolloutCommand))
    throw usage(`want one of ${commands.join(', ')}, not ${JSON.stringify(command ?? '')}`);
  const out: RolloutArgs = { command: command as RolloutCommand, to: '' };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] as string;
    const [name, inline] = flag.includes('=')
      ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)]
      : [flag, undefined];
    const values = () => {
      const taken: string[] = inline !== undefined ? [inline] : [];
      while (i + 1 < rest.length && !(rest[i + 1] as string).startsWith('--'))
        taken.push(rest[++i] as string);
      if (taken.length === 0) throw usage(`${name} needs a value`);
      return taken;
    };
    const one = () => {
      const v = values();
      if (v.length > 1) throw usage(`${name} takes one value, not ${v.length}`);
      return v[0] as string;
    };
    switch (name) {
      case '--to':
        out.to = one();
        break;
      case '--version':
        out.version = one();
        break;
      case '--waves':
        out.waves = [
          ...(out.waves ?? []),
          ...values().map((w) =>
            w
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean),
          ),
        ];
        break;
      case '--cluster':
      case '--clusters':
        out.clusters = [
          ...(out.clusters ?? []),
          ...values()
            .flatMap((c) => c.split(','))
            .filter(Boolean),
        ];
        break;
      default:
        throw usage(`unknown flag ${JSON.stringify(flag)}`);
    }
  }
  if (!out.to) throw usage('--to URI (where the rollout document lives) is required');
  if (out.command !== 'start' && out.waves) throw usage('--waves goes with rollout start');
  return out;
}
