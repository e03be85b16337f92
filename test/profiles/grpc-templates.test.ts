import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileBundle } from '../../lib/config/compile.ts';
import { DEFAULT_BUNDLE } from '../../lib/config/default.ts';
import { injectPod } from '../../lib/inject/inject-pod.ts';
import type { Json } from '../../lib/json.ts';
import type { Container, Pod } from '../../lib/kube/types.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

// Istio's grpc-simple and grpc-agent templates (files/grpc-*.yaml), rendered by our Liquid versions.
const config = compileBundle(DEFAULT_BUNDLE, 'default');

function inject(pod: Pod) {
  return injectPod(pod, config, { namespace: 'default', proxyEnvs: {}, revision: '' });
}

function podFor(
  template: string,
  extra: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
): Pod {
  return deploymentPod('hello', {
    ...extra,
    annotations: { 'inject.istio.io/templates': template, ...extra.annotations },
  }) as Pod;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The container fields these tests read. */
interface ContainerView {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  ports?: unknown;
  lifecycle?: unknown;
  readinessProbe?: { initialDelaySeconds?: number };
  resources?: unknown;
  securityContext?: unknown;
  restartPolicy?: unknown;
  volumeMounts?: unknown[];
}

function container(pod: Pod, name: string): ContainerView {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === name,
  );
  assert.ok(found, `container ${name}`);
  return found as unknown as ContainerView;
}

function volumes(pod: Pod): { name: string }[] | undefined {
  return pod.spec?.volumes as { name: string }[] | undefined;
}

function envOf(c: ContainerView): Record<string, unknown> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
}

/** Istio's grpc-bootstrap-init script, verbatim: the xDS bootstrap for istiod's plaintext port. */
const BOOTSTRAP_SCRIPT = `NODE_ID="sidecar~\${INSTANCE_IP}~\${POD_NAME}.\${POD_NAMESPACE}~cluster.local"
SERVER_URI="dns:///istiod.\${ISTIO_NAMESPACE}.svc:15010"
echo '
{
  "xds_servers": [
    {
      "server_uri": "'\${SERVER_URI}'",
      "channel_creds": [{"type": "insecure"}],
      "server_features" : ["xds_v3"]
    }
  ],
  "node": {
    "id": "'\${NODE_ID}'",
    "metadata": {
      "GENERATOR": "grpc"
    }
  }
}' > /var/lib/grpc/data/bootstrap.json`;

const fieldRef = (fieldPath: string) => ({ fieldRef: { fieldPath } });

describe('grpc-simple template', () => {
  it('adds the bootstrap init container, gRPC env and the bootstrap volume, and no proxy', () => {
    const { templates, pod } = inject(podFor('grpc-simple'));
    assert.deepEqual(templates, ['grpc-simple']);
    assert.deepEqual(
      pod.spec?.initContainers?.map((c) => c.name),
      ['grpc-bootstrap-init'],
    );
    assert.deepEqual(
      pod.spec?.containers?.map((c) => c.name),
      ['hello'],
    );

    const init = container(pod, 'grpc-bootstrap-init');
    assert.equal(init.image, 'busybox:1.28');
    assert.deepEqual(init.volumeMounts, [
      { mountPath: '/var/lib/grpc/data/', name: 'grpc-io-proxyless-bootstrap' },
    ]);
    assert.deepEqual(init.env, [
      { name: 'INSTANCE_IP', valueFrom: fieldRef('status.podIP') },
      { name: 'POD_NAME', valueFrom: fieldRef('metadata.name') },
      { name: 'POD_NAMESPACE', valueFrom: fieldRef('metadata.namespace') },
      // Istio writes it as a `|` block scalar: the value keeps its final newline.
      { name: 'ISTIO_NAMESPACE', value: 'istio-system\n' },
    ]);
    assert.deepEqual(init.command, ['sh', '-c', BOOTSTRAP_SCRIPT]);

    const app = container(pod, 'hello');
    assert.deepEqual(app.env, [
      { name: 'GRPC_XDS_BOOTSTRAP', value: '/var/lib/grpc/data/bootstrap.json' },
      { name: 'GRPC_GO_LOG_VERBOSITY_LEVEL', value: '99' },
      { name: 'GRPC_GO_LOG_SEVERITY_LEVEL', value: 'info' },
    ]);
    assert.deepEqual(app.volumeMounts, [
      { mountPath: '/var/lib/grpc/data/', name: 'grpc-io-proxyless-bootstrap' },
    ]);
    assert.equal(app.image, 'fake.docker.io/google-samples/hello-go-gke:1.0');
    assert.deepEqual(pod.spec?.volumes, [{ name: 'grpc-io-proxyless-bootstrap', emptyDir: {} }]);

    const annotations = pod.metadata?.annotations ?? {};
    assert.equal(annotations['sidecar.istio.io/rewriteAppHTTPProbers'], 'false');
    assert.equal(annotations['istio.io/rev'], undefined);
    assert.equal(pod.metadata?.labels?.['service.istio.io/canonical-name'], undefined);
    assert.deepEqual(JSON.parse(annotations['sidecar.istio.io/status'] as string), {
      initContainers: ['grpc-bootstrap-init'],
      containers: ['hello'],
      volumes: ['grpc-io-proxyless-bootstrap'],
      imagePullSecrets: null,
      revision: 'default',
    });
  });

  it('configures every container, keeps their env and leaves their probes alone', () => {
    const input = podFor('grpc-simple');
    const probe = { httpGet: { path: '/ready', port: 80 } };
    input.spec?.containers?.push({
      name: 'second',
      image: 'second:1',
      env: [{ name: 'MINE', value: 'kept' }],
      readinessProbe: probe,
    } as Container);
    const { pod } = inject(input);
    assert.deepEqual(
      pod.spec?.containers?.map((c) => c.name),
      ['hello', 'second'],
    );
    const second = container(pod, 'second');
    assert.deepEqual(Object.keys(envOf(second)), [
      'GRPC_XDS_BOOTSTRAP',
      'GRPC_GO_LOG_VERBOSITY_LEVEL',
      'GRPC_GO_LOG_SEVERITY_LEVEL',
      'MINE',
    ]);
    assert.deepEqual(second.readinessProbe, probe);
    assert.equal(
      (pod.spec?.containers ?? [])
        .flatMap((c) => (c as unknown as ContainerView).env ?? [])
        .some((e) => e.name === 'ISTIO_KUBE_APP_PROBERS'),
      false,
    );
  });
});

describe('grpc-agent template', () => {
  it('adds istio-agent without Envoy as a regular container after the app', () => {
    const { templates, pod } = inject(podFor('grpc-agent'));
    assert.deepEqual(templates, ['grpc-agent']);
    assert.equal(pod.spec?.initContainers, undefined);
    assert.deepEqual(
      pod.spec?.containers?.map((c) => c.name),
      ['hello', 'istio-proxy'],
    );

    const proxy = container(pod, 'istio-proxy');
    assert.equal(proxy.image, 'docker.io/istio/proxyv2:1.30.3');
    assert.equal(proxy.restartPolicy, undefined);
    assert.equal(proxy.securityContext, undefined);
    assert.deepEqual(proxy.ports, [{ containerPort: 15020, protocol: 'TCP', name: 'mesh-metrics' }]);
    assert.deepEqual(proxy.args, [
      'proxy',
      'sidecar',
      '--domain',
      '$(POD_NAMESPACE).svc.cluster.local',
      '--proxyLogLevel=warning',
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
    ]);
    assert.deepEqual(proxy.lifecycle, {
      postStart: {
        exec: { command: ['pilot-agent', 'wait', '--url=http://localhost:15020/healthz/ready'] },
      },
    });
    assert.deepEqual(
      (proxy.env ?? []).map((e) => e.name),
      [
        'ISTIO_META_GENERATOR',
        'OUTPUT_CERTS',
        'PILOT_CERT_PROVIDER',
        'CA_ADDR',
        'POD_NAME',
        'POD_NAMESPACE',
        'INSTANCE_IP',
        'SERVICE_ACCOUNT',
        'HOST_IP',
        'PROXY_CONFIG',
        'ISTIO_META_POD_PORTS',
        'ISTIO_META_APP_CONTAINERS',
        'ISTIO_META_CLUSTER_ID',
        'ISTIO_META_NODE_NAME',
        'ISTIO_META_WORKLOAD_NAME',
        'ISTIO_META_OWNER',
        'ISTIO_META_MESH_ID',
        'TRUST_DOMAIN',
        'ISTIO_META_DNS_CAPTURE',
        'DISABLE_ENVOY',
      ],
    );
    const env = envOf(proxy);
    assert.equal(env.ISTIO_META_GENERATOR, 'grpc');
    assert.equal(env.OUTPUT_CERTS, '/var/lib/istio/data');
    assert.equal(env.PILOT_CERT_PROVIDER, 'istiod');
    assert.equal(env.CA_ADDR, 'istiod.istio-system.svc:15012');
    assert.deepEqual(env.POD_NAMESPACE, fieldRef('metadata.namespace'));
    assert.equal(env.PROXY_CONFIG, '{}\n');
    assert.equal(env.ISTIO_META_POD_PORTS, '[\n    {"name":"http","containerPort":80}\n]');
    assert.equal(env.ISTIO_META_APP_CONTAINERS, 'hello');
    assert.equal(env.ISTIO_META_CLUSTER_ID, 'Kubernetes');
    assert.equal(env.ISTIO_META_WORKLOAD_NAME, 'hello');
    assert.equal(env.ISTIO_META_OWNER, 'kubernetes://apis/apps/v1/namespaces/default/deployments/hello');
    assert.equal(env.ISTIO_META_MESH_ID, 'cluster.local');
    assert.equal(env.TRUST_DOMAIN, 'cluster.local');
    assert.equal(env.ISTIO_META_DNS_CAPTURE, 'false');
    assert.equal(env.DISABLE_ENVOY, 'true');

    assert.deepEqual(proxy.readinessProbe, {
      httpGet: { path: '/healthz/ready', port: 15020 },
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    });
    assert.deepEqual(proxy.resources, {
      limits: { cpu: '2000m', memory: '1024Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    assert.deepEqual(proxy.volumeMounts, [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'istio-xds', mountPath: '/etc/istio/proxy' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ]);

    const app = container(pod, 'hello');
    assert.deepEqual(app.env, [
      { name: 'GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT', value: 'true' },
      { name: 'GRPC_XDS_BOOTSTRAP', value: '/etc/istio/proxy/grpc-bootstrap.json' },
    ]);
    assert.deepEqual(app.volumeMounts, [
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-xds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
    ]);

    assert.deepEqual(pod.spec?.volumes, [
      { name: 'workload-socket' },
      { name: 'workload-certs' },
      { name: 'istio-xds', emptyDir: { medium: 'Memory' } },
      { name: 'istio-data', emptyDir: {} },
      {
        name: 'istio-podinfo',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          ],
        },
      },
      {
        name: 'istio-token',
        projected: {
          sources: [
            { serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } },
          ],
        },
      },
      { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
    ]);
    assert.equal(pod.spec?.imagePullSecrets, undefined);

    const labels = pod.metadata?.labels ?? {};
    assert.equal(labels['service.istio.io/canonical-name'], 'hello');
    assert.equal(labels['service.istio.io/canonical-revision'], 'latest');
    assert.equal(labels['security.istio.io/tlsMode'], undefined, 'gRPC opts into mTLS itself');
    const annotations = pod.metadata?.annotations ?? {};
    assert.equal(annotations['istio.io/rev'], 'default');
    assert.equal(annotations['kubectl.kubernetes.io/default-container'], 'hello');
    assert.equal(annotations['kubectl.kubernetes.io/default-logs-container'], 'hello');
    assert.equal(annotations['sidecar.istio.io/rewriteAppHTTPProbers'], 'false');
    assert.deepEqual(JSON.parse(annotations['sidecar.istio.io/status'] as string), {
      initContainers: null,
      containers: ['istio-proxy', 'hello'],
      volumes: [
        'workload-socket',
        'workload-certs',
        'istio-xds',
        'istio-data',
        'istio-podinfo',
        'istio-token',
        'istiod-ca-cert',
      ],
      imagePullSecrets: null,
      revision: 'default',
    });
  });

  it('follows the pod annotations the template reads', () => {
    const { pod } = inject(
      podFor('grpc-agent', {
        annotations: {
          'sidecar.istio.io/logLevel': 'debug',
          'sidecar.istio.io/proxyCPU': '50m',
          'readiness.status.sidecar.istio.io/initialDelaySeconds': '7',
          'sidecar.istio.io/bootstrapOverride': 'my-bootstrap',
          'sidecar.istio.io/userVolume': '{"extra":{"emptyDir":{}}}',
          'sidecar.istio.io/userVolumeMount': '{"extra":{"mountPath":"/mnt/extra"}}',
          'proxy.istio.io/config': 'proxyMetadata: {B_META: "2", A_META: "1"}',
          'kubectl.kubernetes.io/default-container': 'other',
        },
        labels: { 'service.istio.io/canonical-name': `${'a'.repeat(70)}-` },
      }),
    );
    const proxy = container(pod, 'istio-proxy');
    assert.ok(proxy.args?.includes('--proxyLogLevel=debug'));
    assert.deepEqual(proxy.resources, { requests: { cpu: '50m' } });
    assert.equal(proxy.readinessProbe?.initialDelaySeconds, 7);
    assert.deepEqual(proxy.volumeMounts?.at(-1), { name: 'extra', mountPath: '/mnt/extra' });
    // proxyMetadata, key-sorted, right after TRUST_DOMAIN.
    const names = (proxy.env ?? []).map((e) => e.name);
    assert.deepEqual(names.slice(names.indexOf('TRUST_DOMAIN') + 1), [
      'A_META',
      'B_META',
      'ISTIO_META_DNS_CAPTURE',
      'DISABLE_ENVOY',
    ]);
    assert.equal(envOf(proxy).A_META, '1');
    assert.deepEqual(
      volumes(pod)?.map((v) => v.name),
      [
        'workload-socket',
        'workload-certs',
        'custom-bootstrap-volume',
        'istio-xds',
        'istio-data',
        'istio-podinfo',
        'istio-token',
        'istiod-ca-cert',
        'extra',
      ],
    );
    assert.deepEqual(
      volumes(pod)?.find((v) => v.name === 'custom-bootstrap-volume'),
      { name: 'custom-bootstrap-volume', configMap: { name: 'my-bootstrap' } },
    );
    const annotations = pod.metadata?.annotations ?? {};
    assert.equal(annotations['kubectl.kubernetes.io/default-container'], 'other');
    assert.equal(annotations['kubectl.kubernetes.io/default-logs-container'], 'hello');
    // Unlike the sidecar template, grpc-agent neither truncates nor trims the canonical name.
    assert.equal(pod.metadata?.labels?.['service.istio.io/canonical-name'], `${'a'.repeat(70)}-`);
  });

  it('drops the readiness probe, resources and agent mounts when the status port is 0, as Istio does', () => {
    const { pod } = inject(podFor('grpc-agent', { annotations: { 'status.sidecar.istio.io/port': '0' } }));
    const proxy = container(pod, 'istio-proxy');
    assert.equal(proxy.readinessProbe, undefined);
    assert.equal(proxy.resources, undefined);
    assert.equal(proxy.volumeMounts, undefined);
    assert.equal(envOf(proxy).DISABLE_ENVOY, 'true');
    assert.equal(container(pod, 'hello').volumeMounts?.length, 3);
  });

  it('an annotation holding YAML metacharacters changes only its own value', () => {
    const MARKER = 'MARKERVALUE';
    const payload = 'x\nevil: true\n- name: EVIL\n  value: "1"';
    for (const name of ['sidecar.istio.io/logLevel', 'sidecar.istio.io/bootstrapOverride']) {
      const baseline = inject(podFor('grpc-agent', { annotations: { [name]: MARKER } })).pod;
      const attacked = inject(podFor('grpc-agent', { annotations: { [name]: payload } })).pod;
      assert.ok(JSON.stringify(baseline).includes(MARKER), `${name} is rendered`);
      assert.deepEqual(attacked, replaceMarker(baseline as Json, MARKER, payload), name);
    }
  });
});

/** `v` with every string holding the marker rewritten as if the payload had been there. */
function replaceMarker(v: Json, marker: string, payload: string): Json {
  if (typeof v === 'string') return v.split(marker).join(payload);
  if (Array.isArray(v)) return v.map((x) => replaceMarker(x, marker, payload));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, x === undefined ? x : replaceMarker(x, marker, payload)]),
    );
  }
  return v;
}
