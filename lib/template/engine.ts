import { Liquid, type Template } from 'liquidjs';
import { ByteLru } from '../cache/byte-lru.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { registerFilters } from './filters.ts';
import { escapeOutput } from './output-capture.ts';

/**
 * One Liquid engine for all bundles. Outputs are escaped into YAML flow nodes (see yaml-scalar.ts);
 * unknown filters fail when a bundle loads, not when a pod arrives; truthiness follows JavaScript (and
 * Go templates): "", 0, false and nil are false.
 */
export function createEngine(): Liquid {
  const engine = new Liquid({
    outputEscape: escapeOutput,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    jsTruthy: true,
    cache: false,
    // Without one, liquidjs asks Intl for the host's locale: a fifth of a cold start, and the `date`
    // filter would then print by the host's locale, not the same everywhere.
    locale: 'en-US',
  });
  registerFilters(engine);
  return engine;
}

export type CompiledTemplate = Template[];

/**
 * Heap a parsed template holds per character of its source, rounded up: measured 11-17 for the Istio
 * profiles' templates (test/rollout-memory.test.ts holds estimates made with it to the heap).
 */
const PARSED_BYTES_PER_CHAR = 20;
const PARSE_CACHE_BYTES = 32 * 1024 * 1024;
const parseCaches = new WeakMap<Liquid, ByteLru<CompiledTemplate>>();

/**
 * Parses every template of a bundle; a syntax error names the template. A template text already
 * parsed (by the base of a cluster overlay, another revision, another bundle version) is shared, not
 * parsed and held again: parsed templates are most of a compiled config, and they are never changed.
 */
export function compileTemplates(
  engine: Liquid,
  sources: Record<string, string>,
): Map<string, CompiledTemplate> {
  let cache = parseCaches.get(engine);
  if (!cache) parseCaches.set(engine, (cache = new ByteLru({ maxBytes: PARSE_CACHE_BYTES })));
  const out = new Map<string, CompiledTemplate>();
  for (const [name, source] of Object.entries(sources)) {
    // The name is part of the key: liquidjs names the template in its errors.
    const key = `${name}\0${source}`;
    let parsed = cache.get(key);
    if (!parsed) {
      try {
        parsed = engine.parse(source, name);
      } catch (err) {
        throw new InjectionError('config', `template "${name}" does not parse: ${errorMessage(err)}`);
      }
      cache.set(key, parsed, PARSED_BYTES_PER_CHAR * source.length);
    }
    out.set(name, parsed);
  }
  return out;
}
