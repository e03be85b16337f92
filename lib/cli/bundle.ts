import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { readBundlePath } from '../config/read-directory.ts';
import { checkSourceSize, MAX_SOURCE_BYTES } from '../config/source.ts';

export type BundleFormat = 'yaml' | 'json';

export function parseBundleFormat(value: string): BundleFormat {
  if (value !== 'yaml' && value !== 'json') throw new Error(`-o must be yaml or json, not "${value}"`);
  return value;
}

/**
 * `outrigger bundle DIR`: a bundle directory (or file) as the single document a store holds. Fields are
 * validated; nothing is layered in, so the document carries exactly what the directory says.
 */
export function bundleDocument(path: string, format: BundleFormat): string {
  checkBundleFiles(path);
  const bundle = readBundlePath(path);
  const text =
    format === 'json'
      ? `${JSON.stringify(bundle, null, 2)}\n`
      : // Unwrapped lines keep templates as readable block scalars.
        yaml.dump(bundle, { lineWidth: -1, noRefs: true });
  // What no store read would accept (lib/config/source.ts) is not written.
  checkSourceSize(path, Buffer.byteLength(text));
  return text;
}

/**
 * Every file the bundle is read from is a regular file of the bundle, under the store's size limit: a
 * symbolic link could put any file of the machine that publishes (a CI runner publishing a pull
 * request's bundle) into the store, and from there into pods and error messages.
 */
function checkBundleFiles(path: string): void {
  const check = (file: string) => {
    const info = lstatSync(file, { throwIfNoEntry: false });
    if (!info) return;
    if (info.isSymbolicLink())
      throw new Error(`${file} is a symbolic link; a bundle is read from its own regular files only`);
    if (info.isFile() && info.size > MAX_SOURCE_BYTES)
      throw new Error(`${file} is ${info.size} bytes; a bundle file may hold at most ${MAX_SOURCE_BYTES}`);
  };
  check(path);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of ['config.yaml', 'values.yaml', 'mesh.yaml', 'templates']) check(join(path, name));
  const templates = join(path, 'templates');
  if (lstatSync(templates, { throwIfNoEntry: false })?.isDirectory()) {
    for (const name of readdirSync(templates)) if (name.endsWith('.liquid')) check(join(templates, name));
  }
}
