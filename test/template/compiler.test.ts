// The compiled templates (lib/template/liquid-compiler.ts) against liquidjs's interpreter, byte for byte:
// every template of the embedded config over the conformance pods and generated pods, and a template of
// Liquid's tricky corners over generated data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Drop } from 'liquidjs';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { layerBundles } from '../../lib/config/bundle.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { Pod } from '../../lib/kube/types.ts';
import { compileLiquid, generateLiquid } from '../../lib/template/liquid-compiler.ts';
import { buildTemplateData } from '../../lib/template/data.ts';
import { createEngine } from '../../lib/template/engine.ts';
import { renderCaptured } from '../../lib/template/output-capture.ts';
import { CONFORMANCE_CASES, configFor, podsOf, readDocs } from '../../harness/support/conformance.ts';
import { podArbitrary } from '../../harness/support/pod-arbitraries.ts';
import {
  DEFAULT_PROFILE,
  PROFILE_NAMES,
  profileBundle,
  shippedTemplate,
} from '../../lib/profile/registry.ts';

const SEED = 20_261_201;
/** Captured text by parsed template and trace, over every render of the file's tests. */
const textOfTrace = new WeakMap<object, Map<string, string>>();
let traceRepeats = 0;

/** Both renders of every template of `config` for `pod`: plain, and with outputs captured. */
function assertSameRenders(config: InjectorConfig, pod: Pod, namespace: string, what: string): void {
  let data: ReturnType<typeof buildTemplateData>;
  try {
    data = buildTemplateData(pod, config, { proxyEnvs: {}, revision: '' });
  } catch {
    return; // a pod the injector refuses before rendering (a bad annotation)
  }
  for (const [name, tpl] of config.templates) {
    // As the pipeline renders it: the default profile's templates by the code generated when the
    // profiles were embedded, any other by code generated here.
    const compiled = config.templates.compiled(name);
    assert.ok(compiled, `template ${name} is compiled`);
    const outcome = (render: () => string) => {
      try {
        return { text: render() };
      } catch (err) {
        return { error: errorMessage(err) };
      }
    };
    const interpreted = outcome(() => config.engine.renderSync(tpl, data));
    const fast = outcome(() => compiled(data));
    assert.deepEqual(fast, interpreted, `${what} (${namespace}), template ${name}`);
    if ('text' in interpreted) {
      assert.deepEqual(
        renderCaptured(() => compiled(data)),
        renderCaptured(() => config.engine.renderSync(tpl, data)),
        `${what}, template ${name}, captured`,
      );
      assert.ok(compiled.traced, `template ${name} gives a trace`);
      let trace = '';
      const captured = renderCaptured(() => {
        const out = compiled.traced?.(data) ?? { text: '', trace: '' };
        trace = out.trace;
        return out.text;
      });
      // What the skeleton cache relies on: one trace (of one template) names one captured text.
      let texts = textOfTrace.get(tpl);
      if (!texts) textOfTrace.set(tpl, (texts = new Map()));
      const seen = texts.get(trace);
      if (seen === undefined) texts.set(trace, captured.text);
      else {
        traceRepeats++;
        assert.equal(captured.text, seen, `${what}, template ${name}: the same trace, another text`);
      }
    }
  }
}

describe('compiled templates render what liquidjs renders', () => {
  it("the default profile's templates come with the code generated when they were embedded", () => {
    const engine = createEngine();
    const { templates } = profileBundle(DEFAULT_PROFILE);
    assert.ok(Object.keys(templates).length >= 4);
    for (const [name, text] of Object.entries(templates)) {
      const generated = shippedTemplate(name, text);
      assert.ok(generated, `${name} has generated code`);
      assert.deepEqual(generated, generateLiquid(engine, engine.parse(text, name)), name);
      assert.equal(shippedTemplate(name, `${text} `), undefined, `${name} edited is not shipped`);
    }
    for (const name of PROFILE_NAMES.filter((p) => p !== DEFAULT_PROFILE))
      for (const [t, text] of Object.entries(profileBundle(name).templates))
        if (templates[t] !== text)
          assert.equal(shippedTemplate(t, text), null, `${name} ${t}: shipped, compiled when first rendered`);
  });

  it('every template of the embedded config, over every conformance pod and setting', () => {
    let pods = 0;
    for (const c of CONFORMANCE_CASES) {
      const config = configFor(c);
      for (const doc of readDocs(c.input)) {
        for (const pod of podsOf(doc)) {
          assertSameRenders(config, pod as Pod, 'default', c.golden);
          pods++;
        }
      }
    }
    assert.ok(pods > 20, `${pods} pods`);
  });

  it('every template of the embedded config, over 400 generated pods and with CNI and classic sidecars', () => {
    const configs = [
      compileBundle(DEFAULT_BUNDLE, 'default'),
      compileBundle(
        {
          ...layerBundles(DEFAULT_BUNDLE, {
            values: { pilot: { cni: { enabled: true, provider: 'multus' } }, global: { network: 'n1' } },
          }),
          nativeSidecars: false,
        },
        'cni',
      ),
    ];
    fc.assert(
      fc.property(podArbitrary, fc.constantFrom(0, 1), (g, i) => {
        assertSameRenders(configs[i] as InjectorConfig, g.pod as Pod, g.namespace, 'generated pod');
      }),
      { seed: SEED, numRuns: 400 },
    );
    assert.ok(traceRepeats > 400, `${traceRepeats} renders met a trace seen before`);
  });

  const CORNERS = `
{%- assign n = data.n -%}{%- assign list = data.list -%}{%- assign s = data.s -%}
a{% if n == nil %}1{% elsif n == blank %}2{% elsif n == empty %}3{% else %}4{% endif %}
b{% if s != blank and s != "x" or n > 1 %}1{% endif %}{% if not s %}2{% endif %}{% unless n %}3{% elsif s %}4{% else %}5{% endunless %}
c{% if list contains "a" %}1{% endif %}{% if s contains "a" %}2{% endif %}{% if list == data.list2 %}3{% endif %}
d{{ list.size }}|{{ list.first }}|{{ list.last }}|{{ s.size }}|{{ data.size }}|{{ data.missing.deep }}|{{ list[1] }}|{{ list[-1] }}
e{% for x in list %}[{{ x }}{% assign last = x %}]{% else %}none{% endfor %}{{ last }}
f{% for pair in data.map %}{{ pair[0] }}={{ pair[1] }};{% endfor %}{% for c in s %}<{{ c }}>{% endfor %}
g{{ s | default: "dflt" | append: "!" | prepend: n }}{{ data.num | plus: 1 }}{{ list | join: "," }}{{ s | split: "a" | size }}
h{% if n >= 2 %}1{% endif %}{% if n <= 2 %}2{% endif %}{% if n < data.num %}3{% endif %}{% if true and false %}4{% endif %}
i{{ "lit".size }}{{ data["s"] }}{% assign k = "s" %}{{ data[k] }}{{ nil }}{{ empty }}{{ blank }}{{ true }}{{ 1.5 }}
`;

  it("Liquid's corners (nil/blank/empty, operators, size/first/last, loops over lists, maps and strings, filters)", () => {
    const engine = createEngine();
    const tpl = engine.parse(CORNERS);
    const compiled = compileLiquid(engine, tpl);
    assert.ok(compiled);
    const scalar = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom('', ' ', 'a', 'x', 'ab', 'ba', '2'),
    );
    const value = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'size'), scalar),
    );
    fc.assert(
      fc.property(
        fc.record(
          { n: value, s: value, list: value, list2: value, num: scalar, map: value, size: scalar },
          { requiredKeys: [] },
        ),
        (data) => {
          const render = (fn: () => string) => {
            try {
              return { text: fn() };
            } catch (err) {
              return { error: errorMessage(err) };
            }
          };
          const interpreted = render(() => engine.renderSync(tpl, { data }));
          if ('error' in interpreted) return;
          assert.deepEqual(
            render(() => compiled({ data })),
            interpreted,
            JSON.stringify(data),
          );
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("reads: every path liquidjs's analysis finds, for every template of every profile", () => {
    const engine = createEngine();
    const cut = (path: readonly unknown[]) => {
      const computed = path.findIndex((s) => typeof s === 'object');
      return JSON.stringify(computed < 0 ? path : path.slice(0, computed));
    };
    const sources = [CORNERS, ...PROFILE_NAMES.flatMap((p) => Object.values(profileBundle(p).templates))];
    let paths = 0;
    for (const source of sources) {
      const tpl = engine.parse(source);
      const ours = new Set(compileLiquid(engine, tpl)?.reads.map(cut));
      // liquidjs's analysis takes the `size` of `"lit".size` for a variable; it is not a read of one.
      const theirs = engine
        .globalVariableSegmentsSync(tpl)
        .map(cut)
        .filter((p) => p !== '["size"]');
      for (const path of theirs) assert.ok(ours.has(path), `${path} in ${[...ours].join(' ')}`);
      // Ours lists locals too (assigned, looped); what roots at a global is what liquidjs lists.
      const globals = new Set(theirs.map((p) => JSON.parse(p)[0]));
      const theirSet = new Set(theirs);
      for (const path of ours) if (globals.has(JSON.parse(path)[0])) assert.ok(theirSet.has(path), path);
      paths += theirs.length;
    }
    assert.ok(paths > 200, `${paths} paths`);
  });

  it('traces: distinct for distinct paths; none for a template with an unescaped output', () => {
    const engine = createEngine();
    const trace = (source: string, data: object) =>
      compileLiquid(engine, engine.parse(source))?.traced?.(data);
    const loops = '{% for x in a %}{% if x %}1{% endif %}{% endfor %}{% for y in b %}2{% endfor %}';
    const seen = new Map<string, string>();
    for (const [a, b] of [
      [[], [1]],
      [[1], []],
      [[1, 1], []],
      [[0, 1], []],
      [[1, 0], []],
      [[1], [1]],
    ]) {
      const out = trace(loops, { a, b });
      assert.ok(out);
      const other = seen.get(out.trace);
      assert.ok(other === undefined || other === out.text, `${out.trace}: ${other} and ${out.text}`);
      seen.set(out.trace, out.text);
    }
    assert.equal(seen.size, 6);
    assert.equal(compileLiquid(engine, engine.parse('{{ a | raw }}'))?.traced, undefined);
    assert.ok(compileLiquid(engine, engine.parse('{{ a }}'))?.traced);
  });

  it('text, names and literals that would break or escape generated code render as liquidjs renders them', () => {
    const engine = createEngine();
    const nasty = '"\' ` ${1+1} \\ */ /* \u2028 \u2029 \n </script> \\u0041';
    const source = [
      nasty,
      `{% assign x = "${nasty.replaceAll('"', '')}" %}{{ x }}`,
      `{{ data['a"b'] }}{{ data["k\\y"] }}{{ data["__proto__"] }}{{ constructor }}{{ toString }}`,
      `{% for c in data.list %}{{ c }}{% if c == "');process.exit(1);('" %}!{% endif %}{% endfor %}`,
      // What a prototype holds is not the data's: a JSON object's own __proto__ is.
      '{{ data.constructor }}|{{ data.toString }}|{{ data.__proto__ }}|{{ data.list.map }}|{{ data.list.length }}',
      '{{ own.__proto__.x }}|{{ own.valueOf }}|{{ date.getTime }}|{% for c in data.list %}{{ c.length }}{% endfor %}',
      '{{ drop.anything }}|{{ liquidable.a }}',
    ].join('\n');
    const tpl = engine.parse(source);
    const compiled = compileLiquid(engine, tpl);
    assert.ok(compiled);
    const data = {
      data: { list: ['a', "');process.exit(1);('"], 'a"b': 'q', 'k\\y': 1 },
      own: JSON.parse('{"__proto__": {"x": 1}, "valueOf": 2}'),
      date: new Date(0),
      drop: new (class extends Drop {
        override liquidMethodMissing(key: string) {
          return `missing ${key}`;
        }
      })(),
      liquidable: new (class {
        toLiquid() {
          return { a: 'by toLiquid' };
        }
      })(),
    };
    assert.equal(compiled(data), engine.renderSync(tpl, data));
    assert.ok(compiled(data).includes(nasty.slice(0, 10)));
  });

  it("an index too large for a number reads the key liquidjs reads; a template too deep to compile is the interpreter's", () => {
    const engine = createEngine();
    const huge = '9'.repeat(400);
    const tpl = engine.parse(`{{ a[${huge}] }}|{{ a[-${huge}] }}`);
    const data = { a: { Infinity: 'inf', '-Infinity': 'minf', null: 'NULL' } };
    assert.equal(compileLiquid(engine, tpl)?.(data), engine.renderSync(tpl, data));
    const deep = engine.parse(`${'{% if a %}'.repeat(1000)}x${'{% endif %}'.repeat(1000)}`);
    assert.doesNotThrow(() => compileLiquid(engine, deep));
  });

  it('a template with a tag the compiler does not cover is left to the interpreter', () => {
    const engine = createEngine();
    assert.equal(compileLiquid(engine, engine.parse('{% capture x %}a{% endcapture %}{{ x }}')), undefined);
    assert.equal(
      compileLiquid(engine, engine.parse('{% for x in l %}{{ forloop.index }}{% endfor %}')),
      undefined,
    );
    assert.equal(
      compileLiquid(engine, engine.parse('{% for x in l limit: 2 %}{{ x }}{% endfor %}')),
      undefined,
    );
    // A computed first name could be forloop, which compiled loops do not hold.
    const computed = '{% for x in l %}{% assign k = "forloop" %}{{ [k].index }}{% endfor %}';
    assert.equal(compileLiquid(engine, engine.parse(computed)), undefined);
    assert.ok(compileLiquid(engine, engine.parse('{% comment %}x{% endcomment %}{{ a }}')));
  });
});
