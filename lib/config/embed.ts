import { fileURLToPath } from 'node:url';
import { layerBundles } from './bundle.ts';
import { EMPTY_BUNDLE } from './empty.ts';
import { readBundleDirectory } from './read-directory.ts';

export const PROFILE_DIR = fileURLToPath(new URL('../../infra/istio', import.meta.url));

/** The embedded default bundle's exact file content, built from infra/istio/. */
export function defaultBundleJson(): string {
  return `${JSON.stringify(layerBundles(EMPTY_BUNDLE, readBundleDirectory(PROFILE_DIR)), null, 1)}\n`;
}
