import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleReview } from '../lib/admission/handle-review.ts';
import { authFromEnv } from '../lib/auth/from-env.ts';
import { parseClusterKeys } from '../lib/auth/keys.ts';
import { takePathKey } from '../lib/auth/path-key.ts';
import { applySet } from '../lib/cli/config-flags.ts';
import { compileBundle } from '../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../lib/config/default.ts';
import { parseBundleDocument } from '../lib/config/parse.ts';
import { createHandler } from '../lib/http/handle.ts';
import { strategicMerge } from '../lib/merge/strategic.ts';
import { deploymentPod, review } from './support/reviews.ts';

const config = compileBundle(DEFAULT_BUNDLE, 'default');

async function answer(pod: unknown) {
  const { review: out } = await handleReview(review(pod), '/inject', {
    revision: '',
    config: async () => config,
  });
  return out.response as { allowed: boolean; patch?: string; status?: { message: string } };
}

describe('hardening against hostile input', () => {
  it('a secret cannot hide in the :ENV: path form', async () => {
    assert.deepEqual(takePathKey('/inject/:ENV:cluster=c1/key/S3CRET'), {
      path: '/inject',
      key: undefined,
      mixed: true,
    });
    const handle = createHandler({ revision: '', config: async () => config });
    const res = await handle({
      method: 'POST',
      path: '/inject/:ENV:net=n1/KEY/S3CRET',
      headers: {},
      body: undefined,
    });
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.body, /S3CRET/);
  });

  it('a template named a thousand times is rendered once, with the same result as once', async () => {
    const many = await answer(
      deploymentPod('a', {
        annotations: { 'inject.istio.io/templates': Array(1000).fill('sidecar').join(',') },
      }),
    );
    const once = await answer(
      deploymentPod('a', { annotations: { 'inject.istio.io/templates': 'sidecar' } }),
    );
    assert.equal(many.allowed, true);
    const ops = (r: typeof many) =>
      JSON.parse(Buffer.from(r.patch ?? '', 'base64').toString()) as { path: string; value?: unknown }[];
    // Only the annotation that lists the names differs.
    assert.deepEqual(
      ops(many).map((o) => o.path),
      ops(once).map((o) => o.path),
    );
  });

  it('merges lists with thousands of keyed items (env) without losing or reordering any', () => {
    const env = Array.from({ length: 10_000 }, (_, i) => ({ name: `E${i}`, value: String(i) }));
    const merged = strategicMerge(
      { spec: { containers: [{ name: 'istio-proxy', env }] } },
      {
        spec: {
          containers: [{ name: 'istio-proxy', env: [{ name: 'E9999', value: 'x' }, { name: 'NEW' }] }],
        },
      },
    ) as { spec: { containers: { env: { name: string; value?: string }[] }[] } };
    const out = merged.spec.containers[0]?.env ?? [];
    assert.equal(out.length, 10_001);
    assert.deepEqual(out.slice(0, 2), [
      { name: 'E0', value: '0' },
      { name: 'E1', value: '1' },
    ]);
    assert.deepEqual(out.slice(-2), [{ name: 'E9999', value: 'x' }, { name: 'NEW' }]);
  });

  it('a pod cannot smuggle merge directives into the sidecar through userVolume/userVolumeMount', async () => {
    const res = await answer(
      deploymentPod('a', {
        annotations: {
          'sidecar.istio.io/userVolume': JSON.stringify({ extra: { emptyDir: {}, $patch: 'delete' } }),
          'sidecar.istio.io/userVolumeMount': JSON.stringify({
            extra: { mountPath: '/data/extra', $patch: 'delete' },
          }),
        },
      }),
    );
    assert.equal(res.allowed, true, res.status?.message);
    const text = Buffer.from(res.patch ?? '', 'base64').toString();
    assert.doesNotMatch(text, /\$patch|[[,]null[,\]]/);
    assert.match(text, /"name":"extra"/);
  });

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

  it('--set refuses prototype paths', () => {
    assert.throws(
      () => applySet({}, '__proto__.policy=disabled'),
      /--set __proto__.policy: not a values path/,
    );
    assert.equal(({} as Record<string, unknown>).policy, undefined);
  });

  it('auth settings errors never echo what was pasted, and an empty key map is refused', () => {
    for (const bad of ['not json S3CRET', '{"c1":"S3CRET"}']) {
      const r = parseClusterKeys(bad);
      assert.equal(r.ok, false);
      assert.doesNotMatch((r as { error: string }).error, /S3CRET/);
    }
    const empty = authFromEnv({ OUTRIGGER_AUTH_KEYS: '{}' });
    assert.equal(empty.ok, false);
    assert.match((empty as { error: string }).error, /names no cluster/);
  });
});
