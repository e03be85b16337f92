/** Plain JSON data: what an AdmissionReview, a pod and a config bundle are made of. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  // undefined is allowed so typed views (Pod, with optional fields) are JsonObjects; JSON has no such
  // value and JSON.stringify drops it.
  [key: string]: Json | undefined;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Freezes `v` and everything under it; returns it. */
export function deepFreeze<T extends Json>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) if (x !== undefined) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Deep merge for config layering: objects merge key by key, anything else (lists too) is replaced. */
export function deepMerge(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // A `__proto__` key read from YAML or JSON would set the result's prototype, not a field.
    if (k === '__proto__') continue;
    const b = out[k];
    out[k] = b !== undefined && v !== undefined ? deepMerge(b, v) : v;
  }
  return out;
}

/** What `over` changes in `base`, as an overlay that deepMerge lays back: maps by key, the rest whole. */
export function difference(base: Json, over: Json): JsonObject {
  const out: JsonObject = {};
  if (!isObject(over)) return out;
  for (const [k, v] of Object.entries(over)) {
    // As in deepMerge: a `__proto__` key read from YAML or JSON would set the prototype, not a field.
    if (v === undefined || k === '__proto__') continue;
    const b = isObject(base) ? base[k] : undefined;
    if (isObject(v) && isObject(b)) {
      const d = difference(b, v);
      if (Object.keys(d).length) out[k] = d;
    } else if (JSON.stringify(v) !== JSON.stringify(b)) {
      out[k] = v;
    }
  }
  return out;
}
