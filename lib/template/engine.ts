import { Liquid, type Template } from 'liquidjs';
import { ByteLru } from '../cache/byte-lru.ts';
import { errorMessage, InjectionError } from '../errors.ts';
import { analysedReads, compiledTemplate, linkedTemplate, type TemplateRender } from './compiled.ts';
import { registerFilters } from './filters.ts';
import type { GeneratedLiquid, Segments } from './liquid-compiler.ts';
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
    // No file system: `include`, `render` and `layout` find nothing, so a bundle's template cannot read
    // a file of the host it runs on (the function's code, a CI checkout publishing with --verify-with).
    templates: {},
  });
  registerFilters(engine);
  return engine;
}

export type CompiledTemplate = Template[];

/**
 * Heap a parsed template holds per character of its source, rounded up: measured 11-17 for the Istio
 * profiles' templates (test/rollout/memory.test.ts holds estimates made with it to the heap).
 */
const PARSED_BYTES_PER_CHAR = 20;
const PARSE_CACHE_BYTES = 32 * 1024 * 1024;
const parseCaches = new WeakMap<Liquid, ByteLru<CompiledTemplate>>();

/**
 * What the embedded profiles know of a template text: undefined when no profile ships it as `name`;
 * else the code generated for it at build time, or null when the compiler does not cover it.
 */
export type ShippedTemplates = (name: string, text: string) => GeneratedLiquid | null | undefined;

/**
 * A bundle's templates by name, parsed and compiled. A syntax error names the template and refuses the
 * bundle here, where it loads. A text an embedded profile ships (which the test suite parses and
 * renders) is parsed only when first asked for, and its code was generated at build time: a cold start
 * then neither parses nor compiles what its first review renders.
 *
 * A template text already parsed (by the base of a cluster overlay, another revision, another bundle
 * version) is shared, not parsed and held again: parsed templates are most of a compiled config, and
 * they are never changed.
 */
export class TemplateSet implements Iterable<[string, CompiledTemplate]> {
  private readonly parsed = new Map<string, CompiledTemplate>();
  private readonly renders = new Map<string, TemplateRender | null>();
  private readonly generated = new Map<string, GeneratedLiquid | null>();
  private readonly names: readonly string[];

  constructor(
    private readonly engine: Liquid,
    private readonly sources: Record<string, string>,
    shipped: ShippedTemplates = () => undefined,
  ) {
    this.names = Object.keys(sources);
    for (const [name, text] of Object.entries(sources)) {
      const generated = shipped(name, text);
      if (generated === undefined) this.get(name);
      else this.generated.set(name, generated);
    }
  }

  get(name: string): CompiledTemplate | undefined {
    let parsed = this.parsed.get(name);
    if (parsed === undefined && Object.hasOwn(this.sources, name)) {
      parsed = parseShared(this.engine, name, this.sources[name] as string);
      this.parsed.set(name, parsed);
    }
    return parsed;
  }

  /** The template as generated code, or null when the interpreter renders it. */
  compiled(name: string): TemplateRender | null {
    let render = this.renders.get(name);
    if (render === undefined) {
      const generated = this.generated.get(name);
      render = generated ? linkedTemplate(this.engine, generated) : null;
      const parsed = render ? undefined : this.get(name);
      if (parsed) render = compiledTemplate(this.engine, parsed);
      this.renders.set(name, render);
    }
    return render;
  }

  /** The property paths template `name` reads (CompiledRender.reads). */
  reads(name: string): readonly Segments[] {
    const compiled = this.compiled(name);
    if (compiled) return compiled.reads;
    const parsed = this.get(name);
    return parsed ? analysedReads(this.engine, parsed) : [];
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
