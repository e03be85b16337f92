import yaml from 'js-yaml';
import { InjectionError, yamlProblem } from '../errors.ts';
import type { Json } from '../json.ts';

/**
 * What one value parsed out of a pod may cost. A pod field is written by whoever may create pods, so
 * its parse must be bounded before the data reaches code that walks or copies it: a few hundred bytes
 * of YAML anchors expand to gigabytes once something serialises them.
 */
export interface ParseLimits {
  /** Nodes (scalars, maps, lists) counted as the data expands, every alias use counted in full. */
  maxNodes: number;
  maxDepth: number;
  /** Uses of an anchor; go-yaml, which Istio parses with, refuses documents that lean on aliases. */
  maxAliases: number;
}

/** Ample for any real annotation (a full ProxyConfig is about 100 nodes). */
export const ANNOTATION_LIMITS: ParseLimits = { maxNodes: 10_000, maxDepth: 32, maxAliases: 100 };

/**
 * YAML (or JSON, a subset) from a pod field, refused with an error naming `what` (a prefix of the
 * message; "" for the bare problem) when it is not YAML or goes over `limits`. The parse itself is bounded too: js-yaml reports every node it composes to the
 * listener, which stops it at the node limit.
 */
export function parseBoundedYaml(text: string, what: string, limits = ANNOTATION_LIMITS): unknown {
  let composed = 0;
  const listener = (event: string) => {
    if (event === 'open' && ++composed > limits.maxNodes) throw new TooLarge(tooMany(limits));
  };
  let value: unknown;
  try {
    value = yaml.load(text, { listener });
  } catch (err) {
    if (err instanceof TooLarge) throw refused(what, err.message);
    throw refused(what, `not YAML: ${yamlProblem(err)}`);
  }
  checkExpansion(value as Json, what, limits);
  return value;
}

/** JSON from a pod field, with the same limits (JSON has no aliases, but may nest or fan out). */
export function parseBoundedJson(text: string, what: string, limits = ANNOTATION_LIMITS): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw refused(what, `not JSON: ${(err as Error).message}`);
  }
  checkExpansion(value as Json, what, limits);
  return value;
}

/**
 * Walks the value as everything downstream will: a shared (aliased) node is visited at each place it
 * appears, so the count is the size of the expanded tree. Stops at the first limit it passes, so the
 * walk costs at most `maxNodes` steps.
 */
function checkExpansion(value: Json, what: string, limits: ParseLimits): void {
  let nodes = 0;
  let aliases = 0;
  const seen = new Set<object>();
  const fail = (problem: string) => {
    throw refused(what, problem);
  };
  const visit = (v: Json | undefined, depth: number) => {
    if (++nodes > limits.maxNodes) fail(tooMany(limits));
    if (typeof v !== 'object' || v === null) return;
    if (depth >= limits.maxDepth) fail(`nested deeper than ${limits.maxDepth} levels`);
    if (seen.has(v)) {
      if (++aliases > limits.maxAliases) fail(`more than ${limits.maxAliases} uses of YAML anchors`);
    } else {
      seen.add(v);
    }
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item, depth + 1);
  };
  visit(value, 0);
}

function tooMany(limits: ParseLimits): string {
  return `more than ${limits.maxNodes} values (anchors and aliases count at every use)`;
}

function refused(what: string, problem: string): InjectionError {
  return new InjectionError('bad-annotation', what ? `${what}: ${problem}` : problem);
}

class TooLarge extends Error {}
