import { isObject, type Json, type JsonObject } from '../json.ts';

/**
 * Kubernetes strategic merge patch (the `patchStrategy:"merge"` / `patchMergeKey` tags of the core/v1
 * Pod types) for the fields a sidecar template touches. Lists with a merge key merge item by item;
 * other lists are replaced; maps merge deeply; a `null` value deletes the key. Directives: `$patch:
 * replace` on a map replaces it, `$patch: delete` on a list item removes the item with that key, and a
 * list item `{$patch: replace}` replaces the whole list.
 *
 * Merged lists keep Istio's order: items only in the patch first (in patch order), then the original
 * items, with those named in the patch merged in place.
 */
export function strategicMerge(original: Json, patch: Json, path = ''): Json {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  if (patch.$patch === 'delete') return null;
  const out: JsonObject = isObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const childPath = `${path}/${key}`;
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (Array.isArray(value)) {
      const mergeKey = MERGE_KEYS[childPath];
      out[key] =
        mergeKey && Array.isArray(current)
          ? mergeList(current, value, mergeKey, childPath)
          : listWithoutDirectives(value);
    } else if (isObject(value)) {
      out[key] = strategicMerge(current ?? null, value, childPath);
    } else {
      out[key] = value;
    }
  }
  return out;
}

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

function mergeList(original: Json[], patch: Json[], key: string, listPath: string): Json[] {
  const path = `${listPath}/[]`;
  if (patch.some((p) => isObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return listWithoutDirectives(patch.filter((p) => !(isObject(p) && p.$patch === 'replace')));
  }
  const keyOf = (item: Json): Json | undefined => (isObject(item) ? item[key] : undefined);
  const patchByKey = new Map<Json | undefined, JsonObject>();
  const deleted = new Set<Json | undefined>();
  const patchOnly: Json[] = [];
  const originalKeys = new Set(original.map(keyOf));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const k = keyOf(item);
    if (item.$patch === 'delete') {
      deleted.add(k);
    } else if (originalKeys.has(k) && k !== undefined) {
      const prev = patchByKey.get(k);
      patchByKey.set(k, prev ? (strategicMerge(prev, item) as JsonObject) : item);
    } else {
      const i = patchOnly.findIndex((p) => keyOf(p) === k && k !== undefined);
      if (i >= 0) patchOnly[i] = strategicMerge(patchOnly[i] as Json, item, path);
      else patchOnly.push(strategicMerge(null, item, path));
    }
  }
  const merged = original
    .filter((item) => !deleted.has(keyOf(item)))
    .map((item) => {
      const p = patchByKey.get(keyOf(item));
      return p ? strategicMerge(item, p, path) : item;
    });
  return [...patchOnly.filter((item) => !deleted.has(keyOf(item))), ...merged];
}

function withoutDirectives(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('$')) out[k] = isObject(v) ? strategicMerge(null, v) : v;
  }
  return out;
}

function listWithoutDirectives(list: Json[]): Json[] {
  return list.map((item) => (isObject(item) ? (strategicMerge(null, item) as JsonObject) : item));
}
