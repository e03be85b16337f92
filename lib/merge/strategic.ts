import { isObject, type Json, type JsonObject } from '../json.ts';

/**
 * Kubernetes strategic merge patch (the `patchStrategy:"merge"` / `patchMergeKey` tags of the core/v1
 * Pod types) for the fields a sidecar template touches. Lists with a merge key merge item by item;
 * other lists are replaced; maps merge deeply; a `null` value deletes the key. Directives: `$patch:
 * replace` on a map replaces it, `$patch: delete` on a list item removes the item with that key, and a
 * list item `{$patch: replace}` replaces the whole list.
 *
 * Merged lists are ordered as apimachinery orders them (see mergeSorted).
 */
export function strategicMerge(original: Json, patch: Json): Json {
  return merge(original, patch, ROOT);
}

/**
 * Where a value sits among the paths that have merge keys: the paths form a small tree, and below it
 * (most of a pod) no list has a key, so no path needs building there.
 */
interface PathNode {
  mergeKey?: string;
  next: Map<string, PathNode>;
}

/**
 * Values merging may take as they are when there is nothing under them: frozen ones, unless marked as
 * holding a directive key or a null value (which deletes) somewhere under them, since merging over
 * nothing would copy them unchanged. Only parsed template shapes hand merging frozen values
 * (lib/template/skeleton.ts, which marks the few that hold directives): a rendered sidecar is most of
 * what a pod merge would otherwise copy node by node. A frozen node is the mark, not a set of plain
 * ones: adding each node a fill builds to a WeakSet cost more than the copies it saved.
 */
const holdsDirectives = new WeakSet<object>();

/** Marks a frozen value that holds a directive key or a null value somewhere under it. */
export function markNotPlain(value: Json[] | JsonObject): void {
  holdsDirectives.add(value);
}

/** Whether merging may take the value as it is where the original has nothing. */
export function isPlain(value: Json): boolean {
  return (
    value !== null && (typeof value !== 'object' || (Object.isFrozen(value) && !holdsDirectives.has(value)))
  );
}

function merge(original: Json, patch: Json, node: PathNode | undefined): Json {
  if (!isObject(patch)) return patch;
  if (isPlain(patch) && !hasKeys(original)) return patch;
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  if (patch.$patch === 'delete') return null;
  const out: JsonObject = isObject(original) ? { ...original } : {};
  for (const key of Object.keys(patch)) {
    if (key.startsWith('$')) continue;
    const value = patch[key] as Json;
    if (value === null) {
      delete out[key];
      continue;
    }
    const child = node?.next.get(key);
    const current = out[key];
    if (Array.isArray(value)) {
      const mergeKey = child?.mergeKey;
      out[key] =
        mergeKey && Array.isArray(current)
          ? mergeList(current, value, mergeKey, child?.next.get(ITEM))
          : listWithoutDirectives(value);
    } else if (isObject(value)) {
      out[key] = merge(current ?? null, value, child);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The segment that stands for "an item of this list" in a merge-key path. */
const ITEM = '[]';

/** Merge keys by path, with list items written as `[]` (k8s.io/api/core/v1 struct tags). */
const MERGE_KEYS: Record<string, string> = {};
for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
  MERGE_KEYS[`/spec/${list}`] = 'name';
  MERGE_KEYS[`/spec/${list}/[]/env`] = 'name';
  MERGE_KEYS[`/spec/${list}/[]/volumeMounts`] = 'mountPath';
  MERGE_KEYS[`/spec/${list}/[]/volumeDevices`] = 'devicePath';
  MERGE_KEYS[`/spec/${list}/[]/ports`] = 'containerPort';
  MERGE_KEYS[`/spec/${list}/[]/resizePolicy`] = 'resourceName';
}
Object.assign(MERGE_KEYS, {
  '/spec/volumes': 'name',
  '/spec/imagePullSecrets': 'name',
  '/spec/hostAliases': 'ip',
  '/spec/resourceClaims': 'name',
  '/spec/schedulingGates': 'name',
  '/spec/readinessGates': 'conditionType',
  '/spec/topologySpreadConstraints': 'topologyKey',
  '/metadata/ownerReferences': 'uid',
});

const ROOT: PathNode = { next: new Map() };
for (const [path, mergeKey] of Object.entries(MERGE_KEYS)) {
  let node = ROOT;
  for (const segment of path.split('/').slice(1)) {
    let next = node.next.get(segment);
    if (!next) node.next.set(segment, (next = { next: new Map() }));
    node = next;
  }
  node.mergeKey = mergeKey;
}

function mergeList(original: Json[], patch: Json[], key: string, itemNode: PathNode | undefined): Json[] {
  if (patch.some((p) => isObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return listWithoutDirectives(patch.filter((p) => !(isObject(p) && p.$patch === 'replace')));
  }
  const keyOf = (item: Json): Json | undefined => (isObject(item) ? item[key] : undefined);
  // Maps, not searches: a pod may carry thousands of env vars, and this must stay linear. A key may
  // stand for several live items (one port number for TCP and for UDP), and each is kept.
  const liveIndexes = new Map<Json, number[]>();
  original.forEach((o, i) => {
    const k = keyOf(o);
    if (k === undefined) return;
    const at = liveIndexes.get(k);
    if (at) at.push(i);
    else liveIndexes.set(k, [i]);
  });
  const deleted = new Set<Json>();
  // Where each item stood in the live list (-1: new in the patch), for the order of the result.
  const livePosition = new Map<Json, number>();
  const taken = new Set<number>();
  // Patch items in patch order. The n-th patch item of a key merges with the n-th live item of it, so
  // a list merged over itself (a user's container re-applied as an override) keeps its duplicates; a
  // duplicate with no live counterpart merges into the earlier patch item of its key.
  const patchItems: Json[] = [];
  const patchSlot = new Map<Json, number>();
  const occurrences = new Map<Json, number>();
  for (const item of patch) {
    if (!isObject(item)) continue;
    const k = keyOf(item);
    if (item.$patch === 'delete') {
      if (k !== undefined) deleted.add(k);
      continue;
    }
    if (k === undefined) {
      patchItems.push(merge(null, item, itemNode));
      continue;
    }
    const n = occurrences.get(k) ?? 0;
    occurrences.set(k, n + 1);
    const live = liveIndexes.get(k)?.[n];
    const slot = patchSlot.get(k);
    if (live === undefined && slot !== undefined) {
      const into = patchItems[slot] as Json;
      const merged = merge(into, item, itemNode);
      livePosition.set(merged, livePosition.get(into) ?? -1);
      patchItems[slot] = merged;
      continue;
    }
    const merged = merge(live === undefined ? null : (original[live] as Json), item, itemNode);
    if (live !== undefined) taken.add(live);
    livePosition.set(merged, live ?? -1);
    patchSlot.set(k, patchItems.length);
    patchItems.push(merged);
  }
  const kept = (item: Json) => {
    const k = keyOf(item);
    return k === undefined || !deleted.has(k);
  };
  const serverOnly = original.filter((o, i) => {
    if (!kept(o) || taken.has(i)) return false;
    if (keyOf(o) !== undefined) livePosition.set(o, i);
    return true;
  });
  return mergeSorted(serverOnly, patchItems.filter(kept), (item) => livePosition.get(item) ?? -1);
}

/**
 * apimachinery's `mergeSortedSlice`: live-only items are woven into the patch items, keeping both
 * relative orders; a live item goes first only when both are in the live list and it came first there.
 * So items new in the patch come before the live ones, and known items keep their live order.
 */
function mergeSorted(left: Json[], right: Json[], liveIndex: (item: Json) => number): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++] as Json);
    else if (i >= left.length) out.push(right[j++] as Json);
    else {
      const li = liveIndex(left[i] as Json);
      const ri = liveIndex(right[j] as Json);
      out.push(li >= 0 && ri >= 0 && li < ri ? (left[i++] as Json) : (right[j++] as Json));
    }
  }
  return out;
}

function withoutDirectives(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('$')) out[k] = isObject(v) ? merge(null, v, undefined) : v;
  }
  return out;
}

function hasKeys(value: Json): boolean {
  if (!isObject(value)) return false;
  for (const _ in value) return true;
  return false;
}

function listWithoutDirectives(list: Json[]): Json[] {
  if (isPlain(list)) return list;
  return list
    .filter((item) => !(isObject(item) && item.$patch === 'delete'))
    .map((item) => (isObject(item) ? (merge(null, item, undefined) as JsonObject) : item));
}
