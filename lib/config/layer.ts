import type { RolloutDocument } from '../rollout/document.ts';
import type { PartialBundle } from './bundle-types.ts';

/**
 * What one source holds: a bundle layer, or a rollout document (`kind: Rollout`), which names the
 * bundle version each cluster gets (lib/rollout/).
 */
export type ConfigLayer = PartialBundle | RolloutDocument;
