// fast-check generators of realistic pods for the property tests: DNS-1123 names, 0–5 containers with
// env, ports and volume mounts, volumes, labels and annotations (Istio's, with valid and invalid values),
// and the owner references a ReplicaSet, a Job or nothing gives. Every generated pod is a valid Pod by
// the Kubernetes schema, so any schema problem after injection is the injector's.
import fc from 'fast-check';

export const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
const labelValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?$/);
const image = fc.constantFrom(
  'nginx',
  'busybox:1.36',
  'gcr.io/google-samples/hello-app:1.0',
  'registry.example.com:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
);

const envVar = fc.oneof(
  fc.record({ name: envName, value: fc.string({ maxLength: 24 }) }),
  fc.record({
    name: envName,
    valueFrom: fc.constantFrom(
      { fieldRef: { fieldPath: 'metadata.name' } },
      { fieldRef: { fieldPath: 'status.podIP' } },
      { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
    ),
  }),
);

const port = fc.record(
  {
    containerPort: fc.integer({ min: 1, max: 65_535 }),
    protocol: fc.constantFrom('TCP', 'UDP'),
    name: fc.stringMatching(/^[a-z]{1,6}$/),
  },
  { requiredKeys: ['containerPort'] },
);

const resources = fc.option(
  fc.record(
    {
      requests: fc.record({
        cpu: fc.constantFrom('10m', '100m', '1'),
        memory: fc.constantFrom('64Mi', '1Gi'),
      }),
      limits: fc.record({ cpu: fc.constantFrom('500m', '2'), memory: fc.constantFrom('128Mi', '2Gi') }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

type Json = Record<string, unknown>;

function container(name: string, volumeNames: string[]): fc.Arbitrary<Json> {
  const mounts =
    volumeNames.length === 0
      ? fc.constant([] as Json[])
      : fc
          .subarray(volumeNames, { maxLength: Math.min(3, volumeNames.length) })
          .chain((names) =>
            fc.tuple(...names.map((v) => fc.record({ name: fc.constant(v), readOnly: fc.boolean() }))),
          )
          .map((ms) => ms.map((m) => ({ ...m, mountPath: `/mnt/${m.name}` })));
  return fc
    .record({
      image,
      env: fc.uniqueArray(envVar, { maxLength: 6, selector: (e) => e.name }),
      ports: fc.uniqueArray(port, { maxLength: 3, selector: (p) => p.containerPort }),
      volumeMounts: mounts,
      resources,
      args: fc.option(fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), { nil: undefined }),
    })
    .map(({ env, ports, volumeMounts, resources: r, args, image: img }) => {
      const c: Json = { name, image: img };
      // Empty lists are left out, as kubectl does; present ones are kept exactly.
      if (env.length) c.env = env;
      if (ports.length) c.ports = ports;
      if (volumeMounts.length) c.volumeMounts = volumeMounts;
      if (r) c.resources = r;
      if (args) c.args = args;
      return c;
    });
}

const volume = (name: string) =>
  fc.constantFrom<Json>(
    { name, emptyDir: {} },
    { name, configMap: { name: `${name}-cm` } },
    { name, secret: { secretName: `${name}-secret` } },
    { name, emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  );

/** Istio annotations with valid and invalid values, and a few of anyone's. */
const ISTIO_ANNOTATIONS: Record<string, string[]> = {
  'sidecar.istio.io/inject': ['true', 'false', 'yes'],
  'sidecar.istio.io/proxyCPU': ['100m', '2', 'abc'],
  'sidecar.istio.io/proxyMemory': ['128Mi', '1Gi', 'lots'],
  'sidecar.istio.io/proxyCPULimit': ['1', '2000m'],
  'sidecar.istio.io/proxyMemoryLimit': ['1Gi', '-5'],
  'sidecar.istio.io/interceptionMode': ['REDIRECT', 'TPROXY', 'NONE', 'bogus'],
  'status.sidecar.istio.io/port': ['15020', '0', '99999', 'abc'],
  'readiness.status.sidecar.istio.io/periodSeconds': ['5', 'x'],
  'readiness.status.sidecar.istio.io/initialDelaySeconds': ['1', '-1'],
  'readiness.status.sidecar.istio.io/failureThreshold': ['30', '3.5'],
  'traffic.sidecar.istio.io/includeOutboundIPRanges': ['*', '10.0.0.0/8,192.168.0.0/16', 'not-a-cidr'],
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': ['169.254.169.254/32', ''],
  'traffic.sidecar.istio.io/includeInboundPorts': ['*', '8080,9090', 'x'],
  'traffic.sidecar.istio.io/excludeInboundPorts': ['8080', '', '70000'],
  'traffic.sidecar.istio.io/excludeOutboundPorts': ['5432', 'abc'],
  'sidecar.istio.io/logLevel': ['debug', 'info', 'bogus'],
  'sidecar.istio.io/componentLogLevel': ['misc:error,upstream:debug'],
  'sidecar.istio.io/agentLogLevel': ['default:debug'],
  'sidecar.istio.io/proxyImage': ['docker.io/istio/proxyv2:1.22.0', 'proxyv2'],
  'sidecar.istio.io/nativeSidecar': ['true', 'false', 'maybe'],
  'sidecar.istio.io/userVolume': ['{"extra":{"emptyDir":{}}}', 'not json'],
  'sidecar.istio.io/userVolumeMount': ['{"extra":{"mountPath":"/extra"}}', '[]'],
  'inject.istio.io/templates': ['sidecar', 'nope', 'sidecar,sidecar'],
  'proxy.istio.io/config': [
    'holdApplicationUntilProxyStarts: true',
    '{"concurrency": 2}',
    'proxyMetadata:\n  FOO: bar',
    'a: b: c: [',
    '[1]',
  ],
  'prometheus.istio.io/merge-metrics': ['true', 'false', 'maybe'],
  'sidecar.istio.io/status': ['{"containers":["istio-proxy"]}', '{"containers": 5}', 'garbage'],
  'example.com/owner': ['team-a', 'naïve ✓ ünïcode', '{"json": true}', 'line\nbreak'],
};

const annotations = fc
  .subarray(Object.keys(ISTIO_ANNOTATIONS), { maxLength: 5 })
  .chain((keys) =>
    fc.tuple(
      ...keys.map((k) => fc.constantFrom(...(ISTIO_ANNOTATIONS[k] as string[])).map((v) => [k, v] as const)),
    ),
  )
  .map((pairs) => Object.fromEntries(pairs) as Record<string, string>);

const extraLabels = fc.dictionary(
  fc.oneof(
    dnsLabel,
    dnsLabel.map((k) => `example.com/${k}`),
  ),
  labelValue,
  { maxKeys: 3 },
);

const istioLabels = fc
  .record(
    {
      version: fc.constantFrom('v1', 'v2'),
      'topology.istio.io/network': fc.constantFrom('net-a', 'net-b'),
      'service.istio.io/canonical-name': dnsLabel,
    },
    { requiredKeys: [] },
  )
  .chain((l) =>
    fc
      .oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'maybe') },
      )
      .map((inject): Record<string, string> => (inject ? { ...l, 'sidecar.istio.io/inject': inject } : l)),
  );

export interface GeneratedPod {
  pod: Json;
  namespace: string;
}

/** A pod as a controller (ReplicaSet, Job) or a user would create it, in a namespace. */
export const podArbitrary: fc.Arbitrary<GeneratedPod> = fc
  .record({
    app: dnsLabel,
    owner: fc.constantFrom('ReplicaSet', 'Job', 'CronJob', 'none'),
    hash: fc.stringMatching(/^[a-z0-9]{5,10}$/),
    volumeNames: fc.uniqueArray(dnsLabel, { maxLength: 3 }),
    containerNames: fc.uniqueArray(
      dnsLabel.filter((n) => n !== 'istio-proxy'),
      { maxLength: 5 },
    ),
    initNames: fc.uniqueArray(
      dnsLabel.filter((n) => !n.startsWith('istio')),
      { maxLength: 2 },
    ),
    labels: fc.tuple(extraLabels, istioLabels),
    annotations: fc.option(annotations, { nil: undefined, freq: 3 }),
    namespace: fc.oneof(
      { weight: 6, arbitrary: fc.constant('default') },
      { weight: 3, arbitrary: dnsLabel },
      { weight: 1, arbitrary: fc.constant('kube-system') },
    ),
    podNamespace: fc.boolean(),
    hostNetwork: fc.oneof(
      { weight: 18, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.boolean() },
    ),
    serviceAccountName: fc.option(dnsLabel, { nil: undefined }),
  })
  .chain((g) => {
    const initNames = g.initNames.filter((n) => !g.containerNames.includes(n));
    return fc
      .record({
        volumes: fc.tuple(...g.volumeNames.map(volume)),
        containers: fc.tuple(...g.containerNames.map((n) => container(n, g.volumeNames))),
        initContainers: fc.tuple(...initNames.map((n) => container(n, g.volumeNames))),
      })
      .map(({ volumes, containers, initContainers }): GeneratedPod => {
        const labels: Record<string, string> = { ...g.labels[0], app: g.app, ...g.labels[1] };
        const metadata: Json = {};
        if (g.owner === 'none') {
          metadata.name = `${g.app}-pod`;
        } else {
          const ownerName =
            g.owner === 'ReplicaSet'
              ? `${g.app}-${g.hash}`
              : g.owner === 'CronJob'
                ? `${g.app}-${28_000_000 + g.hash.length}`
                : g.app;
          if (g.owner === 'ReplicaSet') labels['pod-template-hash'] = g.hash;
          metadata.generateName = `${ownerName}-`;
          metadata.ownerReferences = [
            {
              apiVersion: g.owner === 'ReplicaSet' ? 'apps/v1' : 'batch/v1',
              kind: g.owner === 'CronJob' ? 'Job' : g.owner,
              name: ownerName,
              uid: `uid-${g.hash}`,
              controller: true,
              blockOwnerDeletion: true,
            },
          ];
        }
        if (g.podNamespace) metadata.namespace = g.namespace;
        metadata.labels = labels;
        if (g.annotations && Object.keys(g.annotations).length) metadata.annotations = g.annotations;
        const spec: Json = { containers };
        if (initContainers.length) spec.initContainers = initContainers;
        if (volumes.length) spec.volumes = volumes;
        if (g.hostNetwork !== undefined) spec.hostNetwork = g.hostNetwork;
        if (g.serviceAccountName) spec.serviceAccountName = g.serviceAccountName;
        return { pod: { apiVersion: 'v1', kind: 'Pod', metadata, spec }, namespace: g.namespace };
      });
  });
