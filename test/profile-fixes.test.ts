import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { applyPatch } from 'rfc6902';
import { handleReview } from '../lib/admission/handle-review.ts';
import { applySetFlag, bundleFromParts } from '../lib/cli/config-flags.ts';
import { kubeInject } from '../lib/cli/kube-inject.ts';
import { layerBundles, type PartialBundle, validateBundle } from '../lib/config/bundle.ts';
import { clusterConfigs } from '../lib/config/cluster-configs.ts';
import { compileBundle, type InjectorConfig } from '../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../lib/config/default.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, profileBundle } from '../lib/profile/registry.ts';
import { appendMultusNetwork } from '../lib/template/filters.ts';
import { deploymentPod, review } from './support/reviews.ts';

/** A complete config for `profile` with `layers` over it. */
function configOf(profile: string, ...layers: PartialBundle[]): InjectorConfig {
  return compileBundle(layerBundles(DEFAULT_BUNDLE, { profile }, ...layers), profile);
}

interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  securityContext?: Record<string, unknown>;
}
interface PodOut {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[] };
}

/** The pod as the webhook's patch makes it. */
async function webhook(config: InjectorConfig, pod: object, path = '/inject'): Promise<PodOut> {
  const { review: out } = await handleReview(review(pod), path, { revision: '', config: async () => config });
  const response = out.response as { allowed: boolean; patch?: string; status?: { message: string } };
  assert.equal(response.allowed, true, response.status?.message);
  const got = structuredClone(pod) as PodOut;
  applyPatch(got, JSON.parse(Buffer.from(response.patch ?? 'W10=', 'base64').toString('utf8')));
  return got;
}

function proxyOf(pod: PodOut): Container {
  const proxy = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find(
    (c) => c.name === 'istio-proxy',
  );
  assert.ok(proxy, 'istio-proxy injected');
  return proxy;
}

const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe('profiles', () => {
  it('are the four releases, istio-1.30 by default', () => {
    assert.deepEqual(PROFILE_NAMES, ['istio-1.28', 'istio-1.29', 'istio-1.30', 'istio-master']);
    assert.equal(DEFAULT_PROFILE, 'istio-1.30');
    assert.equal(DEFAULT_BUNDLE.profile, 'istio-1.30');
    for (const name of PROFILE_NAMES) assert.equal(profileBundle(name).profile, name);
  });

  it('an unknown profile is refused naming the known ones, at the top level and in an overlay', () => {
    const known = 'known profiles: istio-1.28, istio-1.29, istio-1.30, istio-master';
    assert.throws(() => validateBundle({ profile: 'istio-1.27' }, 'b.yaml'), {
      message: `invalid config bundle b.yaml: profile: unknown profile "istio-1.27"; ${known}`,
    });
    assert.throws(() => validateBundle({ clusters: { east: { profile: 1.28 } } }, 'b.yaml'), {
      message: `invalid config bundle b.yaml: clusters.east.profile: unknown profile 1.28; ${known}`,
    });
    assert.throws(
      () => validateBundle({ revisions: { '1-29': { profile: 'x' } } }, 'b.yaml'),
      /revisions\.1-29\.profile: unknown profile "x"/,
    );
  });

  it("a layer's profile puts every layer over that release, whatever order they came in", () => {
    const tag = { values: { global: { tag: '9.9.9' } } };
    const a = layerBundles(DEFAULT_BUNDLE, tag, { profile: 'istio-1.28' });
    const b = layerBundles(layerBundles(DEFAULT_BUNDLE, tag), { profile: 'istio-1.28' });
    for (const bundle of [a, b]) {
      assert.equal(bundle.profile, 'istio-1.28');
      assert.equal((bundle.values.global as { tag: string }).tag, '9.9.9');
      assert.equal((bundle.values.global as { hub: string }).hub, 'docker.io/istio');
      assert.equal(bundle.templates.sidecar, profileBundle('istio-1.28').templates.sidecar);
    }
    assert.equal(DEFAULT_BUNDLE.profile, 'istio-1.30', 'the embedded profiles are never written to');
  });

  it('per cluster: clusters.<id>.profile serves that cluster its release with the shared settings', async () => {
    const bundle = layerBundles(
      DEFAULT_BUNDLE,
      validateBundle(
        { values: { global: { hub: 'shared.example/istio' } }, clusters: { old: { profile: 'istio-1.28' } } },
        'b',
      ),
    );
    const lookup = clusterConfigs(bundle, 'b');
    const old = proxyOf(await webhook(lookup('old'), deploymentPod()));
    const now = proxyOf(await webhook(lookup('new'), deploymentPod()));
    // The shared hub, each release's own tag.
    assert.equal(old.image, 'shared.example/istio/proxyv2:1.28.10');
    assert.equal(now.image, 'shared.example/istio/proxyv2:1.30.3');
    // 1.28 names no divisor (Go writes "0"); 1.30 has GOMAXPROCS with divisor "1".
    const cpu = (c: Container) =>
      (c.env as { name: string; valueFrom?: { resourceFieldRef?: { divisor?: string } } }[]).find(
        (e) => e.name === 'ISTIO_CPU_LIMIT',
      )?.valueFrom?.resourceFieldRef?.divisor;
    assert.equal(cpu(old), '0');
    assert.equal(cpu(now), '1');
    assert.equal(lookup('old').bundle.profile, 'istio-1.28');
    assert.equal(lookup('old').bundle.clusters, undefined);
  });

  it('releases differ where their templates do: the init image and the canonical name', async () => {
    const pod = deploymentPod('web', { labels: { app: 'web-' } });
    const values = { global: { proxy_init: { image: 'proxyInitTest' } } };
    const init = (p: PodOut) => (p.spec.initContainers ?? []).find((c) => c.name === 'istio-init');
    const master = await webhook(configOf('istio-master', { values }), pod);
    const r130 = await webhook(configOf('istio-1.30', { values }), pod);
    assert.equal(init(master)?.image, 'registry.istio.io/testing/proxyInitTest:latest');
    assert.equal(init(r130)?.image, 'docker.io/istio/proxyv2:1.30.3', '1.30 runs the proxy image');
    const messy = deploymentPod('web', { labels: { app: 'web_-' } });
    assert.equal(
      (await webhook(configOf('istio-master'), messy)).metadata.labels?.['service.istio.io/canonical-name'],
      'web',
    );
    assert.equal(
      (await webhook(configOf('istio-1.30'), messy)).metadata.labels?.['service.istio.io/canonical-name'],
      'web_',
    );
  });
});

describe('fixed differences from Istio', () => {
  it('Multus JSON networks: {"name": "istio-cni", "namespace": "default"} appended, and found when present', async () => {
    const net = 'default/istio-cni';
    assert.equal(
      appendMultusNetwork('[{"name": "alt"}]', net),
      '[{"name": "alt"}, {"name": "istio-cni", "namespace": "default"}]',
    );
    for (const present of [
      '[{"name": "istio-cni", "namespace": "default"}]',
      '[{"name":"alt"},{"namespace":"default","name":"istio-cni"}]',
      '[{"name": "default/istio-cni"}]',
    ])
      assert.equal(appendMultusNetwork(present, net), present);
    assert.equal(
      appendMultusNetwork('[{"name": "istio-cni", "namespace": "other"}]', net),
      '[{"name": "istio-cni", "namespace": "other"}, {"name": "istio-cni", "namespace": "default"}]',
    );
    assert.equal(appendMultusNetwork('alt, default/istio-cni', net), 'alt, default/istio-cni');
    assert.equal(appendMultusNetwork('alt', net), 'alt, default/istio-cni');
    assert.equal(appendMultusNetwork('[not json]', net), '[not json]');

    const multus = { values: { pilot: { cni: { enabled: true, provider: 'multus' } } } };
    const pod = deploymentPod('web', {
      annotations: { 'k8s.v1.cni.cncf.io/networks': '[{"name": "istio-cni", "namespace": "default"}]' },
    });
    for (const profile of PROFILE_NAMES) {
      const out = await webhook(configOf(profile, multus), pod);
      assert.equal(
        out.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'],
        '[{"name": "istio-cni", "namespace": "default"}]',
        profile,
      );
    }
  });

  it("TPROXY with the user's runAsUser on istio-proxy: istio-init's -u follows it, the proxy runs as root", async () => {
    const pod = deploymentPod('web', { annotations: { 'sidecar.istio.io/interceptionMode': 'TPROXY' } }) as {
      spec: { containers: object[] };
    };
    pod.spec.containers.push({ name: 'istio-proxy', image: 'auto', securityContext: { runAsUser: 1234 } });
    for (const profile of PROFILE_NAMES) {
      const out = await webhook(configOf(profile), pod);
      const init = out.spec.initContainers?.find((c) => c.name === 'istio-init');
      const args = init?.args ?? [];
      assert.equal(args[args.indexOf('-u') + 1], '1234', profile);
      assert.equal(args[args.indexOf('-m') + 1], 'TPROXY');
      assert.equal(proxyOf(out).securityContext?.runAsUser, 0);
    }
  });

  it('kube-inject of a bare Pod owned by a custom controller takes the workload from the owner', () => {
    const owner = 'helloworld-helloworld-helloworld-helloworld-helloworld-hellowo-ld';
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  generateName: helloworld-
  name: helloworld-helloworld
  ownerReferences:
  - {apiVersion: foo/v1, controller: true, kind: Bar, name: ${owner}, uid: u}
spec:
  containers: [{name: hello, image: hello}]
`;
    for (const [profile, canonical] of [
      ['istio-master', owner.slice(0, 63).replace(/[-_.]+$/, '')],
      ['istio-1.30', owner.slice(0, 63).replace(/-$/, '')],
    ] as const) {
      const [pod] = yaml.loadAll(
        kubeInject(manifest, configOf(profile), { revision: '' }).output,
      ) as PodOut[];
      assert.ok(pod);
      assert.equal(owner.length, 65);
      assert.equal(pod.metadata.labels?.['service.istio.io/canonical-name'], canonical, profile);
      const proxy = proxyOf(pod);
      assert.equal(env(proxy, 'ISTIO_META_WORKLOAD_NAME'), owner);
      assert.equal(
        env(proxy, 'ISTIO_META_OWNER'),
        `kubernetes://apis/foo/v1/namespaces/default/bars/${owner}`,
      );
    }
  });

  it('prometheus.io annotations in any spelling Prometheus reads: the first of each field, any scrape "false" turns merging off', async () => {
    const spelled = await webhook(
      configOf(DEFAULT_PROFILE),
      deploymentPod('web', {
        annotations: {
          'prometheus.io.port': '9090',
          'prometheus-io/port': '9091',
          'prometheus.io/path': '/m',
          'prometheus.istio.io/keep': 'x',
          other: 'y',
        },
      }),
    );
    assert.deepEqual(JSON.parse(env(proxyOf(spelled), 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? ''), {
      scrape: '',
      path: '/m',
      port: '9090',
    });
    const annotations = spelled.metadata.annotations ?? {};
    assert.deepEqual(
      Object.keys(annotations)
        .filter((k) => k.startsWith('prometheus') || k === 'other')
        .sort(),
      [
        'other',
        'prometheus.io/path',
        'prometheus.io/port',
        'prometheus.io/scrape',
        'prometheus.istio.io/keep',
      ],
    );
    assert.equal(annotations['prometheus.io/path'], '/stats/prometheus');
    const off = await webhook(
      configOf(DEFAULT_PROFILE),
      deploymentPod('web', {
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus-io/scrape': 'false' },
      }),
    );
    assert.equal(env(proxyOf(off), 'ISTIO_PROMETHEUS_ANNOTATIONS'), undefined);
    assert.equal(off.metadata.annotations?.['prometheus.io/port'], undefined);
  });

  it('prometheus.istio.io/scrape-targets: removed, the first target gives port and path (master); left alone by 1.30', async () => {
    const pod = deploymentPod('web', {
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.istio.io/scrape-targets': '8080:/metrics,9100:/custom',
      },
    });
    const master = await webhook(configOf('istio-master'), pod);
    assert.equal(master.metadata.annotations?.['prometheus.istio.io/scrape-targets'], undefined);
    assert.deepEqual(JSON.parse(env(proxyOf(master), 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? ''), {
      scrape: 'true',
      path: '/metrics',
      port: '8080',
      targets: [
        { port: '8080', path: '/metrics' },
        { port: '9100', path: '/custom' },
      ],
    });
    const explicit = await webhook(
      configOf('istio-master'),
      deploymentPod('web', {
        annotations: { 'prometheus.io/port': '9000', 'prometheus.istio.io/scrape-targets': '8080' },
      }),
    );
    const merged = JSON.parse(env(proxyOf(explicit), 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? '');
    assert.deepEqual([merged.port, merged.path], ['9000', '/metrics']);

    const r130 = await webhook(configOf('istio-1.30'), pod);
    assert.equal(
      r130.metadata.annotations?.['prometheus.istio.io/scrape-targets'],
      '8080:/metrics,9100:/custom',
    );
    assert.deepEqual(JSON.parse(env(proxyOf(r130), 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? ''), {
      scrape: 'true',
      path: '',
      port: '',
    });
  });

  it('OTEL_RESOURCE_ATTRIBUTES from an OpenTelemetry provider with OTEL_SEMANTIC_CONVENTIONS (1.30 on)', async () => {
    const mesh = {
      extensionProviders: [
        {
          name: 'otel',
          opentelemetry: {
            service: 'c.o.svc',
            port: 4317,
            serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS',
          },
        },
      ],
    };
    const pod = {
      ...deploymentPod('web', { labels: { 'app.kubernetes.io/version': 'v2' } }),
      metadata: {
        ...deploymentPod('web', { labels: { 'app.kubernetes.io/version': 'v2' } }).metadata,
        namespace: 'shop',
      },
    };
    for (const profile of ['istio-1.30', 'istio-master']) {
      const out = proxyOf(await webhook(configOf(profile, { mesh }), pod));
      assert.equal(
        env(out, 'OTEL_RESOURCE_ATTRIBUTES'),
        'service.namespace=shop,service.version=v2,service.instance.id=shop.$(POD_NAME).web',
        profile,
      );
    }
    const annotated = deploymentPod('web', {
      annotations: {
        'resource.opentelemetry.io/service.namespace': 'store',
        'resource.opentelemetry.io/service.instance.id': 'one',
      },
    });
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30', { mesh }), annotated)), 'OTEL_RESOURCE_ATTRIBUTES'),
      'service.namespace=store,service.instance.id=one',
    );
    for (const profile of ['istio-1.28', 'istio-1.29']) {
      assert.equal(
        env(proxyOf(await webhook(configOf(profile, { mesh }), pod)), 'OTEL_RESOURCE_ATTRIBUTES'),
        undefined,
      );
    }
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30'), pod)), 'OTEL_RESOURCE_ATTRIBUTES'),
      undefined,
    );
  });

  it('FIPS: compliancePolicy gives COMPLIANCE_POLICY (and GODEBUG=fips140=only on master), per cluster too', async () => {
    const fips = { compliancePolicy: 'fips-140-3' };
    const master = proxyOf(await webhook(configOf('istio-master', fips), deploymentPod()));
    assert.equal(env(master, 'COMPLIANCE_POLICY'), 'fips-140-3');
    assert.equal(env(master, 'GODEBUG'), 'fips140=only');
    for (const profile of ['istio-1.28', 'istio-1.29', 'istio-1.30']) {
      const p = proxyOf(await webhook(configOf(profile, fips), deploymentPod()));
      assert.equal(env(p, 'COMPLIANCE_POLICY'), 'fips-140-3', profile);
      assert.equal(env(p, 'GODEBUG'), undefined, profile);
    }
    const gateway = deploymentPod('gw', { annotations: { 'inject.istio.io/templates': 'gateway' } });
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-master', fips), gateway)), 'GODEBUG'),
      'fips140=only',
    );
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30'), deploymentPod())), 'COMPLIANCE_POLICY'),
      undefined,
    );

    const lookup = clusterConfigs(
      layerBundles(DEFAULT_BUNDLE, validateBundle({ clusters: { gov: fips } }, 'b')),
      'b',
    );
    assert.equal(
      env(proxyOf(await webhook(lookup('gov'), deploymentPod())), 'COMPLIANCE_POLICY'),
      'fips-140-3',
    );
    assert.equal(
      env(proxyOf(await webhook(lookup('other'), deploymentPod())), 'COMPLIANCE_POLICY'),
      undefined,
    );
    assert.throws(
      () => validateBundle({ compliancePolicy: true }, 'b'),
      /compliancePolicy: must be a string/,
    );
  });

  it('a mesh tracing.zipkin.address is in PROXY_CONFIG, in every release', async () => {
    const mesh = { defaultConfig: { tracing: { zipkin: { address: 'zipkin.istio-system:9411' } } } };
    for (const profile of PROFILE_NAMES) {
      const proxy = proxyOf(await webhook(configOf(profile, { mesh }), deploymentPod()));
      assert.equal(
        env(proxy, 'PROXY_CONFIG'),
        '{"tracing":{"zipkin":{"address":"zipkin.istio-system:9411"}}}\n',
        profile,
      );
    }
  });

  it("--set takes istioctl's values. prefix and meshConfig., and refuses a path nothing reads", () => {
    const base = bundleFromParts({ layers: [], set: [], source: 't' });
    const helm = applySetFlag(base, 'global.proxy.image=X');
    const istioctl = applySetFlag(base, 'values.global.proxy.image=X');
    assert.deepEqual(istioctl.values, helm.values);
    assert.equal((helm.values.global as { proxy: { image: string } }).proxy.image, 'X');
    assert.equal(applySetFlag(base, 'meshConfig.trustDomain=example.org').mesh.trustDomain, 'example.org');
    // Read by a template though not in the chart's values.
    assert.deepEqual(
      (applySetFlag(base, 'values.global.proxy.lifecycle.preStop.exec.command=[a]').values.global as any)
        .proxy.lifecycle,
      { preStop: { exec: { command: ['a'] } } },
    );
    assert.throws(
      () => applySetFlag(base, 'values.global.proxy.imagee=X'),
      /--set values\.global\.proxy\.imagee: global\.proxy\.imagee is not in the istio-1\.30 values and no template reads it/,
    );
    assert.throws(
      () => applySetFlag(base, 'values.values.global.proxy.image=X'),
      /values\.global\.proxy\.image is not in/,
    );
    assert.throws(() => applySetFlag(base, 'components.cni.enabled=true'), /IstioOperator install setting/);
    assert.throws(() => applySetFlag(base, 'profile=istio-1.28'), /use --profile/);
    const old = bundleFromParts({
      layers: [],
      profile: 'istio-1.28',
      set: ['values.global.tag=1.28.0'],
      source: 't',
    });
    assert.equal(old.profile, 'istio-1.28');
    assert.equal((old.values.global as { tag: string }).tag, '1.28.0');
  });
});
