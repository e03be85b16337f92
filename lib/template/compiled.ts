import type { Liquid, Template } from 'liquidjs';
import { type CompiledRender, compileLiquid, type Segments } from './liquid-compiler.ts';

/**
 * How templates were rendered since the process started: by compiled code, by the interpreter
 * because a template uses something the compiler does not cover, or by the interpreter after a compiled
 * render threw (it then gives the canonical answer or error). Read by the benchmark and the tests.
 */
export const renderCounts = { compiled: 0, interpreted: 0, retried: 0 };

/** A compiled template, and an id no other compiled template in this process has. */
type TemplateRender = CompiledRender & { readonly id: number };

const compiledOf = new WeakMap<Template[], TemplateRender | null>();
let compiledCount = 0;

/** The template compiled once (per parsed template, so once per config version), or null. */
export function compiledTemplate(engine: Liquid, tpl: Template[]): TemplateRender | null {
  let compiled = compiledOf.get(tpl);
  if (compiled === undefined) {
    const render = compileLiquid(engine, tpl);
    compiled = render ? Object.assign(render, { id: ++compiledCount }) : null;
    compiledOf.set(tpl, compiled);
  }
  return compiled;
}

/**
 * The property paths a template reads, each up to its first computed key (see CompiledRender.reads);
 * liquidjs's own analysis for a template the compiler does not cover.
 */
export function templateReads(engine: Liquid, tpl: Template[]): readonly Segments[] {
  return (
    compiledTemplate(engine, tpl)?.reads ??
    engine.globalVariableSegmentsSync(tpl).map((path) => {
      const computed = path.findIndex((s) => typeof s === 'object');
      return (computed < 0 ? path : path.slice(0, computed)) as Segments;
    })
  );
}
