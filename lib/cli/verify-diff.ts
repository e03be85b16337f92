import { isObject, type Json, type JsonObject } from '../json.ts';
import type { Pod } from '../kube/types.ts';

/**
 * What changes between two injected pods, one line per change a reviewer cares about: containers and
 * init containers added or removed, and per container its image, command, args, env, mounts, ports,
 * resources and security context; volumes added, removed or changed; labels and annotations; any other
 * pod spec field. `+` added, `-` removed, `~` changed.
 */
export function podChanges(before: Pod, after: Pod): string[] {
  const out: string[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    const a = byName(before.spec?.[list]);
    const b = byName(after.spec?.[list]);
    const what = list === 'containers' ? 'container' : 'init container';
    for (const name of a.keys()) if (!b.has(name)) out.push(`- ${what} ${name}`);
    for (const [name, c] of b) {
      const old = a.get(name);
      if (!old) {
        out.push(`+ ${what} ${name} (image ${String(c.image ?? '-')})`);
        continue;
      }
      out.push(...containerChanges(`${what} ${name}`, old, c));
    }
  }
  const va = byName(before.spec?.volumes);
  const vb = byName(after.spec?.volumes);
  for (const name of va.keys()) if (!vb.has(name)) out.push(`- volume ${name}`);
  for (const [name, v] of vb) {
    const old = va.get(name);
    if (!old) out.push(`+ volume ${name}`);
    else if (!same(old, v)) out.push(`~ volume ${name}: ${short(old)} → ${short(v)}`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    out.push(...mapChanges(`metadata.${field}`, before.metadata?.[field], after.metadata?.[field]));
  }
  const skip = new Set(['containers', 'initContainers', 'volumes']);
  const specKeys = new Set([...Object.keys(before.spec ?? {}), ...Object.keys(after.spec ?? {})]);
  for (const key of [...specKeys].sort()) {
    if (skip.has(key)) continue;
    const x = before.spec?.[key];
    const y = after.spec?.[key];
    if (!same(x, y)) out.push(`~ spec.${key}: ${short(x)} → ${short(y)}`);
  }
  return out;
}

function containerChanges(who: string, a: JsonObject, b: JsonObject): string[] {
  const out: string[] = [];
  if (a.image !== b.image) out.push(`~ ${who}: image ${String(a.image ?? '-')} → ${String(b.image ?? '-')}`);
  for (const field of ['command', 'args'] as const) {
    if (!same(a[field], b[field])) out.push(`~ ${who}: ${field} ${short(a[field])} → ${short(b[field])}`);
  }
  const env = keyed(a.env, 'name', b.env);
  if (env.length) out.push(`~ ${who}: env ${env.join(', ')}`);
  const mounts = keyed(
    a.volumeMounts,
    'mountPath',
    b.volumeMounts,
    (m) => `${m.mountPath} (${String(m.name)})`,
  );
  if (mounts.length) out.push(`~ ${who}: volumeMounts ${mounts.join(', ')}`);
  const ports = keyed(a.ports, 'containerPort', b.ports);
  if (ports.length) out.push(`~ ${who}: ports ${ports.join(', ')}`);
  const handled = new Set(['name', 'image', 'command', 'args', 'env', 'volumeMounts', 'ports']);
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (handled.has(key)) continue;
    if (!same(a[key], b[key])) out.push(`~ ${who}: ${key} ${short(a[key])} → ${short(b[key])}`);
  }
  return out;
}

/** Items of two lists matched by `key`: `+K`, `-K`, `~K` (its value changed). */
function keyed(
  a: Json | undefined,
  key: string,
  b: Json | undefined,
  label: (item: JsonObject) => string = (item) => String(item[key]),
): string[] {
  const index = (list: Json | undefined) =>
    new Map(
      (Array.isArray(list) ? list.filter(isObject) : []).map((item) => [String(item[key]), item] as const),
    );
  const ia = index(a);
  const ib = index(b);
  const out: string[] = [];
  for (const [k, item] of ia) if (!ib.has(k)) out.push(`-${label(item)}`);
  for (const [k, item] of ib) {
    const old = ia.get(k);
    if (!old) out.push(`+${label(item)}`);
    else if (!same(old, item)) out.push(`~${label(item)}`);
  }
  return out;
}

function mapChanges(what: string, a: Json | undefined, b: Json | undefined): string[] {
  const ma = isObject(a) ? a : {};
  const mb = isObject(b) ? b : {};
  const out: string[] = [];
  // Own keys only: `k in` would find `constructor` or `toString` on every object.
  for (const k of Object.keys(ma)) if (!Object.hasOwn(mb, k)) out.push(`- ${what} ${k}`);
  for (const [k, v] of Object.entries(mb)) {
    if (!Object.hasOwn(ma, k)) out.push(`+ ${what} ${k}=${short(v)}`);
    else if (!same(ma[k], v)) out.push(`~ ${what} ${k}: ${short(ma[k])} → ${short(v)}`);
  }
  return out;
}

function byName(list: Json | undefined): Map<string, JsonObject> {
  return new Map(
    (Array.isArray(list) ? list.filter(isObject) : []).map(
      (item) => [String(item.name ?? ''), item] as const,
    ),
  );
}

function same(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value on one line, cut at 120 characters. */
function short(v: Json | undefined): string {
  if (v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
