import jsonpatch, { type Operation } from 'fast-json-patch';
import type { Json } from '../json.ts';

export type PatchOperation = Operation;

/**
 * The RFC 6902 patch that turns `before` into `after`. fast-json-patch walks keys in insertion order,
 * so the same objects give the same operations; keys are escaped per RFC 6901 (`/` → `~1`), and a
 * missing parent (a pod without annotations) is added whole, so every `add` has its parent.
 */
export function createPatch(before: Json, after: Json): PatchOperation[] {
  return jsonpatch.compare(before as object, after as object);
}
