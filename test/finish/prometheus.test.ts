import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPrometheusMerge } from '../../lib/finish/prometheus.ts';
import { DEFAULT_PROFILE } from '../../lib/profile/registry.ts';
import { configOf, env, proxyOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('fixed differences from Istio', () => {
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
});

describe('applyPrometheusMerge', () => {
  const settings = { statusPort: 15020, meshMerge: true };
  const pod = (annotations: Record<string, string>) => ({
    metadata: { annotations },
    spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
  });

  it('leaves a pod whose port annotation already points at the agent, in any spelling (re-injection)', () => {
    for (const key of ['prometheus.io/port', 'prometheus-io/port', 'prometheus.io.port']) {
      const given = pod({ [key]: '15020', 'prometheus.io/path': '/stats/prometheus' });
      assert.equal(applyPrometheusMerge(given, settings), given, key);
    }
  });

  it('hands another port to the agent and points the annotations at it', () => {
    const out = applyPrometheusMerge(pod({ 'prometheus-io/port': '9090' }), settings);
    assert.deepEqual(out.metadata?.annotations, {
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/scrape': 'true',
    });
    const proxy = out.spec?.containers?.find((c) => c.name === 'istio-proxy') as { env?: unknown[] };
    assert.deepEqual(proxy.env, [
      { name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: '{"scrape":"","path":"","port":"9090"}' },
    ]);
  });
});
