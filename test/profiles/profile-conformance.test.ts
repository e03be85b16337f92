import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../../lib/admission/handle-review.ts';
import { bundleFromParts } from '../../lib/cli/config-flags.ts';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import { layerBundles } from '../../lib/config/bundle.ts';
import { compileBundle, type InjectorConfig } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { deepMerge, isObject, type Json, type JsonObject } from '../../lib/json.ts';
import { profileBundle } from '../../lib/profile/registry.ts';
import {
  caseLayer,
  withClassicProxyFolded,
  normalise,
  podsOf,
  RELEASES,
  type Release,
  type ReleaseCase,
  releaseCases,
  releaseDefaults,
  releaseDocs,
  releaseFile,
  releaseTestImages,
} from '../../harness/support/conformance.ts';
import { review } from '../../harness/support/reviews.ts';

/**
 * Every golden case of every release (test/conformance/istio-versions/<release>/), through both paths:
 * kube-inject as the CLI builds its config (the release's profile by `--profile`, `--values`/`--mesh`
 * as the case's settings over that release's defaults), and the webhook (the profile named in a
 * bundle, the case's settings layered over it, the JSON patch applied to the pod). Parsed documents are
 * compared, with the normalisation of harness/support/conformance.ts.
 */

interface Tally {
  /** Comparisons made (a case is compared on each of its paths). */
  run: number;
  equal: number;
  different: string[];
  /** Per case: whether every path was equal. */
  cases: Map<string, boolean>;
}
const tally = new Map<string, Tally>();
const count = (release: Release) => {
  let t = tally.get(release.profile);
  if (!t) tally.set(release.profile, (t = { run: 0, equal: 0, different: [], cases: new Map() }));
  return t;
};

/**
 * Cases that knowingly differ from Istio, each with the reason (docs/configuration.md, "Knowingly
 * different from Istio") and the adjustment that makes the two equal: a case listed here must differ
 * before it and be equal after it, so the difference is exactly the documented one (and a fix shows up).
 */
interface Difference {
  reason: string;
  /** The case names it applies to (every release), and the path. */
  cases: string[];
  path: 'kube-inject' | 'webhook' | 'both';
  adjust: (doc: Json) => Json;
}

const KNOWINGLY_DIFFERENT: Difference[] = [
  {
    reason:
      "Go writes a workload's zero-valued fields that are not omitempty (status: {replicas: 0}, a DeploymentConfig's test: false) and drops the manifest's minReadySeconds: 0 and paused: false; kube-inject keeps the manifest's own fields",
    cases: [
      'daemonset.yaml.injected',
      'deploymentconfig-multi.yaml.injected',
      'replicaset.yaml.injected',
      'replicaset-old-version.yaml.injected',
      'replicationcontroller.yaml.injected',
      'statefulset.yaml.injected',
      'statefulset-old-version.yaml.injected',
    ],
    path: 'kube-inject',
    adjust: withoutGoZeroes,
  },
  {
    reason:
      'the spire template patches containers[istio-proxy]; Istio adds it as a second, image-less istio-proxy container beside the native sidecar (a pod the API server refuses), Outrigger merges it into the native sidecar',
    cases: ['sidecar-spire.yaml.injected'],
    path: 'both',
    adjust: withClassicProxyFolded,
  },
];

function knownDifference(c: ReleaseCase, path: 'kube-inject' | 'webhook'): Difference | undefined {
  return KNOWINGLY_DIFFERENT.find((d) => d.cases.includes(c.name) && (d.path === 'both' || d.path === path));
}

/** Drops `status` maps of zeroes and spec `minReadySeconds: 0`, `paused: false`, `test: false` from workloads (and List items). */
function withoutGoZeroes(doc: Json): Json {
  if (Array.isArray(doc)) return doc.map(withoutGoZeroes);
  if (!isObject(doc)) return doc;
  const out: JsonObject = { ...doc };
  if (isObject(out.status) && Object.values(out.status).every((v) => v === 0)) delete out.status;
  if (isObject(out.spec)) {
    const spec: JsonObject = { ...out.spec };
    if (spec.minReadySeconds === 0) delete spec.minReadySeconds;
    if (spec.paused === false) delete spec.paused;
    if (spec.test === false) delete spec.test;
    out.spec = spec;
  }
  if (Array.isArray(out.items)) out.items = out.items.map(withoutGoZeroes);
  return out;
}

function kubeInjectConfig(release: Release, c: ReleaseCase): InjectorConfig {
  const defaults = releaseDefaults(release);
  const bundle = bundleFromParts({
    layers: [caseLayer(c)],
    profile: release.profile,
    values: deepMerge(defaults.values, (c.values ?? {}) as Json),
    mesh: deepMerge(defaults.mesh, (c.mesh ?? {}) as Json),
    set: [],
    source: c.name,
  });
  return compileBundle(bundle, c.name);
}

function webhookConfig(release: Release, c: ReleaseCase): InjectorConfig {
  const bundle = layerBundles(
    DEFAULT_BUNDLE,
    { profile: release.profile },
    releaseTestImages(release),
    { ...(c.values ? { values: c.values } : {}), ...(c.mesh ? { mesh: c.mesh } : {}) },
    caseLayer(c),
    c.nativeSidecars === null ? {} : { nativeSidecars: c.nativeSidecars },
  );
  return compileBundle(bundle, c.name);
}

async function webhookPods(config: InjectorConfig, pods: JsonObject[]) {
  const out: { allowed: boolean; message?: string; pod: JsonObject }[] = [];
  for (const pod of pods) {
    const { review: answer } = await handleReview(review(pod), '/inject', {
      revision: 'default',
      config: async () => config,
    });
    const response = answer.response as { allowed: boolean; patch?: string; status?: { message: string } };
    const got = structuredClone(pod);
    if (response.patch) {
      const errors = applyPatch(got, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
      assert.deepEqual(errors.filter(Boolean), []);
    }
    out.push({ allowed: response.allowed, message: response.status?.message, pod: got });
  }
  return out;
}

function firstDifference(got: Json | undefined, want: Json | undefined, path = ''): string | undefined {
  if (JSON.stringify(got) === JSON.stringify(want)) return undefined;
  if (got && want && typeof got === 'object' && typeof want === 'object') {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
    for (const k of keys) {
      const d = firstDifference(
        (got as Record<string, Json>)[k],
        (want as Record<string, Json>)[k],
        `${path}/${k}`,
      );
      if (d) return d;
    }
  }
  return `${path}: got ${JSON.stringify(got)?.slice(0, 300)}, want ${JSON.stringify(want)?.slice(0, 300)}`;
}

/** Runs one comparison; a knowingly different case must differ, every other must be equal. */
function check(release: Release, c: ReleaseCase, what: 'kube-inject' | 'webhook', got: Json, want: Json) {
  const key = `${release.dir}/${c.name}`;
  const diff = firstDifference(got, want);
  const known = knownDifference(c, what);
  const t = count(release);
  t.run++;
  if (known) {
    assert.ok(diff, `${key} (${what}) is listed as knowingly different but now equals Istio's`);
    const after = firstDifference(known.adjust(got), known.adjust(want));
    assert.equal(after, undefined, `${key} ${what} differs beyond the documented difference: ${after}`);
    t.different.push(`${c.name} (${what}): ${known.reason}`);
    t.cases.set(c.name, false);
    return;
  }
  assert.equal(diff, undefined, `${key} ${what}: ${diff}`);
  t.equal++;
  if (!t.cases.has(c.name)) t.cases.set(c.name, true);
}

for (const release of RELEASES.filter((r) => !process.env.RELEASE || r.dir === process.env.RELEASE)) {
  describe(`Istio ${release.dir} golden cases, profile ${release.profile}`, () => {
    it("the profile's values and mesh config are the release's defaults, with the release's own images", () => {
      const profile = profileBundle(release.profile);
      const defaults = releaseDefaults(release);
      const withTestImages = layerBundles(profile, releaseTestImages(release));
      assert.deepEqual(normalise(withTestImages.values), normalise(defaults.values));
      assert.deepEqual(normalise(profile.mesh), normalise(defaults.mesh));
      const global = profile.values.global as { hub: string; tag: string };
      if (release.profile !== 'istio-master') {
        assert.equal(global.hub, 'docker.io/istio');
        assert.match(global.tag, /^1\.\d+\.\d+$/);
      }
    });

    for (const c of releaseCases(release)) {
      it(`kube-inject ${c.name}`, () => {
        const config = kubeInjectConfig(release, c);
        const text = releaseFile(release, `cases/${c.input}`);
        const run = () =>
          kubeInject(text, config, { revision: '', nativeSidecars: c.nativeSidecars ?? undefined });
        if (c.expectError) {
          assert.throws(run, (err: Error) => err.message.toLowerCase().includes(c.expectError as string));
          check(release, c, 'kube-inject', 'error', 'error');
          return;
        }
        const result = run();
        if (c.expectLog) {
          assert.ok(
            result.warnings.some((w) => w.includes(c.expectLog as string)),
            `warnings ${JSON.stringify(result.warnings)} should include ${c.expectLog}`,
          );
        }
        const got = (yaml.loadAll(result.output).filter(Boolean) as JsonObject[]).map((d) => normalise(d));
        const want = releaseDocs(release, c.golden as string).map((d) => normalise(d));
        check(release, c, 'kube-inject', got as Json, want as Json);
      });

      if (c.skipWebhook) continue;
      it(`webhook ${c.name}`, async () => {
        const config = webhookConfig(release, c);
        const inputs = releaseDocs(release, c.input).flatMap(podsOf);
        const results = await webhookPods(config, inputs);
        if (c.expectError) {
          for (const r of results) {
            assert.equal(r.allowed, false);
            assert.ok(r.message?.toLowerCase().includes(c.expectError), r.message);
          }
          check(release, c, 'webhook', 'error', 'error');
          return;
        }
        for (const r of results) assert.equal(r.allowed, true, r.message);
        const wants = releaseDocs(release, c.golden as string).flatMap(podsOf);
        check(
          release,
          c,
          'webhook',
          results.map((r) => normalise(r.pod)) as Json,
          wants.map((w) => normalise(w)) as Json,
        );
      });
    }
  });
}

after(() => {
  for (const [profile, t] of tally) {
    const equal = [...t.cases.values()].filter(Boolean).length;
    process.stdout.write(
      `# ${profile}: ${t.cases.size} cases run, ${equal} equal, ${t.cases.size - equal} knowingly different` +
        ` (${t.run} comparisons through kube-inject and the webhook: ${t.equal} equal, ${t.different.length} knowingly different)\n`,
    );
    for (const d of t.different) process.stdout.write(`#   ${d}\n`);
  }
});
