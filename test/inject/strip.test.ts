import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InjectionStatus } from '../../lib/finish/status.ts';
import { stripPreviousInjection } from '../../lib/inject/strip.ts';
import type { Pod } from '../../lib/kube/types.ts';

const status: InjectionStatus = {
  initContainers: ['istio-init'],
  containers: ['istio-proxy'],
  volumes: ['istio-envoy'],
  imagePullSecrets: [],
};

const injected = (annotations: Record<string, string>): Pod => ({
  metadata: {
    name: 'p',
    labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' },
    annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}', ...annotations },
  },
  spec: {
    initContainers: [{ name: 'istio-init' }, { name: 'migrate' }],
    containers: [{ name: 'web' }, { name: 'istio-proxy' }],
    volumes: [{ name: 'istio-envoy' }, { name: 'data' }],
  },
});

describe('stripPreviousInjection', () => {
  it('removes the recorded containers and init containers and the status annotation', () => {
    const out = stripPreviousInjection(injected({ keep: 'me' }), status, '15020');
    assert.deepEqual(out, {
      metadata: {
        name: 'p',
        labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' },
        annotations: { keep: 'me' },
      },
      spec: {
        initContainers: [{ name: 'migrate' }],
        containers: [{ name: 'web' }],
        // Volumes stay: the templates render them again and the merge takes them by name.
        volumes: [{ name: 'istio-envoy' }, { name: 'data' }],
      },
    });
  });

  it('removes the prometheus.io annotations that point at the agent', () => {
    const out = stripPreviousInjection(
      injected({
        'prometheus.io/port': '15020',
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/scrape': 'true',
      }),
      status,
      '15020',
    );
    assert.deepEqual(out.metadata?.annotations, {});
  });

  it('reads and removes them in every spelling Prometheus reads, as Istio’s stripPod', () => {
    const out = stripPreviousInjection(
      injected({
        'prometheus-io/port': '15020',
        'prometheus.io.path': '/stats/prometheus',
        'prometheus.io/scrape': 'true',
        'prometheus.istio.io/merge-metrics': 'true',
      }),
      status,
      '15020',
    );
    assert.deepEqual(out.metadata?.annotations, { 'prometheus.istio.io/merge-metrics': 'true' });
  });

  it("keeps prometheus.io annotations that point elsewhere (the user's own)", () => {
    const own = {
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
      'prometheus.io/scrape': 'true',
    };
    assert.deepEqual(stripPreviousInjection(injected(own), status, '15020').metadata?.annotations, own);
    // The port compared is the mesh status port given, not 15020 always.
    const agent = { 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus' };
    assert.deepEqual(stripPreviousInjection(injected(agent), status, '16000').metadata?.annotations, agent);
  });

  it('removes a recorded name only from its own list, and every container of that name', () => {
    const pod: Pod = {
      spec: {
        initContainers: [{ name: 'istio-proxy', image: 'native' }],
        containers: [{ name: 'istio-proxy' }, { name: 'app' }, { name: 'istio-proxy', image: 'again' }],
      },
    };
    const out = stripPreviousInjection(pod, { ...status, initContainers: [] }, '15020');
    assert.deepEqual(out.spec, {
      initContainers: [{ name: 'istio-proxy', image: 'native' }],
      containers: [{ name: 'app' }],
    });
  });

  it('leaves absent lists absent and does not modify the pod it is given', () => {
    const pod: Pod = {
      metadata: { annotations: { 'sidecar.istio.io/status': '{}', 'prometheus.io/port': '15020' } },
      spec: { containers: [{ name: 'istio-proxy' }] },
    };
    const before = structuredClone(pod);
    const out = stripPreviousInjection(pod, status, '15020');
    assert.deepEqual(out, { metadata: { annotations: {} }, spec: { containers: [] } });
    assert.deepEqual(pod, before);
  });
});
