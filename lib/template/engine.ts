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
 * A bundle's templates by name, parsed. A syntax error names the template and refuses the bundle here,
 * where it loads. A text the caller knows to parse (`shipped`: a template of an embedded profile, which
 * the test suite parses and renders) is parsed only when first asked for: a cold start then parses
 * just what its first review renders, not every template of the release.
 *
 * A template text already parsed (by the base of a cluster overlay, another revision, another bundle
 * version) is shared, not parsed and held again: parsed templates are most of a compiled config, and
 * they are never changed.
 */
export class TemplateSet implements Iterable<[string, CompiledTemplate]> {
  private readonly parsed = new Map<string, CompiledTemplate>();
  private readonly names: readonly string[];

  constructor(
    private readonly engine: Liquid,
    private readonly sources: Record<string, string>,
    shipped: (name: string, text: string) => boolean = () => false,
  ) {
    this.names = Object.keys(sources);
    for (const [name, text] of Object.entries(sources)) if (!shipped(name, text)) this.get(name);
  }

  get(name: string): CompiledTemplate | undefined {
    let parsed = this.parsed.get(name);
    if (parsed === undefined && Object.hasOwn(this.sources, name)) {
      parsed = parseShared(this.engine, name, this.sources[name] as string);
      this.parsed.set(name, parsed);
    }
    return parsed;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.sources, name);
  }

  keys(): readonly string[] {
    return this.names;
  }

  *[Symbol.iterator](): Iterator<[string, CompiledTemplate]> {
    for (const name of this.keys()) yield [name, this.get(name) as CompiledTemplate];
  }
}

function parseShared(engine: Liquid, name: string, source: string): CompiledTemplate {
  let cache = parseCaches.get(engine);
  if (!cache) parseCaches.set(engine, (cache = new ByteLru({ maxBytes: PARSE_CACHE_BYTES })));
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
  return parsed;
}
