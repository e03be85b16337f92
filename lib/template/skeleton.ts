import yaml from 'js-yaml';
import { ByteLru, stringBytes } from '../cache/byte-lru.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import { isPlain, markNotPlain } from '../merge/strategic.ts';
import { PLACEHOLDER } from './output-capture.ts';
import { yamlScalar } from './yaml-scalar.ts';

/**
 * The bound per instance. An entry counts its key and its plan: the frozen tree of the shape's text
 * and, for each node above an output, a builder. Measured: the sidecar's 4,850-character shape holds
 * 11.6-13 bytes a character as a plan, the tree alone 5 (test/template/skeleton.test.ts holds plans under
 * the count).
 */
export const SKELETON_CACHE_BYTES = 8 * 1024 * 1024;
/** A shape this large comes from a pod with hundreds of ports or containers: parse it, do not keep it. */
const MAX_SKELETON_BYTES = 512 * 1024;
export const PLAN_BYTES_PER_CHARACTER = 16;

/**
 * Reading YAML is a third of a render's cost, and pods of the same shape render the same YAML but for
 * their output values. So a template is rendered with placeholders for its outputs; the placeholder text
 * is parsed once per distinct shape into a plan, and each render fills in its values.
 *
 * Filling gives exactly what parsing the escaped text would: each value goes through the same escape
 * and is read back as JSON, which is the YAML subset that escape produces. Anything the fill cannot
 * vouch for (an output that is not a whole node, a key that is not a string, a duplicate key, a value
 * YAML reads as something other than JSON, such as a date) returns undefined and the caller parses the
 * escaped text instead.
 *
 * What a shape holds with no output under it (most of a sidecar) is built once, frozen, and shared by
 * every fill; only the nodes above an output are built per render, and frozen as they are built when
 * they hold no directive keys or null values (isPlain), so merging a sidecar into a pod does not copy
 * them. The pipeline never changes a node in place, and the freeze holds it to that.
 */
export class SkeletonCache {
  private readonly plans = new ByteLru<Plan | typeof UNFILLABLE>({
    maxBytes: SKELETON_CACHE_BYTES,
    maxEntryBytes: MAX_SKELETON_BYTES,
  });

  /**
   * `shape` names the text when the render can (liquid-compiler.ts, CompiledRender.traced: the same
   * name is always the same text); without it the text is its own name. The two never meet: a text a
   * pod writes through an unescaped output cannot take another template's shape.
   */
  fill(text: string, values: unknown[], shape?: string): JsonObject | null | undefined {
    const key = shape === undefined ? `t${text}` : `s${shape}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = planOf(text);
      this.plans.set(key, plan, stringBytes(key) + PLAN_BYTES_PER_CHARACTER * text.length);
    }
    if (plan === UNFILLABLE || plan.outputs !== values.length) return undefined;
    const filled = plan.root.fixed ? plan.root.value : plan.root.build(values);
    if (filled === FAIL) return undefined;
    if (filled === null) return null;
    return isObject(filled) ? filled : undefined;
  }
}

const FAIL = Symbol('fail');
/** A shape whose text does not parse, or whose placeholders are not each output exactly once. */
const UNFILLABLE = Symbol('unfillable');

interface Plan {
  root: Node;
  /** How many outputs the shape holds: placeholders 0 to outputs - 1, each once. */
  outputs: number;
}

/**
 * A node of the shape: one with no output under it is its frozen value, shared by every fill; one
 * above an output is built per fill.
 */
type Node = { fixed: true; value: Json } | { fixed: false; build: (values: unknown[]) => Json | typeof FAIL };

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
  if (root.fixed) freeze(root.value);
  return { root, outputs: seen.length };
}

/**
 * The plan of a parsed node. Parts with no output are left as they are and frozen where a built node
 * holds them (each frozen part walked once).
 */
function nodeOf(node: Json, seen: number[]): Node | typeof UNFILLABLE {
  if (typeof node === 'string') {
    const i = placeholderIndex(node);
    if (i === undefined) return { fixed: true, value: node };
    seen.push(i);
    return { fixed: false, build: (values) => asParsed(values[i]) };
  }
  if (node === null || typeof node !== 'object') return { fixed: true, value: node };
  // YAML's other types (a timestamp is a Date, !!binary a Uint8Array) are not what the escaped text's
  // reader gives back through JSON: the caller parses the text, as before there were plans.
  if (!Array.isArray(node) && Object.getPrototypeOf(node) !== Object.prototype) return UNFILLABLE;
  if (Array.isArray(node)) {
    const items: Node[] = [];
    for (const item of node) {
      const n = nodeOf(item, seen);
      if (n === UNFILLABLE) return UNFILLABLE;
      items.push(n);
    }
    if (items.every((n) => n.fixed)) return { fixed: true, value: node };
    const parts = items.map(part);
    return {
      fixed: false,
      build: (values) => {
        const out: Json[] = [];
        let plain = true;
        for (const p of parts) {
          const v = typeof p === 'function' ? p(values) : p.value;
          if (v === FAIL) return FAIL;
          if (plain && !isPlain(v)) plain = false;
          out.push(v);
        }
        return sealed(out, plain);
      },
    };
  }
  const entries: { key: string | number; node: Node }[] = [];
  for (const [rawKey, child] of Object.entries(node)) {
    if (rawKey === '__proto__') return UNFILLABLE;
    const i = placeholderIndex(rawKey);
    if (i !== undefined) seen.push(i);
    const n = nodeOf(child as Json, seen);
    if (n === UNFILLABLE) return UNFILLABLE;
    entries.push({ key: i ?? rawKey, node: n });
  }
  const computedKeys = entries.some((e) => typeof e.key === 'number');
  if (!computedKeys && entries.every((e) => e.node.fixed)) return { fixed: true, value: node };
  const parts = entries.map((e) => ({ key: e.key, part: part(e.node) }));
  const directiveKey = entries.some((e) => typeof e.key === 'string' && e.key.startsWith('$'));
  return {
    fixed: false,
    build: (values) => {
      const out: JsonObject = {};
      let plain = !directiveKey;
      for (const { key: k, part: p } of parts) {
        let key = k;
        if (typeof key === 'number') {
          const v = values[key];
          if (typeof v !== 'string' || v === '__proto__') return FAIL;
          key = v;
          if (key.startsWith('$')) plain = false;
        }
        if (computedKeys && Object.hasOwn(out, key)) return FAIL;
        const v = typeof p === 'function' ? p(values) : p.value;
        if (v === FAIL) return FAIL;
        if (plain && !isPlain(v)) plain = false;
        out[key] = v;
      }
      return sealed(out, plain);
    },
  };
}

/** What a built node holds of a child: its builder, or its frozen value. */
function part(n: Node): ((values: unknown[]) => Json | typeof FAIL) | { value: Json } {
  if (!n.fixed) return n.build;
  freeze(n.value);
  return { value: n.value };
}

/** A node built by a fill: frozen when all under it is plain (isPlain), else left as built. */
function sealed<T extends Json[] | JsonObject>(node: T, plain: boolean): T {
  return plain ? Object.freeze(node) : node;
}

/** Freezes the tree and marks the nodes that are not plain (isPlain); says whether it is plain. */
function freeze(node: Json): boolean {
  if (node === null || typeof node !== 'object') return true;
  let plain = true;
  if (Array.isArray(node)) {
    for (const item of node) if (!freeze(item)) plain = false;
  } else {
    for (const [k, v] of Object.entries(node)) {
      // A `__proto__` key (an own one, from JSON) is dropped by a merge that copies: not plain.
      if (!freeze(v as Json) || v === null || k.startsWith('$') || k === '__proto__') plain = false;
    }
  }
  Object.freeze(node);
  if (!plain) markNotPlain(node);
  return plain;
}

/**
 * Frozen maps and lists printed whole, by the object printed: what the escape gives is a function of
 * the object, which cannot change (the template data freezes what it shares between reviews, all the
 * way down, such as the config's proxy resources).
 */
const readBackOf = new WeakMap<object, Json>();

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
    case 'object': {
      if (value === null) return null;
      if (!Object.isFrozen(value)) return readBack(value);
      let parsed = readBackOf.get(value);
      if (parsed === undefined) readBackOf.set(value, (parsed = readBack(value)));
      return parsed;
    }
    default:
      return readBack(value);
  }
}

/** The escaped value read back as JSON (its YAML subset), frozen as the shape's own parts are. */
function readBack(value: unknown): Json {
  const parsed = JSON.parse(yamlScalar(value)) as Json;
  freeze(parsed);
  return parsed;
}

function placeholderIndex(s: string): number | undefined {
  if (s.charCodeAt(0) !== 0) return undefined;
  const m = PLACEHOLDER.exec(s);
  return m ? Number(m[1]) : undefined;
}
