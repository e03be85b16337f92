import type { Liquid, Template } from 'liquidjs';
import {
  type CompiledRender,
  compileLiquid,
  type GeneratedLiquid,
  linkLiquid,
  type Segments,
} from './liquid-compiler.ts';

/**
 * How templates were rendered since the process started: by compiled code, by the interpreter
 * because a template uses something the compiler does not cover, or by the interpreter after a compiled
 * render threw (it then gives the canonical answer or error). Read by the benchmark and the tests.
 */
export const renderCounts = { compiled: 0, interpreted: 0, retried: 0 };

/** A compiled template, and an id no other compiled template in this process has. */
export type TemplateRender = CompiledRender & { readonly id: number };

const compiledOf = new WeakMap<Template[], TemplateRender | null>();
const linkedOf = new WeakMap<Liquid, WeakMap<GeneratedLiquid, TemplateRender | null>>();
let compiledCount = 0;

function withId(render: CompiledRender | undefined): TemplateRender | null {
  return render ? Object.assign(render, { id: ++compiledCount }) : null;
}

/** The template compiled once (per parsed template, so once per config version), or null. */
export function compiledTemplate(engine: Liquid, tpl: Template[]): TemplateRender | null {
  let compiled = compiledOf.get(tpl);
  if (compiled === undefined) {
    compiled = withId(compileLiquid(engine, tpl));
    compiledOf.set(tpl, compiled);
  }
  return compiled;
}

/** Code generated at build time, linked to `engine` once, or null when it does not link there. */
export function linkedTemplate(engine: Liquid, generated: GeneratedLiquid): TemplateRender | null {
  let linked = linkedOf.get(engine);
  if (!linked) linkedOf.set(engine, (linked = new WeakMap()));
  let render = linked.get(generated);
  if (render === undefined) {
    render = withId(linkLiquid(engine, generated));
    linked.set(generated, render);
  }
  return render;
}

/**
 * The property paths a template reads, each up to its first computed key, by liquidjs's own analysis:
 * for a template the compiler does not cover (CompiledRender.reads tells it for the others).
 */
export function analysedReads(engine: Liquid, tpl: Template[]): readonly Segments[] {
  return engine.globalVariableSegmentsSync(tpl).map((path) => {
    const computed = path.findIndex((s) => typeof s === 'object');
    return (computed < 0 ? path : path.slice(0, computed)) as Segments;
  });
}
