// Regression cases for what the parity run (npm run parity: Istio's own injector on generated
// workloads) found Outrigger doing differently, each as Istio does it at the release named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { bundleFromParts } from '../../lib/cli/config-flags.ts';
import { kubeInject } from '../../lib/cli/kube-inject.ts';
import { compileBundle } from '../../lib/config/compile.ts';
import type { JsonObject } from '../../lib/json.ts';

type Container = { name: string; image?: string; env?: { name: string; value?: string }[] };

function inject(profile: string, pod: JsonObject, values: JsonObject = {}, nativeSidecars = true) {
  const config = compileBundle(
    bundleFromParts({ layers: [{ values }], profile, set: [], source: 'test' }),
    'test',
  );
  const result = kubeInject(yaml.dump(pod), config, { revision: '', nativeSidecars });
  return yaml.loadAll(result.output)[0] as { spec: { initContainers: Container[]; containers: Container[] } };
}

const pod = (annotations: Record<string, string> = {}, spec: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', annotations },
  spec: { containers: [{ name: 'app', image: 'app' }], ...spec },
});

const named = <T extends { name: string }>(list: T[], name: string) => list.find((c) => c.name === name) as T;

describe('parity regressions (found by the oracle)', () => {
  it('1.30: istio-init takes .ProxyImage, <hub>/<values image>:<tag>, even for a full image reference', () => {
    const out = inject('istio-1.30', pod(), {
      global: { hub: 'gcr.io/acme', tag: 'custom', proxy: { image: 'docker.io/acme/proxy:1.0' } },
    });
    assert.equal(
      named(out.spec.initContainers, 'istio-init').image,
      'gcr.io/acme/docker.io/acme/proxy:1.0:custom',
    );
    assert.equal(named(out.spec.initContainers, 'istio-proxy').image, 'docker.io/acme/proxy:1.0');
  });

  it('master: the init image takes the sidecar.istio.io/proxyImageType annotation', () => {
    const out = inject('istio-master', pod({ 'sidecar.istio.io/proxyImageType': 'debug' }), {
      global: { hub: 'gcr.io/acme', tag: '1.0' },
    });
    assert.equal(named(out.spec.initContainers, 'istio-init').image, 'gcr.io/acme/proxyv2:1.0-debug');
  });

  it('a gRPC probe is rewritten with service: null when it names none, as Go marshals GRPCAction', () => {
    const out = inject(
      'istio-1.30',
      pod({}, { containers: [{ name: 'app', image: 'app', readinessProbe: { grpc: { port: 9090 } } }] }),
    );
    const probers = named(
      named(out.spec.initContainers, 'istio-proxy').env ?? [],
      'ISTIO_KUBE_APP_PROBERS',
    ) as {
      value: string;
    };
    assert.equal(probers.value, '{"/app-health/app/readyz":{"grpc":{"port":9090,"service":null}}}');
  });

  it('an empty JSON list in sidecar.istio.io/userVolumeMount adds nothing, as Istio’s template ranges over it', () => {
    const out = inject(
      'istio-1.30',
      pod({ 'sidecar.istio.io/userVolumeMount': '[]', 'sidecar.istio.io/userVolume': '[]' }),
    );
    assert.ok(named(out.spec.initContainers, 'istio-proxy'));
  });

  it('kube-inject fails on a bad ProxyConfig annotation of a pod it would skip, but not of a host-network pod', () => {
    const bad = { 'proxy.istio.io/config': 'a: b: c: [', 'sidecar.istio.io/inject': 'false' };
    assert.throws(() => inject('istio-1.30', pod(bad)), /Pod "default\/p": not YAML/);
    const hostNetwork = inject('istio-1.30', pod(bad, { hostNetwork: true }));
    assert.equal(hostNetwork.spec.initContainers, undefined);
  });

  it('sidecar.istio.io/nativeSidecar: any value but "false" makes a native sidecar, as the template reads it', () => {
    const out = inject('istio-1.30', pod({ 'sidecar.istio.io/nativeSidecar': 'maybe' }), {}, false);
    assert.ok(named(out.spec.initContainers, 'istio-proxy'), 'native');
    const unset = inject('istio-1.30', pod({ 'sidecar.istio.io/nativeSidecar': '' }), {}, false);
    assert.ok(named(unset.spec.containers, 'istio-proxy'), 'empty: the setting decides');
  });

  it('a probe on the mesh status port is not handed to the agent, whatever the pod’s status port', () => {
    const out = inject(
      'istio-1.30',
      pod(
        { 'status.sidecar.istio.io/port': '0' },
        {
          containers: [
            {
              name: 'app',
              image: 'app',
              startupProbe: { tcpSocket: { port: 15020 } },
              livenessProbe: { tcpSocket: { port: 8080 } },
            },
          ],
        },
      ),
    );
    const probers = named(named(out.spec.initContainers, 'istio-proxy').env ?? [], 'ISTIO_KUBE_APP_PROBERS');
    assert.equal(probers.value, '{"/app-health/app/livez":{"tcpSocket":{"port":8080}}}');
  });

  it('1.30 passes a prometheus.io/port that is no port number to the agent; master refuses it', () => {
    const annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': 'x' };
    const out = inject('istio-1.30', pod(annotations));
    const env = named(
      named(out.spec.initContainers, 'istio-proxy').env ?? [],
      'ISTIO_PROMETHEUS_ANNOTATIONS',
    );
    assert.equal(env.value, '{"scrape":"true","path":"","port":"x"}');
    assert.throws(() => inject('istio-master', pod(annotations)), /invalid prometheus scrape configuration/);
  });
});
