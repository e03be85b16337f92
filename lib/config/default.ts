import embedded from '../../infra/default.bundle.json' with { type: 'json' };
import type { Bundle } from './bundle.ts';

/**
 * The Istio profile that ships inside every bundle (infra/istio/, embedded as JSON by `npm run embed`
 * so the functions need no files at run time). Layers from `--config` or OUTRIGGER_CONFIG go over it.
 */
export const DEFAULT_BUNDLE = embedded as unknown as Bundle;
