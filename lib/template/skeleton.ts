import yaml from 'js-yaml';
import { ByteLru, stringBytes } from '../cache/byte-lru.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import { PLACEHOLDER } from './output-capture.ts';
import { yamlScalar } from './yaml-scalar.ts';

/**
 * The bound per instance. An entry counts its text and its parsed tree, which holds about 6.5 bytes per
 * character of text (measured: the sidecar template's 4,750-character shape parses to 31 KB of heap).
 */
export const SKELETON_CACHE_BYTES = 8 * 1024 * 1024;
/** A shape this large comes from a pod with hundreds of ports or containers: parse it, do not keep it. */
const MAX_SKELETON_BYTES = 512 * 1024;
const TREE_BYTES_PER_CHARACTER = 7;

/**
 * Reading YAML is a third of a render's cost, and pods of the same shape render the same YAML but for
 * their output values. So a template is rendered with placeholders for its outputs; the placeholder text
 * is parsed once per distinct shape and cached; each render fills in its values.
 *
 * Filling gives exactly what parsing the escaped text would: each value goes through the same escape
 * and is read back as JSON, which is the YAML subset that escape produces. Anything the fill cannot
 * vouch for (an output that is not a whole node, a key that is not a string, a duplicate key) returns
 * undefined and the caller parses the escaped text instead.
 */
export class SkeletonCache {
  private readonly parsed = new ByteLru<Json>({
    maxBytes: SKELETON_CACHE_BYTES,
    maxEntryBytes: MAX_SKELETON_BYTES,
  });

  fill(text: string, values: unknown[]): JsonObject | null | undefined {
    let skeleton = this.parsed.get(text);
    if (skeleton === undefined) {
      try {
        skeleton = (yaml.load(text) ?? null) as Json;
      } catch {
        return undefined;
      }
      this.parsed.set(text, skeleton, stringBytes(text) + TREE_BYTES_PER_CHARACTER * text.length);
    }
    const used = new Array<boolean>(values.length).fill(false);
    const filled = fillNode(skeleton, values, used);
    if (filled === FAIL || used.some((u) => !u)) return undefined;
    if (filled === null) return null;
    return isObject(filled) ? filled : undefined;
  }
}

const FAIL = Symbol('fail');

function fillNode(node: Json, values: unknown[], used: boolean[]): Json | typeof FAIL {
  if (typeof node === 'string') {
    const i = placeholderIndex(node, used);
    if (i === FAIL) return FAIL;
    return i === undefined ? node : asParsed(values[i]);
  }
  if (Array.isArray(node)) {
    const out: Json[] = [];
    for (const item of node) {
      const filled = fillNode(item, values, used);
      if (filled === FAIL) return FAIL;
      out.push(filled);
    }
    return out;
  }
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [rawKey, child] of Object.entries(node)) {
    let key = rawKey;
    const i = placeholderIndex(rawKey, used);
    if (i === FAIL) return FAIL;
    if (i !== undefined) {
      const value = values[i];
      if (typeof value !== 'string' || value === '__proto__') return FAIL;
      key = value;
    }
    if (key === '__proto__' || Object.hasOwn(out, key)) return FAIL;
    const filled = fillNode(child as Json, values, used);
    if (filled === FAIL) return FAIL;
    out[key] = filled;
  }
  return out;
}

/** What YAML reads back from the escaped value: scalars are themselves, anything else a JSON copy. */
function asParsed(value: unknown): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 prints as 0, so YAML reads 0.
      return Number.isFinite(value) ? value + 0 : null;
    case 'undefined':
      return null;
    default:
      return value === null ? null : (JSON.parse(yamlScalar(value)) as Json);
  }
}

function placeholderIndex(s: string, used: boolean[]): number | undefined | typeof FAIL {
  if (s.charCodeAt(0) !== 0) return undefined;
  const m = PLACEHOLDER.exec(s);
  if (!m) return undefined;
  const i = Number(m[1]);
  if (i >= used.length || used[i]) return FAIL;
  used[i] = true;
  return i;
}
