import { DEFAULT_PROFILE, profileBundle } from '../profile/registry.ts';
import type { Bundle } from './bundle.ts';

/**
 * The profile that ships inside every bundle when it names none (the newest Istio release; see
 * lib/profile/registry.ts). Layers from `--config` or OUTRIGGER_CONFIG go over it, and a layer's
 * `profile:` puts them over another release instead.
 */
export const DEFAULT_BUNDLE: Bundle = profileBundle(DEFAULT_PROFILE);
