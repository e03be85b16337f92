import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { importIstio, writeBundleDirectory } from '../../lib/cli/import.ts';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import { layerBundles } from '../../lib/config/bundle.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { readBundleDirectory } from '../../lib/config/read-directory.ts';
import type { JsonObject } from '../../lib/json.ts';
import { stockTemplates } from '../../lib/profile/registry.ts';
import { chartTemplateFiles, templateHash } from '../../lib/profile/stock.ts';
import {
  injectorConfigMap,
  meshConfigMap,
  normalise,
  RELEASES,
  type Release,
  releaseCases,
  releaseDocs,
  releaseFile,
  releaseTestImages,
} from '../../harness/support/conformance.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'outrigger-import-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(TMP, `bundle-${dirs++}`);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The imported directory, read back as `outrigger bundle DIR` and the function read it. */
function load(files: Record<string, string>) {
  const dir = newDir();
  writeBundleDirectory(dir, files);
  return compileBundle(layerBundles(DEFAULT_BUNDLE, readBundleDirectory(dir)), dir);
}

/** kube-inject of a release's golden case through a config, against the golden (parsed, normalised). */
function assertGolden(release: Release, name: string, config: ReturnType<typeof load>) {
  const c = releaseCases(release).find((x) => x.name === name);
  assert.ok(c, name);
  const out = kubeInject(releaseFile(release, `cases/${c.input}`), config, { revision: '' }).output;
  assert.deepEqual(
    yaml
      .loadAll(out)
      .filter(Boolean)
      .map((d) => normalise(d as JsonObject)),
    releaseDocs(release, c.golden as string).map((d) => normalise(d)),
  );
}

const CUSTOM_GO = releaseCases(RELEASES[0]).find((c) => c.needsLiquidPort)?.goTemplates?.custom as string;
const CUSTOM_LIQUID = readFileSync(new URL('../fixtures/custom-template.liquid', import.meta.url), 'utf8');

describe('outrigger import', () => {
  it("each profile's stock-template hashes are its release's chart files", () => {
    for (const release of RELEASES) {
      const stored = stockTemplates().find((s) => s.profile === release.profile);
      const files = chartTemplateFiles(
        releaseFile(release, 'defaults/templates/istiod-injector-configmap.helm.yaml'),
      );
      assert.deepEqual(
        stored?.templates,
        Object.fromEntries(
          Object.entries(files).map(([n, f]) => [
            n,
            templateHash(releaseFile(release, `defaults/templates/${f}`)),
          ]),
        ),
        `${release.profile}: run npx tsx scripts/stock-templates.ts`,
      );
    }
  });

  for (const release of RELEASES) {
    it(`a stock Istio ${release.dir} ConfigMap imports as the ${release.profile} profile, its images as values`, () => {
      const result = importIstio({ injectorConfigMap: injectorConfigMap(release), allowCustom: false });
      assert.deepEqual(result.problems, []);
      assert.equal(result.profile, release.profile);
      assert.match(result.report.join('\n'), /the sidecar template is that release's stock one/);
      assert.match(
        result.report.join('\n'),
        /for Istio's gateway controller \(not pod injection\): not imported/,
      );
      const config = yaml.load(result.files['config.yaml'] as string) as JsonObject;
      assert.deepEqual(config, {
        profile: release.profile,
        policy: 'enabled',
        defaultTemplates: ['sidecar'],
        neverInjectSelector: [],
        alwaysInjectSelector: [],
      });
      // A release's profile ships its own images; this ConfigMap (as Istio's tests render it) names test
      // images, and that is all that differs. Master has no release images: its profile has the test ones.
      assert.deepEqual(
        yaml.load(result.files['values.yaml'] as string),
        release.profile === 'istio-master' ? {} : releaseTestImages(release).values,
      );
      assertGolden(release, 'hello.yaml.injected', load(result.files));
      assertGolden(release, 'gateway.yaml.injected', load(result.files));
    });
  }

  it('values and mesh config come as what differs from the profile; a revision is named', () => {
    const release = RELEASES[2];
    const result = importIstio({
      injectorConfigMap: injectorConfigMap(release, {
        values: { revision: '1-30', global: { hub: 'registry.example/istio', tag: '1.30.3' } },
      }),
      meshConfigMap: meshConfigMap(release, {
        trustDomain: 'example.org',
        defaultConfig: { holdApplicationUntilProxyStarts: true },
      }),
      allowCustom: false,
    });
    assert.deepEqual(result.problems, []);
    // The tag is the profile's own, so only the hub differs.
    assert.deepEqual(yaml.load(result.files['values.yaml'] as string), {
      global: { hub: 'registry.example/istio' },
      revision: '1-30',
    });
    assert.deepEqual(yaml.load(result.files['mesh.yaml'] as string), {
      defaultConfig: { holdApplicationUntilProxyStarts: true },
      trustDomain: 'example.org',
    });
    assert.match(
      result.files['config.yaml'] as string,
      /from ConfigMap istio-system\/istio-sidecar-injector-1-30 \(revision 1-30\)/,
    );
    assert.match(result.report.join('\n'), /revision 1-30: serve it as the bundle's revisions\.1-30/);
    const config = load(result.files);
    assert.equal((config.bundle.values.global as JsonObject).hub, 'registry.example/istio');
    assert.equal(config.bundle.mesh.trustDomain, 'example.org');
  });

  it('a template with Go actions that is not stock is named with what to do; nothing is imported without --allow-custom', () => {
    const release = RELEASES[2];
    const cm = injectorConfigMap(release, { templates: { custom: CUSTOM_GO } });
    const refused = importIstio({ injectorConfigMap: cm, allowCustom: false });
    assert.equal(refused.profile, 'istio-1.30');
    assert.deepEqual(refused.problems, [
      'template custom is not a stock Istio template (a custom one, or a stock one edited): port it to Liquid as templates/custom.liquid (docs/cli.md, "Porting Go templates to Liquid")',
    ]);
    const allowed = importIstio({ injectorConfigMap: cm, allowCustom: true });
    assert.equal(allowed.files['go-templates/custom.yaml'], CUSTOM_GO);
    assert.equal(allowed.files['templates/custom.liquid'], undefined);
    // Ported, the imported bundle reproduces the release's golden for that template.
    const config = load({ ...allowed.files, 'templates/custom.liquid': CUSTOM_LIQUID });
    assertGolden(release, 'custom-template.yaml.injected', config);
  });

  it('an edited stock template is not stock; the other templates still name the release', () => {
    const release = RELEASES[1];
    const cm = injectorConfigMap(release, {
      edit: (name, text) =>
        name === 'sidecar' ? text.replace('--proxyLogLevel', '--proxyLogLevel-x') : text,
    });
    const result = importIstio({ injectorConfigMap: cm, allowCustom: false });
    assert.equal(result.profile, 'istio-1.29');
    assert.match(result.report.join('\n'), /the newest release whose stock templates these are/);
    assert.deepEqual(result.problems, [
      'template sidecar is not a stock Istio template (a custom one, or a stock one edited): port it to Liquid as templates/sidecar.liquid (docs/cli.md, "Porting Go templates to Liquid")',
    ]);
    // With --allow-custom the rest is written, but the bundle does not load until the sidecar is
    // ported: it would otherwise serve the stock sidecar and drop the edit silently.
    const allowed = importIstio({ injectorConfigMap: cm, allowCustom: true });
    assert.throws(
      () => load(allowed.files),
      /go-templates: template sidecar is not ported yet: port go-templates\/sidecar\.yaml to Liquid as templates\/sidecar\.liquid/,
    );
    // A 1.28 sidecar in a 1.30 ConfigMap: stock, but of another release than the rest.
    const mixed = injectorConfigMap(RELEASES[2], {
      templates: { sidecar: releaseFile(RELEASES[0], 'defaults/templates/injection-template.yaml') },
    });
    const found = importIstio({ injectorConfigMap: mixed, allowCustom: false });
    assert.equal(found.profile, 'istio-1.28', 'the sidecar template names the release');
    assert.match(
      found.problems.join('\n'),
      /template gateway is the stock gateway template of Istio 1\.29\.6, 1\.30\.3, not of 1\.28\.10/,
    );
  });

  it('a template without Go actions is plain YAML and imported as it is', () => {
    const release = RELEASES[3];
    const spire = releaseCases(release).find((c) => c.name === 'sidecar-spire.yaml.injected')?.config
      ?.templates?.spire as string;
    const result = importIstio({
      injectorConfigMap: injectorConfigMap(release, { templates: { spire } }),
      allowCustom: false,
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.files['templates/spire.liquid'], spire);
    assert.equal(load(result.files).bundle.templates.spire, spire);
  });

  it('a template name that is not a plain file name is refused, naming it; nothing is written outside DIR', () => {
    const release = RELEASES[2];
    for (const name of ['../../escaped', 'a/b', 'a\\b', '..', 'a\0b', '']) {
      const cm = injectorConfigMap(release, { templates: { [name]: 'metadata: {labels: {escaped: "1"}}' } });
      assert.throws(
        () => importIstio({ injectorConfigMap: cm, allowCustom: true }),
        (err: Error) =>
          err.message.includes(`the template named ${JSON.stringify(name)}`) &&
          err.message.includes('a template name must be a plain file name'),
        JSON.stringify(name),
      );
    }
    // And the writer keeps every file inside DIR whatever it is given.
    const parent = newDir();
    const dir = join(parent, 'a', 'bundle');
    assert.throws(
      () =>
        writeBundleDirectory(dir, {
          'config.yaml': 'profile: istio-1.30\n',
          'templates/../../escaped.liquid': 'x: 1\n',
        }),
      /the file "templates\/\.\.\/\.\.\/escaped\.liquid" would be written outside .*; nothing was written/,
    );
    assert.throws(() => writeBundleDirectory(dir, { [join(parent, 'abs.yaml')]: 'x: 1\n' }), /outside/);
    assert.equal(existsSync(join(parent, 'a')), false, 'nothing written, not even DIR');
    assert.deepEqual(writeBundleDirectory(dir, { 'templates/ok.liquid': 'x: 1\n' }), ['templates/ok.liquid']);
  });

  it('the CLI writes the bundle directory, or refuses and writes nothing', () => {
    const release = RELEASES[2];
    const cmFile = join(TMP, 'cm.yaml');
    writeFileSync(cmFile, injectorConfigMap(release));
    const meshFile = join(TMP, 'mesh-cm.yaml');
    writeFileSync(meshFile, meshConfigMap(release, { trustDomain: 'example.org' }));
    const dir = newDir();
    const ok = cli(['import', '-f', cmFile, '--mesh', meshFile, '-o', dir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /wrote config\.yaml, mesh\.yaml, values\.yaml to /);
    const bundle = cli(['bundle', dir, '-o', 'json']);
    assert.equal(bundle.code, 0, bundle.stderr);
    assert.equal(JSON.parse(bundle.stdout).profile, 'istio-1.30');
    assert.equal(cli(['import', '-f', cmFile, '-o', dir]).code, 1, 'a non-empty directory is refused');

    const customFile = join(TMP, 'custom-cm.yaml');
    writeFileSync(customFile, injectorConfigMap(release, { templates: { custom: CUSTOM_GO } }));
    const refusedDir = newDir();
    const refused = cli(['import', '-f', customFile, '-o', refusedDir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: template custom is not a stock Istio template/);
    assert.match(refused.stderr, /nothing written to .*--allow-custom/);
    assert.equal(existsSync(refusedDir), false);
    const allowed = cli(['import', '-f', customFile, '-o', refusedDir, '--allow-custom']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(
      allowed.stderr,
      /^warning: template custom is not a stock Istio template.*go-templates\/custom\.yaml/,
    );
    assert.equal(readFileSync(join(refusedDir, 'go-templates/custom.yaml'), 'utf8'), CUSTOM_GO);
    assert.match(
      cli(['import', '-f', cmFile, '-o', newDir(), '--profile', 'istio-2']).stderr,
      /unknown profile "istio-2"/,
    );
  });
});
