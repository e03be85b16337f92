import type { PartialBundle } from './bundle.ts';
import { bundleLayer } from './parse.ts';
import { parseSourceList } from './source-uri.ts';
import { createStores, storeSettingsFromEnv } from './stores.ts';

/**
 * Reads each source once, uncached, for commands that run once (the CLI's `--config`). Each value may
 * itself be a comma-separated list, as OUTRIGGER_CONFIG is; the layers come back in order.
 */
export async function readSources(values: string[], env: NodeJS.ProcessEnv): Promise<PartialBundle[]> {
  const stores = createStores(storeSettingsFromEnv(env));
  const refs = values.flatMap(parseSourceList);
  const fetched = await Promise.all(refs.map((ref) => stores.readFirst(ref)));
  return fetched.map((f, i) => bundleLayer(f.parse(), refs[i]?.uri ?? ''));
}
