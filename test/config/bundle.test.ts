import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { layerBundles, validateBundle } from '../../lib/config/bundle.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { defaultBundleJson } from '../../lib/config/embed.ts';
import { parseBundleDocument } from '../../lib/config/parse.ts';
import { readBundleDirectory } from '../../lib/config/read-directory.ts';
import { loadLocalConfig } from '../../lib/config/static-config.ts';
import { createEngine } from '../../lib/template/engine.ts';

describe('config bundle', () => {
  it('the embedded default is infra/istio/ as it is now (run `npm run embed` after editing it)', () => {
    assert.equal(
      readFileSync(new URL('../../infra/default.bundle.json', import.meta.url), 'utf8'),
      defaultBundleJson(),
    );
  });

  it('rejects bad fields with the source and the path', () => {
    const cases: [unknown, string][] = [
      [{ policy: 3 }, 'policy: must be a string (enabled or disabled)'],
      [{ templats: {} }, 'templats: unknown field; expected one of policy, defaultTemplates, templates'],
      [{ templates: { sidecar: 1 } }, 'templates: sidecar must be a Liquid template source'],
      [{ aliases: { both: ['a', 2] } }, 'aliases: both: [1] must be a string'],
      [
        { neverInjectSelector: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }] },
        'neverInjectSelector: [0]: matchExpressions[0].values must be non-empty for In',
      ],
      [{ values: [] }, 'values: must be a map'],
      [{ nativeSidecars: 'yes' }, 'nativeSidecars: must be true or false'],
      [[1], '(root): must be a map of bundle fields'],
    ];
    for (const [raw, message] of cases) {
      assert.throws(
        () => validateBundle(raw, 'test.yaml'),
        (err: Error) => {
          assert.ok(err.message.startsWith(`invalid config bundle test.yaml: ${message}`), err.message);
          return true;
        },
      );
    }
  });

  it('reports YAML syntax errors with the source', () => {
    assert.throws(
      () => parseBundleDocument('policy: [', 'bundle.yaml'),
      /^InjectionError: invalid config bundle bundle.yaml: not YAML or JSON: /,
    );
  });

  it('a template that does not parse fails at load, naming it', () => {
    const bundle = layerBundles(DEFAULT_BUNDLE, { templates: { broken: '{% if x %}never closed' } });
    assert.throws(() => compileBundle(bundle, 'b'), /template "broken" does not parse/);
    const unknownFilter = layerBundles(DEFAULT_BUNDLE, { templates: { f: '{{ x | no_such_filter }}' } });
    assert.throws(() => compileBundle(unknownFilter, 'b'), /template "f" does not parse: .*no_such_filter/);
  });

  it('rejects defaults and aliases naming templates the bundle lacks', () => {
    assert.throws(
      () => compileBundle(layerBundles(DEFAULT_BUNDLE, { defaultTemplates: ['nope'] }), 'b.yaml'),
      /invalid config bundle b.yaml: defaultTemplates: names template "nope", which the bundle does not define/,
    );
    assert.throws(
      () => compileBundle(layerBundles(DEFAULT_BUNDLE, { aliases: { both: ['sidecar', 'init'] } }), 'b.yaml'),
      /aliases.both: names template "init"/,
    );
  });

  it('layers: maps merge, lists and scalars replace', () => {
    const out = layerBundles(DEFAULT_BUNDLE, {
      policy: 'disabled',
      values: { global: { proxy: { image: 'custom' } } },
      templates: { extra: 'metadata: {}' },
      defaultTemplates: ['extra'],
    });
    assert.equal(out.policy, 'disabled');
    assert.deepEqual(out.defaultTemplates, ['extra']);
    assert.ok(out.templates.sidecar && out.templates.extra);
    const proxy = (out.values.global as { proxy: Record<string, unknown> }).proxy;
    assert.equal(proxy.image, 'custom');
    assert.equal(proxy.statusPort, 15020, 'untouched values stay');
  });

  it('reads a directory bundle and layers it over the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-bundle-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'config.yaml'), 'policy: disabled\naliases: {both: [sidecar, extra]}\n');
    writeFileSync(
      join(dir, 'templates', 'extra.liquid'),
      'metadata:\n  labels:\n    extra: {{ workload.name }}\n',
    );
    writeFileSync(join(dir, 'values.yaml'), 'global:\n  hub: example.com/mesh\n');
    writeFileSync(join(dir, 'mesh.yaml'), 'trustDomain: example.org\n');
    const partial = readBundleDirectory(dir);
    assert.equal(partial.policy, 'disabled');
    assert.deepEqual(Object.keys(partial.templates ?? {}), ['extra']);
    const config = loadLocalConfig([dir]);
    assert.equal((config.bundle.values.global as { hub: string }).hub, 'example.com/mesh');
    assert.equal(config.bundle.mesh.trustDomain, 'example.org');
    assert.ok(config.templates.has('sidecar') && config.templates.has('extra'));
    assert.match(config.version, /^[0-9a-f]{12}$/);
    assert.notEqual(config.version, loadLocalConfig([]).version);
  });

  it('reports a bad values.yaml with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-bundle-'));
    writeFileSync(join(dir, 'values.yaml'), '- a list\n');
    assert.throws(
      () => readBundleDirectory(dir),
      new RegExp(`invalid config bundle ${join(dir, 'values.yaml')}: values: must be a map`),
    );
  });
});

describe('templates parsed when they load, or when first rendered', () => {
  const counting = () => {
    const engine = createEngine();
    const parse = engine.parse.bind(engine);
    const counter = { parses: 0 };
    engine.parse = (...args: Parameters<typeof parse>) => {
      counter.parses++;
      return parse(...args);
    };
    return { engine, counter };
  };

  it('a template an embedded profile ships is parsed when first asked for', () => {
    const { engine, counter } = counting();
    const config = compileBundle(DEFAULT_BUNDLE, 'default', engine);
    assert.equal(counter.parses, 0);
    assert.ok(config.templates.get('sidecar'));
    assert.equal(counter.parses, 1);
    assert.deepEqual(config.templates.keys(), Object.keys(DEFAULT_BUNDLE.templates));
  });

  it('any other text is parsed at load, and one that does not parse refuses the bundle there', () => {
    const { engine, counter } = counting();
    compileBundle(layerBundles(DEFAULT_BUNDLE, { templates: { extra: 'a: {{ pod.x }}' } }), 'extra', engine);
    assert.equal(counter.parses, 1);
    assert.throws(
      () => compileBundle(layerBundles(DEFAULT_BUNDLE, { templates: { bad: 'a: {{ pod.x' } }), 'bad', engine),
      /template "bad" does not parse/,
    );
    // A shipped template's text changed is a text of the user's: parsed at load.
    const changed = `${DEFAULT_BUNDLE.templates.sidecar}\n{% if %}`;
    assert.throws(
      () =>
        compileBundle(layerBundles(DEFAULT_BUNDLE, { templates: { sidecar: changed } }), 'changed', engine),
      /template "sidecar" does not parse/,
    );
  });
});

describe('hardening against hostile input', () => {
  it('a bundle that is not YAML is reported by line and column, never by quoting its content', () => {
    assert.throws(
      () =>
        parseBundleDocument(
          'policy: enabled\nvalues:\n  secretToken: "hunter2\n',
          'secretsmanager://outrigger',
        ),
      (err: Error) => {
        assert.match(
          err.message,
          /^invalid config bundle secretsmanager:\/\/outrigger: not YAML or JSON: .+\(line \d+, column \d+\)$/,
        );
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  });
});
