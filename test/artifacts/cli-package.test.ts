// The `outrigger` command as users install it: `npm pack`, then `npm install -g` of the tarball into an
// empty prefix, offline, and the installed command run with nothing on PATH but Node.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';
import { isolatedDir, removeDir, runToEnd, toolEnv } from '../../harness/deploy/isolated.ts';

let packed: string;
let prefix: string;
let files: string[];
let bin: string;

before(async () => {
  await ensureBuilt();
  packed = isolatedDir('pack');
  prefix = isolatedDir('global');
  // dist/ is built above; the package's prepack builds it for a real `npm pack` or `npm publish`.
  const { stdout } = await runToEnd(
    'npm pack',
    ROOT,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', packed],
    toolEnv(),
    { command: 'npm', timeoutMs: 60_000 },
  );
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  files = (info?.files ?? []).map((f) => f.path);
  await runToEnd(
    'npm install -g',
    packed,
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--offline',
      '--no-audit',
      '--no-fund',
      join(packed, info?.filename ?? ''),
    ],
    toolEnv(),
    { command: 'npm', timeoutMs: 60_000 },
  );
  bin = join(prefix, 'bin', 'outrigger');
});
after(() => {
  removeDir(packed);
  removeDir(prefix);
});

/** The installed command, with Node's own folder the only PATH entry. */
const outrigger = (args: string[]) =>
  runToEnd('outrigger', packed, [bin, ...args], {
    PATH: dirname(process.execPath),
    NODE_DISABLE_COMPILE_CACHE: '1',
  });

describe('the packed CLI, installed with npm install -g', () => {
  it('the package holds dist/, LICENSE, CHANGELOG.md, README.md and package.json, and no sources', () => {
    assert.ok(files.includes('dist/cli.js'), files.join(', '));
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json']) assert.ok(files.includes(f), f);
    assert.deepEqual(
      files.filter(
        (f) =>
          !f.startsWith('dist/') && !['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json'].includes(f),
      ),
      [],
    );
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  });

  it('installs alone: no dependency is fetched or installed beside it', () => {
    const installed = join(prefix, 'lib', 'node_modules');
    assert.deepEqual(readdirSync(installed), ['outrigger']);
    assert.equal(existsSync(join(installed, 'outrigger', 'node_modules')), false);
  });

  it('`outrigger version` prints the package’s version and the profiles it carries', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const { stdout } = await outrigger(['version']);
    assert.equal(
      stdout,
      `outrigger ${version}\nprofiles: istio-1.28, istio-1.29, istio-1.30 (default), istio-master\n`,
    );
  });

  it('`outrigger kube-inject` injects the example deployment', async () => {
    const { stdout } = await outrigger(['kube-inject', '-f', join(ROOT, 'examples', 'deployment.yaml')]);
    assert.match(stdout, /name: istio-proxy/);
  });
});
