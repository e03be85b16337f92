import type { Json } from '../json.ts';

/** One RFC 6902 operation of the kinds a patch from createPatch holds. */
export type PatchOperation =
  { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/**
 * The RFC 6902 patch that turns `before` into `after`: exactly the operations fast-json-patch's
 * `compare` gives (test/patch/patch.test.ts holds the two equal), in its order, without its deep copy of
 * every added value. The patch is serialised at once and neither pod changes after, so the operations
 * may share the pod's objects; the copy was a tenth of a review's time. Keys are escaped per RFC 6901
 * (`/` → `~1`), and a missing parent (a pod without annotations) is added whole, so every `add` has
 * its parent.
 */
export function createPatch(before: Json, after: Json): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diff(before as object, after as object, ops, '');
  return ops;
}

function diff(mirror: object, obj: object, ops: PatchOperation[], path: string): void {
  if (obj === mirror) return;
  const oldRecord = mirror as Record<string, unknown>;
  const newRecord = obj as Record<string, unknown>;
  const oldKeys = keysOf(mirror);
  const newKeys = keysOf(obj);
  const isArray = Array.isArray(obj);
  let deleted = false;
  // Old keys last to first, as fast-json-patch walks them: removals from a list's end come first.
  for (let t = oldKeys.length - 1; t >= 0; t--) {
    const key = oldKeys[t] as string;
    const oldVal = oldRecord[key];
    if (Object.hasOwn(obj, key) && !(newRecord[key] === undefined && oldVal !== undefined && !isArray)) {
      const newVal = newRecord[key];
      // Most of a pod is the same object on both sides: its path is not written unless it is needed.
      if (newVal === oldVal) continue;
      if (
        typeof oldVal === 'object' &&
        oldVal !== null &&
        typeof newVal === 'object' &&
        newVal !== null &&
        Array.isArray(oldVal) === Array.isArray(newVal)
      ) {
        diff(oldVal, newVal, ops, `${path}/${escape(key)}`);
      } else {
        ops.push({ op: 'replace', path: `${path}/${escape(key)}`, value: asJson(newVal) });
      }
    } else if (Array.isArray(mirror) === isArray) {
      ops.push({ op: 'remove', path: `${path}/${escape(key)}` });
      deleted = true;
    } else {
      ops.push({ op: 'replace', path, value: obj });
    }
  }
  if (!deleted && newKeys.length === oldKeys.length) return;
  for (const key of newKeys) {
    if (!Object.hasOwn(mirror, key) && newRecord[key] !== undefined) {
      ops.push({ op: 'add', path: `${path}/${escape(key)}`, value: asJson(newRecord[key]) });
    }
  }
}

function keysOf(obj: object): string[] {
  if (!Array.isArray(obj)) return Object.keys(obj);
  const keys = new Array<string>(obj.length);
  for (let i = 0; i < keys.length; i++) keys[i] = String(i);
  return keys;
}

/** What the copy made of a lone `undefined` (a hole in a list): null, as JSON writes it in a list. */
function asJson(value: unknown): unknown {
  return value === undefined ? null : value;
}

function escape(key: string): string {
  if (!key.includes('/') && !key.includes('~')) return key;
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
