import yaml from 'js-yaml';
import { ByteLru, stringBytes } from '../cache/byte-lru.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import { markPlain } from '../merge/strategic.ts';
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
 * is parsed once per distinct shape into a plan, and each render fills in its values.
 *
 * Filling gives exactly what parsing the escaped text would: each value goes through the same escape
 * and is read back as JSON, which is the YAML subset that escape produces. Anything the fill cannot
 * vouch for (an output that is not a whole node, a key that is not a string, a duplicate key) returns
 * undefined and the caller parses the escaped text instead.
 *
 * What a shape holds with no output under it (most of a sidecar) is built once, frozen, and shared by
 * every fill; only the nodes above an output are built per render. Frozen parts without directive keys
 * or null values are marked (markPlain), so merging a sidecar into a pod does not copy them either: the
 * pipeline never changes a node in place, and the freeze holds it to that.
 */
export class SkeletonCache {
  private readonly plans = new ByteLru<Plan | typeof UNFILLABLE>({
    maxBytes: SKELETON_CACHE_BYTES,
    maxEntryBytes: MAX_SKELETON_BYTES,
  });

  /**
   * `key` names the text (liquid-compiler.ts, CompiledRender.traced): the same key is always the same
   * text. Without one, the text is its own key.
   */
  fill(text: string, values: unknown[], key = text): JsonObject | null | undefined {
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = planOf(text);
      this.plans.set(key, plan, stringBytes(key) + TREE_BYTES_PER_CHARACTER * text.length);
    }
    if (plan === UNFILLABLE || plan.outputs !== values.length) return undefined;
    const filled = plan.root.build(values);
    if (filled === FAIL) return undefined;
    if (filled === null) return null;
    return isObject(filled) ? filled : undefined;
  }
}

const FAIL = Symbol('fail');
/** A shape whose text does not parse, or whose placeholders are not each output once, in order. */
const UNFILLABLE = Symbol('unfillable');

interface Plan {
  root: Node;
  /** How many outputs the shape holds: placeholders 0 to outputs - 1, each once. */
  outputs: number;
}

/** A node of the shape: what to return for it, given the outputs of one render. */
interface Node {
  build: (values: unknown[]) => Json | typeof FAIL;
  /** Whether no output is under the node: `build` then returns the node itself, frozen. */
  fixed: boolean;
}

function planOf(text: string): Plan | typeof UNFILLABLE {
  let tree: Json;
  try {
    tree = (yaml.load(text) ?? null) as Json;
  } catch {
    return UNFILLABLE;
  }
  const seen: number[] = [];
  const root = nodeOf(tree, seen);
  if (root === UNFILLABLE) return UNFILLABLE;
  // Each output once: a missing number is an output that is not a node of its own (inside a longer
  // scalar, a block or a comment).
  const numbers = [...seen].sort((a, b) => a - b);
  if (numbers.some((n, i) => n !== i)) return UNFILLABLE;
  return { root, outputs: seen.length };
}

function nodeOf(node: Json, seen: number[]): Node | typeof UNFILLABLE {
  if (typeof node === 'string') {
    const i = placeholderIndex(node);
    if (i === undefined) return fixed(node);
    seen.push(i);
    return { build: (values) => asParsed(values[i]), fixed: false };
  }
  if (Array.isArray(node)) {
    const items: Node[] = [];
    for (const item of node) {
      const n = nodeOf(item, seen);
      if (n === UNFILLABLE) return UNFILLABLE;
      items.push(n);
    }
    if (items.every((n) => n.fixed)) return fixed(node);
    return {
      build: (values) => {
        const out: Json[] = [];
        for (const n of items) {
          const v = n.build(values);
          if (v === FAIL) return FAIL;
          out.push(v);
        }
        return out;
      },
      fixed: false,
    };
  }
  if (!isObject(node)) return fixed(node);
  const entries: { key: string | number; value: Node }[] = [];
  for (const [rawKey, child] of Object.entries(node)) {
    if (rawKey === '__proto__') return UNFILLABLE;
    const i = placeholderIndex(rawKey);
    if (i !== undefined) seen.push(i);
    const value = nodeOf(child as Json, seen);
    if (value === UNFILLABLE) return UNFILLABLE;
    entries.push({ key: i ?? rawKey, value });
  }
  const computedKeys = entries.some((e) => typeof e.key === 'number');
  if (!computedKeys && entries.every((e) => e.value.fixed)) return fixed(node);
  return {
    build: (values) => {
      const out: JsonObject = {};
      for (const { key: k, value: n } of entries) {
        let key = k;
        if (typeof key === 'number') {
          const v = values[key];
          if (typeof v !== 'string' || v === '__proto__') return FAIL;
          key = v;
        }
        if (computedKeys && Object.hasOwn(out, key)) return FAIL;
        const v = n.build(values);
        if (v === FAIL) return FAIL;
        out[key] = v;
      }
      return out;
    },
    fixed: false,
  };
}

/** A part of the shape with no output under it: frozen once, returned by every fill. */
function fixed(node: Json): Node {
  deepFreeze(node);
  return { build: () => node, fixed: true };
}

/** Freezes the tree and marks its plain nodes (see markPlain); says whether the whole tree is plain. */
function deepFreeze(node: Json): boolean {
  if (node === null || typeof node !== 'object') return true;
  let plain = true;
  if (Array.isArray(node)) {
    for (const item of node) if (!deepFreeze(item)) plain = false;
  } else {
    for (const [k, v] of Object.entries(node)) {
      if (!deepFreeze(v as Json) || v === null || k.startsWith('$')) plain = false;
    }
  }
  Object.freeze(node);
  if (plain) markPlain(node);
  return plain;
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

function placeholderIndex(s: string): number | undefined {
  if (s.charCodeAt(0) !== 0) return undefined;
  const m = PLACEHOLDER.exec(s);
  return m ? Number(m[1]) : undefined;
}
