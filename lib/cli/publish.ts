import { layerBundles } from '../config/bundle.ts';
import { clusterConfigs } from '../config/cluster-configs.ts';
import { DEFAULT_BUNDLE } from '../config/default.ts';
import { parseBundleDocument } from '../config/parse.ts';
import { parseSourceUri } from '../config/source-uri.ts';
import { createStores, storeSettingsFromEnv } from '../config/stores.ts';
import { type BundleFormat, bundleDocument } from './bundle.ts';

/**
 * `outrigger publish DIR --to URI`: uploads the bundle in DIR to a store (Secrets Manager, creating the
 * secret on first publish; S3; GCS; a file). Returns the line to print, with the store's new version.
 */
export async function publishBundle(
  path: string,
  to: string,
  format: BundleFormat,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const ref = parseSourceUri(to);
  const text = bundleDocument(path, format);
  // Checked from the exact text uploaded and layered over the default as the function will layer it,
  // so template syntax errors, missing templates and bad cluster overlays stop here, not in production.
  clusterConfigs(layerBundles(DEFAULT_BUNDLE, parseBundleDocument(text, path)), path);
  const version = await createStores(storeSettingsFromEnv(env)).write(ref, text);
  return `published ${path} to ${ref.uri} (version ${version})\n`;
}
