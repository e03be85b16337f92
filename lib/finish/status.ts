import { isObject, type Json, type JsonObject } from '../json.ts';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';

/**
 * The `sidecar.istio.io/status` record of what the templates added, in Istio's field order (a list the
 * templates did not touch is `null`). Re-injection reads it to strip the previous sidecar first.
 */
export function statusAnnotation(fragments: JsonObject[], revision: string): string {
  const names = (field: string): string[] | null => {
    const out: string[] = [];
    for (const f of fragments) {
      const list = isObject(f.spec) ? f.spec[field] : undefined;
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const name = nameOf(item);
        if (name !== undefined && !out.includes(name)) out.push(name);
      }
    }
    return out.length ? out : null;
  };
  return JSON.stringify({
    initContainers: names('initContainers'),
    containers: names('containers'),
    volumes: names('volumes'),
    imagePullSecrets: names('imagePullSecrets'),
    revision: revision || 'default',
  });
}

export interface InjectionStatus {
  initContainers: string[];
  containers: string[];
  volumes: string[];
  imagePullSecrets: string[];
}

/** Reads a previous status annotation; an unreadable one counts as "nothing injected before". */
export function parseStatus(value: string | undefined): InjectionStatus | undefined {
  if (value === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  const list = (v: Json | undefined): string[] =>
    Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
  return {
    initContainers: list(raw.initContainers),
    containers: list(raw.containers),
    volumes: list(raw.volumes),
    imagePullSecrets: list(raw.imagePullSecrets),
  };
}

function nameOf(item: Json): string | undefined {
  return isObject(item) && typeof item.name === 'string' ? item.name : undefined;
}
