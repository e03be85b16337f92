import yaml from 'js-yaml';
import { readBundlePath } from '../config/read-directory.ts';

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
  const bundle = readBundlePath(path);
  if (format === 'json') return `${JSON.stringify(bundle, null, 2)}\n`;
  // Unwrapped lines keep templates as readable block scalars.
  return yaml.dump(bundle, { lineWidth: -1, noRefs: true });
}
