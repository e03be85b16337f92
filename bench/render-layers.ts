// What each layer of the render path buys, per review and at a cold start, on this Node: the webhook
// core (createHandler) with every layer, and with one taken away at a time.
//
//   npx tsx bench/render-layers.ts [--rounds 7] [--reviews 400]
//
// Layers: the result cache (a replica's answer kept; lib/inject/result-cache.ts), the shape cache
// (YAML read once per template shape, lib/template/skeleton.ts), the compiled templates (Liquid turned
// into JavaScript, lib/template/liquid-compiler.ts) and the build-time code for the shipped templates
// (no parse or compile at a cold start). Each variant swaps one part of the same config; nothing else
// changes. Per-review figures are medians over rounds that alternate the variants.
import { parseArgs } from 'node:util';
import { compileBundle, type InjectorConfig, sharedEngine } from '../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../lib/config/default.ts';
import { createHandler } from '../lib/http/handle.ts';
import { InjectionCache } from '../lib/inject/result-cache.ts';
import { createEngine, TemplateSet } from '../lib/template/engine.ts';
import type { SkeletonCache } from '../lib/template/skeleton.ts';
import { envHeavyReview, helloReview, replicaBodies } from '../harness/support/pod-variants.ts';
import { median } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, reviews: { type: 'string', default: '400' } },
});
const ROUNDS = Number(args.rounds);
const REVIEWS = Number(args.reviews);

/** The interpreter for every template: what the compiled code stands in for. */
class InterpretedTemplates extends TemplateSet {
  override compiled(): null {
    return null;
  }
}
const noShapes = { fill: () => undefined } as unknown as SkeletonCache;

const base = compileBundle(DEFAULT_BUNDLE, 'bench');
const variants: Record<string, { config: InjectorConfig; cache?: InjectionCache }> = {
  'every layer': { config: base },
  'no result cache': { config: base, cache: new InjectionCache(0) },
  'no shape cache': { config: { ...base, skeletons: noShapes } },
  'no compiled templates': {
    config: { ...base, templates: new InterpretedTemplates(sharedEngine, DEFAULT_BUNDLE.templates) },
  },
  'interpreter, no shape cache': {
    config: {
      ...base,
      skeletons: noShapes,
      templates: new InterpretedTemplates(sharedEngine, DEFAULT_BUNDLE.templates),
    },
  },
};

let next = 1_000_000;
const inputs: Record<string, () => string> = {
  'distinct hello pods': () => JSON.stringify(helloReview(next++)),
  'distinct pods, 2,000 env vars': () => JSON.stringify(envHeavyReview(next++)),
  'replicas of one pod': (() => {
    const bodies = replicaBodies(64, 7);
    let i = 0;
    return () => bodies[i++ % bodies.length] as string;
  })(),
};

async function perReview(variant: (typeof variants)[string], input: () => string, n: number) {
  const handle = createHandler({
    revision: '',
    config: async () => variant.config,
    ...(variant.cache && { cache: variant.cache }),
  });
  const bodies = Array.from({ length: n }, () => Buffer.from(input()));
  const req = (body: Buffer) => ({
    method: 'POST',
    path: '/inject',
    headers: { 'content-type': 'application/json' },
    body,
  });
  for (const b of bodies.slice(0, 20)) await handle(req(b));
  const start = performance.now();
  for (const b of bodies) {
    const out = await handle(req(b));
    if (!out.body.includes('"patch"')) throw new Error(`not injected: ${out.body.slice(0, 200)}`);
  }
  return ((performance.now() - start) / n) * 1000;
}

const results: Record<string, Record<string, number[]>> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [inputName, input] of Object.entries(inputs)) {
    const n = inputName.includes('2,000') ? Math.max(20, REVIEWS / 20) : REVIEWS;
    for (const [name, variant] of Object.entries(variants)) {
      ((results[inputName] ??= {})[name] ??= []).push(await perReview(variant, input, n));
    }
  }
}

const lines = [
  `Node ${process.versions.node}, ${ROUNDS} rounds, µs per review (median), and as a ratio to every layer`,
  '',
];
lines.push(
  `| variant | ${Object.keys(inputs).join(' | ')} |`,
  `|---|${Object.keys(inputs)
    .map(() => '---')
    .join('|')}|`,
);
for (const name of Object.keys(variants)) {
  const cells = Object.keys(inputs).map((i) => {
    const v = median(results[i]?.[name] ?? []);
    const all = median(results[i]?.['every layer'] ?? []);
    return `${v.toFixed(0)} (${(v / all).toFixed(2)}x)`;
  });
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
}

// A cold start's part: the config made and its first review answered, in a fresh engine each time.
const cold = (make: () => InjectorConfig) => async () => {
  const start = performance.now();
  const config = make();
  const handle = createHandler({ revision: '', config: async () => config });
  const out = await handle({
    method: 'POST',
    path: '/inject',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(helloReview(next++))),
  });
  if (!out.body.includes('"patch"')) throw new Error('cold: not injected');
  return performance.now() - start;
};
const coldVariants: Record<string, () => Promise<number>> = {
  'build-time code (shipped)': cold(() => compileBundle(DEFAULT_BUNDLE, 'cold', createEngine())),
  'parsed and compiled at start': cold(() => {
    const engine = createEngine();
    return {
      ...compileBundle(DEFAULT_BUNDLE, 'cold', engine),
      templates: new TemplateSet(engine, DEFAULT_BUNDLE.templates),
    };
  }),
  'parsed, interpreted': cold(() => {
    const engine = createEngine();
    return {
      ...compileBundle(DEFAULT_BUNDLE, 'cold', engine),
      templates: new InterpretedTemplates(engine, DEFAULT_BUNDLE.templates),
    };
  }),
};
const coldTimes: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(coldVariants)) (coldTimes[name] ??= []).push(await run());
}
lines.push('', '| cold start: config made + first review | ms (median) |', '|---|---|');
for (const [name, xs] of Object.entries(coldTimes)) lines.push(`| ${name} | ${median(xs).toFixed(1)} |`);
process.stdout.write(`${lines.join('\n')}\n`);
