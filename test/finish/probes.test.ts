import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ProbeSettings, REWRITE_ANNOTATION, rewriteProbes } from '../../lib/finish/probes.ts';
import type { Container, Pod } from '../../lib/kube/types.ts';

const settings: ProbeSettings = {
  rewriteByDefault: true,
  statusPort: 15020,
  meshStatusPort: 15020,
  previouslyInjected: false,
};

const proxy: Container = {
  name: 'istio-proxy',
  env: [{ name: 'ISTIO_META_X', value: 'x' }],
  readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15 },
};

function pod(containers: Container[], annotations?: Record<string, string>): Pod {
  return { metadata: { name: 'p', annotations }, spec: { containers: [...containers, proxy] } };
}

const container = (out: Pod, name: string) =>
  [...(out.spec?.initContainers ?? []), ...(out.spec?.containers ?? [])].find((c) => c.name === name);
const proxyEnv = (out: Pod, name = 'istio-proxy') =>
  (container(out, name)?.env ?? []) as { name: string; value?: string }[];
const probers = (out: Pod) => proxyEnv(out).find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS')?.value;

describe('rewriteProbes', () => {
  it('points HTTP, TCP and gRPC probes at the agent, keeping their other settings; HTTPS becomes HTTP', () => {
    const headers = [{ name: 'X-Custom', value: '1' }];
    const input = pod([
      {
        name: 'app',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: {
          httpGet: { port: 'http', path: '/ready', scheme: 'HTTPS', httpHeaders: headers },
          timeoutSeconds: 3,
          periodSeconds: 5,
        },
        livenessProbe: { tcpSocket: { port: 9090 }, initialDelaySeconds: 2 },
        startupProbe: { grpc: { port: 7070 }, failureThreshold: 30, timeoutSeconds: 1 },
      },
    ]);
    const out = rewriteProbes(input, settings);
    assert.deepEqual(container(out, 'app'), {
      name: 'app',
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: {
        httpGet: { port: 15020, path: '/app-health/app/readyz', scheme: 'HTTP', httpHeaders: headers },
        timeoutSeconds: 3,
        periodSeconds: 5,
      },
      livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 15020 }, initialDelaySeconds: 2 },
      startupProbe: {
        httpGet: { path: '/app-health/app/startupz', port: 15020 },
        failureThreshold: 30,
        timeoutSeconds: 1,
      },
    });
  });

  it('hands the original targets to the agent in ISTIO_KUBE_APP_PROBERS, as Go marshals them', () => {
    const input = pod([
      {
        name: 'app',
        ports: [{ name: 'http', containerPort: 8080 }],
        // Keys out of Go's field order, to see them put in it.
        readinessProbe: {
          httpGet: {
            httpHeaders: [{ name: 'H', value: 'v' }],
            scheme: 'HTTPS',
            port: 'http',
            path: '/ready',
          },
          timeoutSeconds: 3,
        },
        livenessProbe: { tcpSocket: { host: 'localhost', port: 9090 }, timeoutSeconds: 0 },
        startupProbe: { grpc: { port: 7070 }, timeoutSeconds: 1 },
      },
      { name: 'side', readinessProbe: { grpc: { port: 7071, service: 'health' } } },
    ]);
    const out = rewriteProbes(input, settings);
    // Keys sorted; a zero timeout left out (omitempty); gRPC's unset service is null (no omitempty).
    assert.equal(
      probers(out),
      '{"/app-health/app/livez":{"tcpSocket":{"port":9090,"host":"localhost"}},' +
        '"/app-health/app/readyz":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTPS","httpHeaders":[{"name":"H","value":"v"}]},"timeoutSeconds":3},' +
        '"/app-health/app/startupz":{"grpc":{"port":7070,"service":null},"timeoutSeconds":1},' +
        '"/app-health/side/readyz":{"grpc":{"port":7071,"service":"health"}}}',
    );
    assert.deepEqual(
      proxyEnv(out).map((e) => e.name),
      ['ISTIO_META_X', 'ISTIO_KUBE_APP_PROBERS'],
    );
  });

  it('rewrites HTTP and TCP lifecycle hooks to /app-lifecycle, without a timeout; exec hooks and probes stay', () => {
    const input = pod([
      {
        name: 'app',
        lifecycle: {
          preStop: { httpGet: { path: '/drain', port: 8080 } },
          postStart: { tcpSocket: { port: 8081 } },
        },
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
      },
      { name: 'worker', lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } },
    ]);
    const out = rewriteProbes(input, settings);
    assert.deepEqual(container(out, 'app'), {
      name: 'app',
      lifecycle: {
        preStop: { httpGet: { path: '/app-lifecycle/app/prestopz', port: 15020 } },
        postStart: { httpGet: { path: '/app-lifecycle/app/poststartz', port: 15020 } },
      },
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
    });
    assert.deepEqual(container(out, 'worker'), {
      name: 'worker',
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
    });
    assert.equal(
      probers(out),
      '{"/app-lifecycle/app/poststartz":{"tcpSocket":{"port":8081}},' +
        '"/app-lifecycle/app/prestopz":{"httpGet":{"path":"/drain","port":8080}}}',
    );
  });

  it('sorts the probers by path across containers, not by container order', () => {
    const input = pod([
      { name: 'b', lifecycle: { preStop: { httpGet: { path: '/s', port: 1 } } } },
      { name: 'a', livenessProbe: { httpGet: { path: '/l', port: 2 } } },
    ]);
    assert.deepEqual(Object.keys(JSON.parse(probers(rewriteProbes(input, settings)) ?? '{}')), [
      '/app-health/a/livez',
      '/app-lifecycle/b/prestopz',
    ]);
  });

  it('drops a probe whose named port the container does not declare from the probers, but still points it at the agent', () => {
    const input = pod([
      {
        name: 'app',
        ports: [{ name: 'other', containerPort: 9000 }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      },
    ]);
    const out = rewriteProbes(input, settings);
    assert.equal(probers(out), undefined);
    assert.deepEqual(container(out, 'app')?.readinessProbe, {
      httpGet: { path: '/app-health/app/readyz', port: 15020 },
    });
  });

  it('leaves a pod already rewritten as it is, with no probers added', () => {
    const input = pod([
      {
        name: 'app',
        readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 15020 }, periodSeconds: 3 },
      },
    ]);
    assert.deepEqual(rewriteProbes(input, settings), input);
  });

  it('skips probes on the mesh status port for the probers; points at the pod status port', () => {
    // The pod's status.sidecar.istio.io/port (16000 here) is where probes go; only the mesh's port
    // (15020) counts as already rewritten, as in Istio's DumpAppProbers.
    const out = rewriteProbes(
      pod([
        {
          name: 'app',
          readinessProbe: { httpGet: { path: '/r', port: 15020 } },
          livenessProbe: { httpGet: { path: '/l', port: 16000 } },
        },
      ]),
      { ...settings, statusPort: 16000, meshStatusPort: 15020 },
    );
    assert.equal(probers(out), '{"/app-health/app/livez":{"httpGet":{"path":"/l","port":16000}}}');
    assert.deepEqual(container(out, 'app'), {
      name: 'app',
      readinessProbe: { httpGet: { path: '/app-health/app/readyz', port: 16000 } },
      livenessProbe: { httpGet: { path: '/app-health/app/livez', port: 16000 } },
    });
  });

  it('never touches the istio-proxy container probes', () => {
    const out = rewriteProbes(pod([{ name: 'app', livenessProbe: { tcpSocket: { port: 1 } } }]), settings);
    assert.deepEqual(container(out, 'istio-proxy')?.readinessProbe, proxy.readinessProbe);
    assert.ok(!probers(out)?.includes('istio-proxy'));
  });

  it('covers init containers, and a native proxy (an init container) gets the probers', () => {
    const input: Pod = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [
          { ...proxy, restartPolicy: 'Always' },
          { name: 'sidecar', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 5000 } } },
        ],
        containers: [{ name: 'app', readinessProbe: { httpGet: { path: '/r', port: 8080 } } }],
      },
    };
    const out = rewriteProbes(input, settings);
    assert.equal(
      probers(out),
      '{"/app-health/app/readyz":{"httpGet":{"path":"/r","port":8080}},' +
        '"/app-health/sidecar/readyz":{"tcpSocket":{"port":5000}}}',
    );
    assert.deepEqual(out.spec?.initContainers?.[1]?.readinessProbe, {
      httpGet: { path: '/app-health/sidecar/readyz', port: 15020 },
    });
    assert.deepEqual(out.spec?.containers?.[0]?.readinessProbe, {
      httpGet: { path: '/app-health/app/readyz', port: 15020 },
    });
  });

  it('on re-injection merges with the recorded probers, the recorded ones winning, in place', () => {
    const recorded = '{"/app-health/app/livez":{"httpGet":{"path":"/original","port":8080}}}';
    const input: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'app',
            livenessProbe: { tcpSocket: { port: 9090 } },
            readinessProbe: { httpGet: { path: '/r', port: 8081 } },
          },
          {
            ...proxy,
            env: [
              { name: 'A', value: 'a' },
              { name: 'ISTIO_KUBE_APP_PROBERS', value: recorded },
              { name: 'B', value: 'b' },
            ],
          },
        ],
      },
    };
    const out = rewriteProbes(input, { ...settings, previouslyInjected: true });
    assert.deepEqual(proxyEnv(out), [
      { name: 'A', value: 'a' },
      {
        name: 'ISTIO_KUBE_APP_PROBERS',
        value:
          '{"/app-health/app/livez":{"httpGet":{"path":"/original","port":8080}},' +
          '"/app-health/app/readyz":{"httpGet":{"path":"/r","port":8081}}}',
      },
      { name: 'B', value: 'b' },
    ]);
  });

  it('appends the probers when nothing was recorded, or when the pod was not injected before', () => {
    const app: Container = { name: 'app', readinessProbe: { httpGet: { path: '/r', port: 8081 } } };
    const value = '{"/app-health/app/readyz":{"httpGet":{"path":"/r","port":8081}}}';
    const reinjected = rewriteProbes(pod([app]), { ...settings, previouslyInjected: true });
    assert.deepEqual(proxyEnv(reinjected), [
      { name: 'ISTIO_META_X', value: 'x' },
      { name: 'ISTIO_KUBE_APP_PROBERS', value },
    ]);
    // Istio's mergeOrAppendProbers appends without looking when the pod carries no status.
    const stale: Pod = {
      spec: {
        containers: [app, { ...proxy, env: [{ name: 'ISTIO_KUBE_APP_PROBERS', value: '{}' }] }],
      },
    };
    assert.deepEqual(proxyEnv(rewriteProbes(stale, settings)), [
      { name: 'ISTIO_KUBE_APP_PROBERS', value: '{}' },
      { name: 'ISTIO_KUBE_APP_PROBERS', value },
    ]);
  });

  it('follows sidecar.istio.io/rewriteAppHTTPProbers (Go ParseBool) over the default, and the default otherwise', () => {
    const app: Container = { name: 'app', readinessProbe: { httpGet: { path: '/r', port: 8081 } } };
    const rewritten = (annotations: Record<string, string> | undefined, rewriteByDefault: boolean) =>
      probers(rewriteProbes(pod([app], annotations), { ...settings, rewriteByDefault })) !== undefined;
    assert.equal(REWRITE_ANNOTATION, 'sidecar.istio.io/rewriteAppHTTPProbers');
    assert.equal(rewritten(undefined, true), true);
    assert.equal(rewritten(undefined, false), false);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'false' }, true), false);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'F' }, true), false);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: '0' }, true), false);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'true' }, false), true);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'True' }, false), true);
    // Not a Go bool: the default decides.
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'no' }, true), true);
    assert.equal(rewritten({ [REWRITE_ANNOTATION]: 'yes' }, false), false);
  });

  it('changes nothing when disabled or when the pod has no istio-proxy', () => {
    const app: Container = { name: 'app', readinessProbe: { tcpSocket: { port: 1 } } };
    const disabled = pod([app], { [REWRITE_ANNOTATION]: 'false' });
    assert.deepEqual(rewriteProbes(disabled, settings), disabled);
    const noProxy: Pod = { spec: { containers: [app] } };
    assert.deepEqual(rewriteProbes(noProxy, settings), { spec: { containers: [app] } });
  });

  it('does not modify the pod it is given', () => {
    const input = pod([
      {
        name: 'app',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/r', port: 'http', scheme: 'HTTPS' } },
        lifecycle: { preStop: { tcpSocket: { port: 1 } } },
      },
    ]);
    const before = structuredClone(input);
    rewriteProbes(input, settings);
    assert.deepEqual(input, before);
  });
});
