import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { generateProfileCode } from '../profile/generated-code.ts';
import { type Bundle, layerBundles } from './bundle.ts';
import { EMPTY_BUNDLE } from './empty.ts';
import { readBundleDirectory } from './read-directory.ts';

/** infra/istio/: one directory per Istio release profile, and profiles.yaml naming the default. */
export const PROFILES_DIR = fileURLToPath(new URL('../../infra/istio', import.meta.url));

/** The profile directories' names (= profile names), oldest release first, master last. */
export function profileDirectories(dir = PROFILES_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort((a, b) => releaseRank(a) - releaseRank(b) || (a < b ? -1 : 1));
}

function releaseRank(name: string): number {
  const m = /^istio-(\d+)\.(\d+)$/.exec(name);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : Number.MAX_SAFE_INTEGER;
}

/**
 * The embedded profiles' exact file content (infra/default.bundle.json): every profile directory as a
 * complete bundle, the default profile's name, and its templates as generated code (in the same file,
 * so the code can never be of other texts than the ones beside it).
 */
export function defaultBundleJson(dir = PROFILES_DIR): string {
  const { default: name } = yaml.load(readFileSync(join(dir, 'profiles.yaml'), 'utf8')) as {
    default: string;
  };
  const profiles = Object.fromEntries(
    profileDirectories(dir).map((p) => [
      p,
      layerBundles(EMPTY_BUNDLE, { ...readBundleDirectory(join(dir, p)), profile: p }),
    ]),
  );
  if (!Object.hasOwn(profiles, name)) throw new Error(`${dir}/profiles.yaml: default ${name} is no profile`);
  // The hashes of each release's stock Go templates, by which `outrigger import` recognises them.
  const stock = Object.fromEntries(
    profileDirectories(dir).map((p) => [
      p,
      yaml.load(readFileSync(join(dir, p, 'stock-templates.yaml'), 'utf8')),
    ]),
  );
  // The default profile's code only: every profile's would be 490 KB, which cost a start 7 ms more to
  // import than it saved the first review of another release. On one line: it is read by no one.
  const generated = JSON.stringify(generateProfileCode({ [name]: profiles[name] as Bundle }));
  const readable = JSON.stringify({ default: name, profiles, stock }, null, 1);
  return `${readable.slice(0, -2)},\n "generated": ${generated}\n}\n`;
}
