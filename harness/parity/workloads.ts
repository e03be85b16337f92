// fast-check generators of the workloads and bundle settings the parity run compares Outrigger and
// Istio's injector on: Pods, Deployments, StatefulSets, DaemonSets, Jobs and CronJobs with one to many
// containers, init containers, ports, probes of every kind, volumes, security contexts, resources and
// host networking; every annotation and label docs/configuration.md lists as honoured, with valid, edge and invalid
// values; revision and inject labels; and the bundle's common settings.
import fc from 'fast-check';
import yaml from 'js-yaml';
import type { JsonObject } from '../../lib/json.ts';

type Json = Record<string, unknown>;

const name = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
const portNumber = fc.oneof(
  fc.constantFrom(80, 443, 8080, 9090, 15020, 15021, 15090),
  fc.integer({ min: 1, max: 65535 }),
);

const handler = fc.oneof(
  fc.record({
    httpGet: fc.record(
      {
        path: fc.constantFrom('/', '/healthz', '/ready?x=1'),
        port: fc.oneof(portNumber, fc.constant('http')),
      },
      { requiredKeys: ['port'] },
    ),
  }),
  fc.record({
    httpGet: fc.record({
      path: fc.constant('/live'),
      port: portNumber,
      scheme: fc.constantFrom('HTTP', 'HTTPS'),
      httpHeaders: fc.constant([{ name: 'X-Probe', value: 'yes' }]),
    }),
  }),
  fc.record({ tcpSocket: fc.record({ port: portNumber }) }),
  fc.record({
    grpc: fc.record({ port: portNumber, service: fc.constantFrom('', 'health') }, { requiredKeys: ['port'] }),
  }),
  fc.record({ exec: fc.constant({ command: ['cat', '/tmp/healthy'] }) }),
);
const probe = handler.chain((h) =>
  fc
    .record(
      {
        initialDelaySeconds: fc.integer({ min: 0, max: 30 }),
        periodSeconds: fc.integer({ min: 1, max: 30 }),
        timeoutSeconds: fc.integer({ min: 1, max: 10 }),
      },
      { requiredKeys: [] },
    )
    .map((t) => ({ ...h, ...t })),
);

const securityContext = fc.record(
  {
    runAsUser: fc.constantFrom(0, 1000, 1337),
    runAsNonRoot: fc.boolean(),
    readOnlyRootFilesystem: fc.boolean(),
    allowPrivilegeEscalation: fc.boolean(),
    capabilities: fc.constantFrom({ drop: ['ALL'] }, { add: ['NET_ADMIN'] }),
  },
  { requiredKeys: [] },
);

const resources = fc.record(
  {
    requests: fc.record(
      { cpu: fc.constantFrom('10m', '100m', '1', '1.5'), memory: fc.constantFrom('64Mi', '1Gi', '500M') },
      { requiredKeys: [] },
    ),
    limits: fc.record(
      { cpu: fc.constantFrom('500m', '2'), memory: fc.constantFrom('128Mi', '2Gi') },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

function container(containerName: string, volumes: string[]): fc.Arbitrary<Json> {
  return fc
    .record(
      {
        image: fc.constantFrom('nginx', 'busybox:1.36', 'gcr.io/google-samples/hello-app:1.0'),
        env: fc.uniqueArray(fc.record({ name: envName, value: fc.string({ maxLength: 12 }) }), {
          maxLength: 4,
          selector: (e) => e.name,
        }),
        ports: fc.uniqueArray(
          fc.record(
            {
              containerPort: portNumber,
              name: fc.constantFrom('http', 'grpc', 'metrics', 'tcp'),
              protocol: fc.constantFrom('TCP', 'UDP'),
            },
            { requiredKeys: ['containerPort'] },
          ),
          {
            maxLength: 3, // One containerPort a container: with two (53/UDP and 53/TCP) Istio's merge writes the last one
            // twice where a template lists the app containers (docs/configuration.md, "Knowingly different").
            selector: (p) => p.containerPort,
          },
        ),
        readinessProbe: probe,
        livenessProbe: probe,
        startupProbe: probe,
        resources,
        securityContext,
        mounts: fc.subarray(volumes, { maxLength: Math.min(2, volumes.length) }),
        command: fc.constantFrom(['sleep', '3600'], ['/app']),
      },
      { requiredKeys: ['image'] },
    )
    .map(({ mounts, env, ports, ...rest }) => {
      const c: Json = { name: containerName, ...rest };
      if (env?.length) c.env = env;
      if (ports?.length) c.ports = ports;
      if (mounts?.length) c.volumeMounts = mounts.map((v) => ({ name: v, mountPath: `/mnt/${v}` }));
      return c;
    });
}

/** docs/configuration.md's honoured annotations, each with valid, edge and invalid values. */
const ANNOTATIONS: Record<string, string[]> = {
  'sidecar.istio.io/inject': ['true', 'false', 'yes', ''],
  'inject.istio.io/templates': ['sidecar', 'custom', 'sidecar,custom', 'nope', 'grpc-agent', 'gateway'],
  'sidecar.istio.io/nativeSidecar': ['true', 'false', 'maybe'],
  'proxy.istio.io/config': [
    'holdApplicationUntilProxyStarts: true',
    '{"concurrency": 2}',
    'proxyMetadata:\n  FOO: bar',
    'a: b: c: [',
    'terminationDrainDuration: 30s',
  ],
  'sidecar.istio.io/proxyImage': ['docker.io/istio/proxyv2:1.22.0', 'proxyv2'],
  'sidecar.istio.io/proxyImageType': ['debug', 'distroless', 'default'],
  'sidecar.istio.io/proxyCPU': ['100m', '2', 'abc'],
  'sidecar.istio.io/proxyMemory': ['128Mi', '1Gi', 'lots'],
  'sidecar.istio.io/proxyCPULimit': ['1', '2000m'],
  'sidecar.istio.io/proxyMemoryLimit': ['1Gi', '-5'],
  'sidecar.istio.io/interceptionMode': ['REDIRECT', 'TPROXY', 'NONE', 'bogus'],
  'traffic.sidecar.istio.io/includeOutboundIPRanges': ['*', '10.0.0.0/8,192.168.0.0/16', 'not-a-cidr', ''],
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': ['169.254.169.254/32', '', 'x'],
  'traffic.sidecar.istio.io/includeInboundPorts': ['*', '8080,9090', 'x', ''],
  'traffic.sidecar.istio.io/excludeInboundPorts': ['8080', '', '70000'],
  'traffic.sidecar.istio.io/includeOutboundPorts': ['443', 'abc'],
  'traffic.sidecar.istio.io/excludeOutboundPorts': ['5432', 'abc'],
  'traffic.sidecar.istio.io/excludeInterfaces': ['eth1', ''],
  'traffic.sidecar.istio.io/kubevirtInterfaces': ['net1'],
  'istio.io/reroute-virtual-interfaces': ['net1,net2'],
  'status.sidecar.istio.io/port': ['15020', '0', '99999', 'abc'],
  'readiness.status.sidecar.istio.io/initialDelaySeconds': ['1', '-1', 'x'],
  'readiness.status.sidecar.istio.io/periodSeconds': ['5', 'x'],
  'readiness.status.sidecar.istio.io/failureThreshold': ['30', '3.5'],
  'sidecar.istio.io/rewriteAppHTTPProbers': ['true', 'false'],
  'sidecar.istio.io/logLevel': ['debug', 'info', 'bogus'],
  'sidecar.istio.io/componentLogLevel': ['misc:error,upstream:debug'],
  'sidecar.istio.io/agentLogLevel': ['default:debug'],
  'sidecar.istio.io/capNetBindService': ['true', 'false'],
  'sidecar.istio.io/bootstrapOverride': ['my-bootstrap'],
  'sidecar.istio.io/userVolume': ['{"extra":{"emptyDir":{}}}', 'not json'],
  'sidecar.istio.io/userVolumeMount': ['{"extra":{"mountPath":"/extra"}}', '[]'],
  'prometheus.io/scrape': ['true', 'false'],
  'prometheus.io/port': ['9090', 'x'],
  'prometheus.io/path': ['/metrics', '/stats/prometheus'],
  'prometheus.istio.io/merge-metrics': ['true', 'false', 'maybe'],
  'prometheus.istio.io/secure-port': ['15443'],
  'kubectl.kubernetes.io/default-container': ['app', 'other'],
  'kubectl.kubernetes.io/default-logs-container': ['app'],
  'resource.opentelemetry.io/service.namespace': ['shop'],
  'resource.opentelemetry.io/service.version': ['v2'],
  'example.com/owner': ['team-a', 'naïve ✓ ünïcode', 'line\nbreak'],
};

const annotations = fc
  .subarray(Object.keys(ANNOTATIONS), { maxLength: 6 })
  .chain((keys) =>
    fc.tuple(
      ...keys.map((k) => fc.constantFrom(...(ANNOTATIONS[k] as string[])).map((v) => [k, v] as const)),
    ),
  )
  .map((pairs) => Object.fromEntries(pairs));

const labels = fc.record(
  {
    version: fc.constantFrom('v1', 'v2'),
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/version': fc.constantFrom('1.0', 'v3'),
    'service.istio.io/canonical-name': name,
    'service.istio.io/canonical-revision': fc.constantFrom('r1', 'latest'),
    'security.istio.io/tlsMode': fc.constantFrom('istio', 'disabled'),
    'topology.istio.io/network': fc.constantFrom('net-a', 'net-b'),
    'sidecar.istio.io/inject': fc.constantFrom('true', 'false', 'maybe'),
    'istio.io/rev': fc.constantFrom('default', 'canary'),
    'service.istio.io/workload-name': name,
  },
  { requiredKeys: [] },
);

const volume = (v: string) =>
  fc.constantFrom<Json>(
    { name: v, emptyDir: {} },
    { name: v, configMap: { name: `${v}-cm` } },
    { name: v, secret: { secretName: `${v}-s` } },
  );

/** The pod template: metadata and spec. */
const podTemplate = fc
  .record({
    app: name,
    containerNames: fc.uniqueArray(
      name.filter((n) => !n.startsWith('istio')),
      { minLength: 1, maxLength: 4 },
    ),
    initNames: fc.uniqueArray(
      name.filter((n) => !n.startsWith('istio')),
      { maxLength: 2 },
    ),
    volumeNames: fc.uniqueArray(
      name.filter((n) => !n.startsWith('istio')),
      { maxLength: 3 },
    ),
    labels,
    annotations: fc.option(annotations, { nil: undefined, freq: 4 }),
    hostNetwork: fc.option(fc.boolean(), { nil: undefined, freq: 6 }),
    podSecurity: fc.option(
      fc.record({ runAsUser: fc.constantFrom(1000, 1337), fsGroup: fc.constant(2000) }, { requiredKeys: [] }),
      { nil: undefined },
    ),
    serviceAccountName: fc.option(name, { nil: undefined }),
  })
  .chain((g) => {
    const inits = g.initNames.filter((n) => !g.containerNames.includes(n));
    return fc
      .record({
        containers: fc.tuple(...g.containerNames.map((n) => container(n, g.volumeNames))),
        initContainers: fc.tuple(...inits.map((n) => container(n, g.volumeNames))),
        volumes: fc.tuple(...g.volumeNames.map(volume)),
      })
      .map(({ containers, initContainers, volumes }) => {
        const metadata: Json = { labels: { app: g.app, ...g.labels } };
        if (g.annotations && Object.keys(g.annotations).length) metadata.annotations = g.annotations;
        const spec: Json = { containers };
        if (initContainers.length) spec.initContainers = initContainers;
        if (volumes.length) spec.volumes = volumes;
        if (g.hostNetwork !== undefined) spec.hostNetwork = g.hostNetwork;
        if (g.podSecurity) spec.securityContext = g.podSecurity;
        if (g.serviceAccountName) spec.serviceAccountName = g.serviceAccountName;
        return { app: g.app, metadata, spec };
      });
  });

const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;

/** One workload manifest of any kind around a generated pod template. */
export const workload: fc.Arbitrary<JsonObject> = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    template: podTemplate,
    namespace: fc.option(name, { nil: undefined }),
  })
  .map(({ kind, template, namespace }) => {
    const { app, metadata, spec } = template;
    const meta: Json = { name: app, ...(namespace ? { namespace } : {}) };
    const selector = { matchLabels: { app } };
    const tpl = { metadata, spec };
    switch (kind) {
      case 'Pod':
        return { apiVersion: 'v1', kind, metadata: { ...meta, ...metadata, name: app }, spec } as JsonObject;
      case 'Deployment':
      case 'DaemonSet':
        return {
          apiVersion: 'apps/v1',
          kind,
          metadata: meta,
          spec: { selector, template: tpl },
        } as JsonObject;
      case 'StatefulSet':
        return {
          apiVersion: 'apps/v1',
          kind,
          metadata: meta,
          spec: { serviceName: app, selector, template: tpl },
        } as JsonObject;
      case 'Job':
        return {
          apiVersion: 'batch/v1',
          kind,
          metadata: meta,
          spec: { template: { metadata, spec: { ...spec, restartPolicy: 'Never' } } },
        } as JsonObject;
      case 'CronJob':
        return {
          apiVersion: 'batch/v1',
          kind,
          metadata: meta,
          spec: {
            schedule: '*/5 * * * *',
            jobTemplate: { spec: { template: { metadata, spec: { ...spec, restartPolicy: 'OnFailure' } } } },
          },
        } as JsonObject;
    }
  });

/** What a case changes in the bundle: values and mesh overlays, native sidecars, the custom template. */
export interface Variation {
  values: JsonObject;
  mesh: JsonObject;
  native: boolean;
}

export const variation: fc.Arbitrary<Variation> = fc
  .record(
    {
      proxyImage: fc.constantFrom('proxyv2', 'docker.io/acme/proxy:1.0'),
      hubTag: fc.constantFrom(
        { hub: 'docker.io/istio', tag: '1.30.3' },
        { hub: 'gcr.io/acme', tag: 'custom' },
      ),
      resources: fc.constantFrom(
        { requests: { cpu: '50m', memory: '64Mi' } },
        { requests: { cpu: '1' }, limits: { cpu: '2', memory: '1Gi' } },
      ),
      interceptionMode: fc.constantFrom('REDIRECT', 'TPROXY'),
      hold: fc.boolean(),
      merge: fc.boolean(),
      tracing: fc.constantFrom({ zipkin: { address: 'zipkin.istio-system:9411' } }, { sampling: 10 }),
      logLevel: fc.constantFrom('warning', 'debug'),
    },
    { requiredKeys: [] },
  )
  .chain((v) =>
    fc.boolean().map((native): Variation => {
      const proxy: JsonObject = {};
      const global: JsonObject = {};
      const mesh: JsonObject = {};
      const defaultConfig: JsonObject = {};
      if (v.proxyImage) proxy.image = v.proxyImage;
      if (v.hubTag) Object.assign(global, v.hubTag);
      if (v.resources) proxy.resources = v.resources as JsonObject;
      if (v.interceptionMode) defaultConfig.interceptionMode = v.interceptionMode;
      if (v.hold !== undefined) proxy.holdApplicationUntilProxyStarts = v.hold;
      if (v.merge !== undefined) mesh.enablePrometheusMerge = v.merge;
      if (v.tracing) defaultConfig.tracing = v.tracing as JsonObject;
      if (v.logLevel) proxy.logLevel = v.logLevel;
      if (Object.keys(proxy).length) global.proxy = proxy;
      if (Object.keys(defaultConfig).length) mesh.defaultConfig = defaultConfig;
      return { values: Object.keys(global).length ? { global } : {}, mesh, native };
    }),
  );

export interface ParityCase {
  workload: JsonObject;
  variation: Variation;
  /** The manifest as kube-inject reads it. */
  text: string;
}

export const parityCase: fc.Arbitrary<ParityCase> = fc
  .record({ workload, variation })
  // Every string quoted: a plain scalar such as 8_ or 0b1 is a string to kube-inject (YAML 1.2) and a
  // number to istioctl (Go's YAML 1.1), which docs/configuration.md lists as knowingly different.
  .map((c) => ({ ...c, text: yaml.dump(c.workload, { lineWidth: -1, noRefs: true, forceQuotes: true }) }));
