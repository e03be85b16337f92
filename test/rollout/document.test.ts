import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRolloutArgs } from '../../lib/cli/rollout.ts';
import { parseBundleDocument, parseConfigDocument } from '../../lib/config/parse.ts';
import { parseSourceUri } from '../../lib/config/source-uri.ts';
import { versionIdOf, versionRef } from '../../lib/rollout/content.ts';
import {
  compilePlan,
  globMatch,
  matcher,
  servedVersions,
  validateRollout,
} from '../../lib/rollout/document.ts';

const A = 's3://b/bundle.aaaaaaaaaaaaaaaa.yaml';
const B = 's3://b/bundle.bbbbbbbbbbbbbbbb.yaml';
const C = 'gs://b/bundle.cccccccccccccccc.yaml#17';

describe('rollout documents', () => {
  it('resolve a cluster: a pin first, then a started wave, then the default', () => {
    const plan = compilePlan(
      validateRollout(
        {
          kind: 'Rollout',
          default: A,
          version: B,
          waves: [{ clusters: ['c1', 'dev-*'] }, { clusters: ['stag?ng-*'] }, { clusters: ['*'] }],
          started: 1,
          pinned: [{ clusters: ['dev-legacy'], version: C }],
        },
        'doc',
      ),
    );
    const got = (c: string) => plan.resolve(c);
    assert.deepEqual(got('c1'), { version: B, rule: { kind: 'wave', index: 0 } });
    assert.deepEqual(got('dev-7'), { version: B, rule: { kind: 'wave', index: 0 } });
    assert.deepEqual(got('dev-legacy'), { version: C, rule: { kind: 'pinned', index: 0 } });
    assert.deepEqual(got('staging-1'), { version: A, rule: { kind: 'default' } }, 'wave 2 is not started');
    assert.deepEqual(got('c10'), { version: A, rule: { kind: 'default' } }, 'ids are exact');
    assert.deepEqual(servedVersions(plan.doc), [A, B, C]);
  });

  it('globs: * any run, ? one character, everything else literal', () => {
    const m = matcher(['a.b-*', 'x?z', 'lit(1)']);
    assert.ok(m('a.b-') && m('a.b-anything'));
    assert.ok(!m('aXb-1'), '. is literal');
    assert.ok(m('xyz') && !m('xz') && !m('xyyz'));
    assert.ok(m('lit(1)') && !m('lit1'));
    assert.ok(matcher(['*'])(''));
  });

  it('is recognised by kind: Rollout, and every problem names the field', () => {
    assert.equal(
      (parseConfigDocument(`kind: Rollout\ndefault: ${A}\n`, 'd') as { kind: string }).kind,
      'Rollout',
    );
    const bad: [string, RegExp][] = [
      ['kind: Rollout\n', /invalid rollout document d: default: must be a bundle version URI/],
      [
        `kind: Rollout\ndefault: ${A}\nstarted: 1\n`,
        /started: must be a whole number from 0 to the number of waves \(0\)/,
      ],
      [
        `kind: Rollout\ndefault: ${A}\nwaves: [{clusters: [c1]}]\nstarted: 1\n`,
        /version: is required while a wave is started/,
      ],
      [
        `kind: Rollout\ndefault: ${A}\nwaves: [{clusters: []}]\n`,
        /waves\[0\]\.clusters: must be a list of cluster ids or globs/,
      ],
      [
        `kind: Rollout\ndefault: ${A}\nwaves: [{clusters: ['a/b']}]\n`,
        /waves\[0\]\.clusters\[0\]: must be a cluster id or glob/,
      ],
      [`kind: Rollout\ndefault: 'foo://x'\n`, /default: config source foo:\/\/x: unsupported scheme/],
      [`kind: Rollout\ndefault: ${A}\nwave: []\n`, /wave: unknown field; expected one of kind, default/],
      [`kind: Rollout\ndefault: ${A}\nwaves: [{clusters: [*]}]\n`, /not YAML or JSON/],
    ];
    for (const [text, problem] of bad) assert.throws(() => parseConfigDocument(text, 'd'), problem, text);
    // Where a bundle must be, a rollout document is named as one.
    assert.throws(
      () => parseBundleDocument(`kind: Rollout\ndefault: ${A}\n`, 'd'),
      /config source d is a rollout document \(kind: Rollout\), not a bundle/,
    );
    assert.deepEqual(parseBundleDocument('policy: disabled\n', 'd'), { policy: 'disabled' });
  });
});

describe('bundle version names', () => {
  it('name each version by the hash of its content, next to the --to name', () => {
    const text = 'values: {}\n';
    const id = versionIdOf(text);
    const at = (uri: string, ext = 'yaml') => versionRef(parseSourceUri(uri), text, ext).uri;
    assert.equal(at('s3://b/outrigger/bundle.yaml'), `s3://b/outrigger/bundle.${id}.yaml`);
    assert.equal(at('s3://b/outrigger/', 'json'), `s3://b/outrigger/bundle.${id}.json`);
    assert.equal(at('gs://b/x/config'), `gs://b/x/config.${id}`);
    assert.equal(at('/etc/o/b.yaml'), `/etc/o/b.${id}.yaml`);
    assert.match(at('secretsmanager://o/bundles'), /^secretsmanager:\/\/o\/bundles\?versionId=[0-9a-f]{32}$/);
    assert.throws(() => at('secretsmanager://o/bundles?versionStage=X'), /name the secret alone/);
  });

  it('parse back: a GCS generation, a Secrets Manager VersionId', () => {
    assert.deepEqual(parseSourceUri('gs://b/o.yaml#123'), {
      scheme: 'gs',
      uri: 'gs://b/o.yaml#123',
      bucket: 'b',
      object: 'o.yaml',
      generation: '123',
    });
    assert.equal(
      (parseSourceUri('secretsmanager://s?versionId=abc') as { versionId: string }).versionId,
      'abc',
    );
    assert.throws(
      () => parseSourceUri('secretsmanager://s?versionId=a&versionStage=b'),
      /give one parameter/,
    );
  });
});

describe('rollout command line', () => {
  it('takes every argument after --waves up to the next flag, one wave each, comma lists inside', () => {
    assert.deepEqual(
      parseRolloutArgs(['start', '--to', 's3://b/r.yaml', '--version', A, '--waves', 'dev-*', 'c1,c2', '*']),
      {
        command: 'start',
        to: 's3://b/r.yaml',
        version: A,
        waves: [['dev-*'], ['c1', 'c2'], ['*']],
      },
    );
    assert.deepEqual(parseRolloutArgs(['status', '--to=x', '--cluster', 'a', 'b,c']).clusters, [
      'a',
      'b',
      'c',
    ]);
    assert.throws(() => parseRolloutArgs(['go', '--to', 'x']), /want one of init, start, next, undo, status/);
    assert.throws(() => parseRolloutArgs(['next']), /--to URI .* is required/);
    assert.throws(
      () => parseRolloutArgs(['next', '--to', 'x', '--waves', 'a']),
      /--waves goes with rollout start/,
    );
    assert.throws(() => parseRolloutArgs(['next', '--to', 'x', '--force']), /unknown flag "--force"/);
  });
});

describe('rollout globs (globMatch)', () => {
  it('matches as a glob: * any run, ? one character, the rest literal, the whole id', () => {
    const cases: [string, string, boolean][] = [
      ['dev-*', 'dev-eu-1', true],
      ['dev-*', 'prod-dev-1', false],
      ['*-eu-?', 'prod-eu-2', true],
      ['*-eu-?', 'prod-eu-22', false],
      ['a.b*', 'axb1', false],
      ['a.b*', 'a.b1', true],
      ['**', '', true],
      ['?', '', false],
      ['*x*', 'abxcd', true],
    ];
    for (const [glob, id, want] of cases) assert.equal(globMatch(glob, id), want, `${glob} ~ ${id}`);
  });

  it('agrees with an anchored regular expression on generated globs and ids', () => {
    const chars = fc.constantFrom('a', 'b', '-', '.', '*', '?');
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '-', '.'), maxLength: 12 }),
        (glob, id) => {
          const body = [...glob]
            .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch === '.' ? '\\.' : ch))
            .join('');
          assert.equal(globMatch(glob, id), new RegExp(`^${body}$`, 's').test(id));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a cluster’s answer is kept with its document, and stays right past the cache’s bound', () => {
    const plan = compilePlan(
      validateRollout(
        { kind: 'Rollout', default: A, version: B, waves: [{ clusters: ['dev-*'] }], started: 1 },
        'doc',
      ),
    );
    assert.equal(plan.resolve('dev-1'), plan.resolve('dev-1'), 'the same answer, not resolved again');
    for (let i = 0; i < 20_000; i++) plan.resolve(`prod-${i}-${'x'.repeat(40)}`);
    assert.deepEqual(plan.resolve('dev-1'), { version: B, rule: { kind: 'wave', index: 0 } });
    assert.deepEqual(plan.resolve('prod-1'), { version: A, rule: { kind: 'default' } });
  });

  it(
    'a glob made to backtrack answers at once (a regular expression took over 30 s)',
    { timeout: 5000 },
    () => {
      const id = 'a'.repeat(120);
      assert.equal(globMatch('*a*a*a*a*a*a*b', id), false);
      assert.equal(matcher(['*a*a*a*a*a*a*b'])(id), false);
      assert.equal(globMatch('*a*a*a*a*a*a*', id), true);
    },
  );
});

describe('rollout documents: where a version may be', () => {
  const doc = (version: string) => ({ kind: 'Rollout', default: A, pinned: [{ clusters: ['c1'], version }] });
  const problem = (version: string, source: string) => {
    try {
      validateRollout(doc(version), source);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('a local file in the document’s own folder, or below it', () => {
    assert.equal(problem('/etc/outrigger/bundle.abc.yaml', '/etc/outrigger/rollout.yaml'), undefined);
    assert.equal(
      problem('file:///etc/outrigger/v/bundle.abc.yaml', 'file:///etc/outrigger/rollout.yaml'),
      undefined,
    );
  });

  it('any other local file is refused naming the field: /proc/self/environ, a path up and out, the folder itself', () => {
    for (const version of ['/proc/self/environ', '/etc/outrigger/../shadow', '/etc/outrigger']) {
      assert.match(
        problem(version, '/etc/outrigger/rollout.yaml') ?? '',
        /^invalid rollout document \/etc\/outrigger\/rollout\.yaml: pinned\[0\]\.version: .* is outside the rollout document's folder \/etc\/outrigger; a local version must be in it$/,
        version,
      );
    }
  });

  it('as the files really are: a ConfigMap’s ..data folder is inside, a link inside that points out is not', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-rollout-where-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, '..data', 'bundle.abc.yaml'), 'values: {}\n');
    symlinkSync('/proc/self/environ', join(dir, 'bundle.def.yaml'));
    const source = join(dir, 'rollout.yaml');
    assert.equal(problem(join(dir, '..data', 'bundle.abc.yaml'), source), undefined);
    assert.match(
      problem(join(dir, 'bundle.def.yaml'), source) ?? '',
      /is outside the rollout document's folder/,
    );
  });

  it('a document in a store names no local file', () => {
    assert.match(
      problem('/tmp/bundle.abc.yaml', 's3://b/rollout.yaml') ?? '',
      /pinned\[0\]\.version: a local file; a rollout document in a store names versions in a store/,
    );
    assert.equal(problem(B, 's3://b/rollout.yaml'), undefined);
  });
});
