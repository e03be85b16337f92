// A real kube-apiserver (with etcd and kube-controller-manager, Kubernetes 1.35.4) calls the built
// artifacts over HTTPS at the `clientConfig.url` of `outrigger webhook-config`'s output, applied with
// kubectl unchanged: dist/server.js behind a TLS front, and the Lambda zip behind a Function URL
// emulator. Every scenario runs against each.
import assert from 'node:assert/strict';
import { execFile as execFileCallback, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { secretHash } from '../../lib/auth/secret-hash.ts';
import { startSecretsManager, type FakeSecretsManager } from '../../harness/stores.ts';
import { ROOT } from '../../harness/deploy/build.ts';
import { SEED_TABLE } from '../../harness/support/seed-table.ts';
import { freePort } from '../../harness/support/spawn-server.ts';
import { type Ca, type Leaf, makeCa, makeLeaf } from '../../harness/e2e/certs.ts';
import {
  apply,
  createPod,
  deleteWebhooks,
  eventually,
  namespace,
  type Pod,
  plainWebhook,
  proxies,
  simplePod,
  webhookConfig,
} from '../../harness/e2e/cluster.ts';
import { type ControlPlane, controlPlaneBuilt, startControlPlane } from '../../harness/e2e/control-plane.ts';
import { lambdaFront, serverFront, type WebhookFront } from '../../harness/e2e/fronts.ts';

const C1 = { id: 'c1', secret: 'e2e-c1-secret-0123456789abcdef0123' };
const C2 = { id: 'c2', secret: 'e2e-c2-secret-fedcba9876543210fedc' };
const KEYS = JSON.stringify({ [C1.id]: secretHash(C1.id, C1.secret), [C2.id]: secretHash(C2.id, C2.secret) });
/** Cluster c2 is served with policy disabled, so one deployment shows both policies. */
const BUNDLE = `clusters:\n  c2: {policy: disabled}\nrevisions:\n  master: {profile: istio-master}\n`;

let cp: ControlPlane;
let webhookCa: Ca;
let leaf: Leaf;
let bundleFile: string;
let sm: FakeSecretsManager;
const fronts: WebhookFront[] = [];
const execFile = promisify(execFileCallback);

const frontEnv = () => ({ OUTRIGGER_AUTH_KEYS: KEYS, OUTRIGGER_CONFIG: bundleFile });
const keyUrl = (f: WebhookFront, c = C1) => `${f.url}/inject/cluster/${c.id}/key/${c.secret}/net/n1`;
/** Without a network, as `kube-inject` renders (no topology.istio.io/network label). */
const noNetUrl = (f: WebhookFront) => `${f.url}/inject/cluster/${C1.id}/key/${C1.secret}`;

before(async () => {
  assert.ok(controlPlaneBuilt(), 'the control plane is not built: run bash test/controlplane/build.sh');
  const ports = [await freePort(), await freePort()] as const;
  // The API server presents c1's secret as a bearer token to both fronts (docs/security.md, "Caller
  // authentication").
  cp = await startControlPlane(ports.map((p) => ({ host: `127.0.0.1:${p}`, token: C1.secret })));
  webhookCa = makeCa(cp.dir, 'webhook-ca');
  leaf = makeLeaf(cp.dir, 'webhook', webhookCa);
  bundleFile = join(cp.dir, 'bundle.yaml');
  writeFileSync(bundleFile, BUNDLE);
  sm = await startSecretsManager();
  fronts.push(await serverFront(ports[0], leaf), await lambdaFront(ports[1], leaf, { authKeys: KEYS }));
});
after(async () => {
  for (const f of fronts) await f.dispose();
  await sm?.close();
  await cp?.stop();
});

/** Applies webhook-config's output for `url` (and `args`) with the webhook CA, replacing any other. */
async function useWebhooks(url: string, args: string[] = []): Promise<string> {
  await deleteWebhooks(cp);
  return apply(cp, webhookConfig(['--url', url, '--ca-bundle', webhookCa.certFile, ...args]));
}

const message = (r: { json: any; text: string }) => (r.json?.message as string | undefined) ?? r.text;

for (const [index, label] of (['server.js', 'Lambda zip'] as const).entries()) {
  const tag = index === 0 ? 'srv' : 'fn';
  const front = () => fronts[index] as WebhookFront;

  describe(`${label} called by kube-apiserver 1.35`, () => {
    before(async () => {
      assert.equal(front().label, label);
      await front().start(frontEnv());
      await namespace(cp, `${tag}-inject`, { 'istio-injection': 'enabled' });
      await namespace(cp, `${tag}-plain`);
    });
    after(() => front().stop());

    it('webhook-config output is accepted unchanged: default, --revision twice with --tag, --namespace-mode all', async () => {
      const url = keyUrl(front());
      await useWebhooks(url);
      const one = await cp.api('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
      assert.deepEqual(
        one.json.items.map((c: any) => c.metadata.name),
        ['outrigger-sidecar-injector'],
      );
      for (const w of one.json.items[0].webhooks) {
        assert.deepEqual(
          w.matchConditions.map((m: { name: string }) => m.name),
          ['skip-system-namespaces', 'skip-mirror-pods'],
        );
      }
      await useWebhooks(url, ['--revision', 'default', '--revision', 'master', '--tag', 'prod=master']);
      const many = await cp.api('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
      assert.deepEqual(many.json.items.map((c: any) => c.metadata.name).sort(), [
        'outrigger-revision-tag-prod',
        'outrigger-sidecar-injector',
        'outrigger-sidecar-injector-master',
      ]);
      await useWebhooks(url, ['--namespace-mode', 'all']);
      const all = await cp.api(
        'GET',
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/outrigger-sidecar-injector',
      );
      assert.ok(all.json.webhooks.some((w: { name: string }) => w.name.startsWith('auto.')));
    });

    it('the 12 rows of namespace selector × policy × sidecar.istio.io/inject, through real pod creation', async () => {
      const got: string[] = [];
      for (const policy of ['enabled', 'disabled'] as const) {
        await useWebhooks(keyUrl(front(), policy === 'enabled' ? C1 : C2));
        for (const [selected, p, annotation, want] of SEED_TABLE) {
          if (p !== policy) continue;
          const name = `row-${policy}-${selected ? 'sel' : 'nosel'}-${annotation ?? 'none'}`;
          const pod = simplePod(
            name,
            annotation === null ? {} : { annotations: { 'sidecar.istio.io/inject': annotation } },
          );
          const r = await createPod(cp, selected ? `${tag}-inject` : `${tag}-plain`, pod);
          assert.equal(r.status, 201, r.text);
          const injected = proxies(r.json) === 1;
          if (injected !== want) got.push(`${name}: injected ${injected}, want ${want}`);
        }
      }
      assert.deepEqual(got, []);
    });

    for (const release of ['1.30', 'master'] as const) {
      it(`every golden input pod of ${release === '1.30' ? 'the default profile (istio-1.30)' : 'istio-master'}: accepted, and stored as outrigger kube-inject makes it`, async (t) => {
        await useWebhooks(noNetUrl(front()), ['--revision', 'default', '--revision', 'master']);
        const ns = `${tag}-golden-${release.replace('.', '')}`;
        await namespace(
          cp,
          ns,
          release === 'master' ? { 'istio.io/rev': 'master' } : { 'istio-injection': 'enabled' },
        );
        const pods = goldenInputPods(release);
        const args = release === 'master' ? ['--revision', 'master'] : [];
        // The webhook is given the pod as the API server has defaulted it (ports get their protocol, the
        // service account token volume is mounted, ...), so kube-inject is given that pod too.
        const expected = await Promise.all(
          pods.map((pod) => limit(() => kubeInjectDefaulted(pod, ns, `${tag}-plain`, args))),
        );
        const problems: string[] = [];
        let injected = 0;
        for (const [i, pod] of pods.entries()) {
          const name = pod.metadata.name as string;
          const want = expected[i] as Pod | string;
          const got = await createPod(cp, ns, pod);
          if (typeof want === 'string') {
            // kube-inject refused the pod: the webhook must refuse it too, for the same reason.
            if (got.status === 201 || !message(got).includes(want))
              problems.push(
                `${name}: kube-inject says "${want}"; the API server: ${got.status} ${message(got)}`,
              );
            continue;
          }
          const { namespace: _ns, ...meta } = want.metadata;
          const defaulted = await createPod(cp, `${tag}-plain`, { ...want, metadata: meta }, true);
          if (defaulted.status !== 201) {
            // Istio's own output for this pod is invalid too (only-proxy-container with native sidecars
            // leaves no containers): the webhook's pod must be refused for the same reason.
            if (message(got) !== message(defaulted))
              problems.push(
                `${name}: kube-inject's output is refused with "${message(defaulted)}"; the webhook's: ${got.status} ${message(got)}`,
              );
            continue;
          }
          if (got.status !== 201) {
            problems.push(`${name}: refused: ${message(got)}`);
            continue;
          }
          if (proxies(got.json) > 0) injected++;
          const diff = firstDifference(normalise(got.json), normalise(calledForC1(defaulted.json)));
          if (diff) problems.push(`${name}: the stored pod differs from kube-inject's at ${diff}`);
        }
        t.diagnostic(`${pods.length} pods created, ${injected} injected`);
        assert.ok(injected > pods.length / 2, `${injected} of ${pods.length} injected`);
        assert.deepEqual(problems, []);
      });
    }

    it('a Deployment, a Job and a StatefulSet through kube-controller-manager: their pods are injected', async () => {
      await useWebhooks(keyUrl(front()));
      const ns = `${tag}-inject`;
      const template = (app: string) => ({
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }], restartPolicy: 'Always' },
      });
      const workloads = [
        [
          'apis/apps/v1',
          'deployments',
          {
            metadata: { name: 'web' },
            spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') },
          },
          'web',
          2,
        ],
        [
          'apis/batch/v1',
          'jobs',
          {
            metadata: { name: 'batch' },
            spec: {
              template: { ...template('batch'), spec: { ...template('batch').spec, restartPolicy: 'Never' } },
            },
          },
          'batch',
          1,
        ],
        [
          'apis/apps/v1',
          'statefulsets',
          {
            metadata: { name: 'db' },
            spec: {
              replicas: 1,
              serviceName: 'db',
              selector: { matchLabels: { app: 'db' } },
              template: template('db'),
            },
          },
          'db',
          1,
        ],
      ] as const;
      for (const [api, kind, body, app, count] of workloads) {
        const r = await cp.api('POST', `/${api}/namespaces/${ns}/${kind}`, body);
        assert.equal(r.status, 201, r.text);
        const pods = await eventually(`${kind} pods`, async () => {
          const list = await cp.api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
          return list.json.items.length >= count ? (list.json.items as Pod[]) : undefined;
        });
        for (const pod of pods) {
          assert.equal(proxies(pod), 1, `${kind}: ${pod.metadata.name}`);
          assert.ok(
            pod.metadata.ownerReferences?.length === 1,
            `${kind}: ${pod.metadata.name} has its owner`,
          );
          assert.equal(pod.metadata.annotations['sidecar.istio.io/status'] !== undefined, true);
        }
        if (kind !== 'statefulsets')
          assert.ok(
            pods.every((p) => p.metadata.generateName),
            `${kind}: generateName`,
          );
      }
    });

    it('the function stopped: with Fail the pod is refused naming the webhook; with Ignore it is created without a sidecar', async (t) => {
      await front().stop();
      try {
        await useWebhooks(keyUrl(front()));
        const refused = await createPod(cp, `${tag}-inject`, simplePod('down-fail'));
        assert.equal(refused.status, 500, refused.text);
        assert.match(
          message(refused),
          /failed calling webhook "namespace\.sidecar-injector\.outrigger\.dev"/,
        );
        t.diagnostic(`Fail: ${message(refused)}`);
        await useWebhooks(keyUrl(front()), ['--failure-policy', 'Ignore']);
        const created = await createPod(cp, `${tag}-inject`, simplePod('down-ignore'));
        assert.equal(created.status, 201, created.text);
        assert.equal(proxies(created.json), 0);
        // `outrigger audit` finds it in the cluster's own dump.
        const mwcFile = join(cp.dir, 'webhooks.yaml');
        writeFileSync(mwcFile, webhookConfig(['--url', keyUrl(front())]));
        const dumped = await cp.kubectl(['get', 'namespaces,pods', '-A', '-o', 'json']);
        assert.equal(dumped.status, 0, dumped.stderr);
        const audit = spawnSync(
          process.execPath,
          [
            join(ROOT, 'dist', 'cli.js'),
            'audit',
            '-f',
            '-',
            '--config',
            bundleFile,
            '--webhook-config',
            mwcFile,
          ],
          { input: dumped.stdout, encoding: 'utf8' },
        );
        assert.equal(audit.status, 1, audit.stderr);
        assert.match(
          audit.stdout,
          new RegExp(`^${tag}-inject/Pod/down-ignore: 1 pod with no sidecar \\(down-ignore\\): `, 'm'),
        );
        t.diagnostic(`audit: ${audit.stdout.split('\n').find((l) => l.includes('down-ignore'))}`);
      } finally {
        await front().start(frontEnv());
      }
    });

    it("a config store slower than the webhook timeout: refused with the API server's timeout, or with Outrigger's reason when the store timeout is shorter", async (t) => {
      sm.put('e2e/bundle', 'policy: enabled\n');
      sm.mode = 'slow';
      sm.slowMs = 20_000;
      const storeEnv = {
        ...frontEnv(),
        OUTRIGGER_CONFIG: 'secretsmanager://e2e/bundle',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
        AWS_ACCESS_KEY_ID: 'e2e',
        AWS_SECRET_ACCESS_KEY: 'e2e',
        AWS_REGION: 'us-east-1',
      };
      try {
        // The store timeout (3 s) over the webhook's 2 s: the API server gives up first.
        await front().start(storeEnv);
        await useWebhooks(keyUrl(front()), ['--timeout', '2']);
        const late = await createPod(cp, `${tag}-inject`, simplePod('slow-store-late'));
        assert.equal(late.status, 500, late.text);
        assert.match(
          message(late),
          /failed calling webhook "namespace\.sidecar-injector\.outrigger\.dev".*(deadline|timeout|Timeout)/s,
        );
        t.diagnostic(`webhook timeout 2 s, store timeout 3 s: ${message(late)}`);
        // A store timeout under the webhook's: Outrigger answers first, with its reason.
        await front().start({ ...storeEnv, OUTRIGGER_CONFIG_TIMEOUT: '1' });
        await useWebhooks(keyUrl(front()), ['--timeout', '10']);
        const denied = await createPod(cp, `${tag}-inject`, simplePod('slow-store-denied'));
        assert.equal(denied.status, 400, denied.text);
        assert.match(
          message(denied),
          /admission webhook "namespace\.sidecar-injector\.outrigger\.dev" denied the request/,
        );
        t.diagnostic(`webhook timeout 10 s, store timeout 1 s: ${message(denied)}`);
      } finally {
        sm.mode = 'up';
        await front().start(frontEnv());
      }
    });

    it('a wrong key: kubectl shows the 401 from the webhook', async () => {
      // localhost, not 127.0.0.1: the API server's kubeconfig has no token for this host, so the key is
      // the only credential.
      await useWebhooks(
        `${front().url.replace('127.0.0.1', 'localhost')}/inject/cluster/c1/key/not-the-secret/net/n1`,
      );
      const r = await cp.kubectl(
        ['create', '-n', `${tag}-inject`, '-f', '-'],
        JSON.stringify(simplePod('wrong-key')),
      );
      assert.notEqual(r.status, 0);
      // How the API server reports a webhook's 401.
      assert.match(
        r.stderr,
        /failed calling webhook "namespace\.sidecar-injector\.outrigger\.dev": failed to call webhook: the server has asked for the client to provide credentials/,
      );
    });

    it("the bearer token from the API server's AdmissionConfiguration kubeconfig authenticates a URL without a key", async () => {
      await useWebhooks(`${front().url}/inject/cluster/c1/net/n1`);
      const r = await createPod(cp, `${tag}-inject`, simplePod('bearer'));
      assert.equal(r.status, 201, r.text);
      assert.equal(proxies(r.json), 1);
      // The same token on c2's path is another cluster's credential: 403, so the token was sent.
      await useWebhooks(`${front().url}/inject/cluster/c2/net/n1`);
      const other = await createPod(cp, `${tag}-inject`, simplePod('bearer-c2'));
      assert.match(
        message(other),
        /failed calling webhook "namespace\.sidecar-injector\.outrigger\.dev": failed to call webhook: forbidden/,
      );
    });

    it('reinvocationPolicy IfNeeded with a second webhook adding a container: one istio-proxy; --dry-run=server stores nothing', async () => {
      const adder = await containerAdder(leaf);
      try {
        await useWebhooks(keyUrl(front()), ['--reinvocation', 'IfNeeded']);
        await apply(cp, JSON.stringify(adderWebhook(adder.url, webhookCa.pem)));
        const r = await createPod(cp, `${tag}-inject`, simplePod('reinvoked'));
        assert.equal(r.status, 201, r.text);
        assert.equal(proxies(r.json), 1);
        assert.ok(r.json.spec.containers.some((c: { name: string }) => c.name === 'added-late'));
        assert.ok(adder.calls() >= 1);

        const dry = await cp.kubectl(
          ['create', '--dry-run=server', '-o', 'json', '-n', `${tag}-inject`, '-f', '-'],
          JSON.stringify(simplePod('dry')),
        );
        assert.equal(dry.status, 0, dry.stderr);
        assert.equal(proxies(JSON.parse(dry.stdout)), 1);
        assert.equal((await cp.api('GET', `/api/v1/namespaces/${tag}-inject/pods/dry`)).status, 404);
      } finally {
        await adder.close();
      }
    });

    it('a mirror pod (kubernetes.io/config.mirror) is never mutated', async () => {
      await useWebhooks(keyUrl(front()));
      const pod = simplePod('static-web', {
        annotations: { 'kubernetes.io/config.mirror': 'c0ffee', 'sidecar.istio.io/inject': 'true' },
      });
      pod.spec.nodeName = 'node-1';
      const r = await createPod(cp, `${tag}-inject`, pod);
      assert.equal(r.status, 201, r.text);
      assert.equal(proxies(r.json), 0);
      assert.equal(r.json.metadata.annotations['sidecar.istio.io/status'], undefined);
    });
  });
}

/** The golden cases' input workloads of a release, each pod or pod template as a Pod of its own. */
function goldenInputPods(release: string): Pod[] {
  const dir = join(ROOT, 'test', 'conformance', 'istio-versions', release, 'cases');
  const cases = JSON.parse(readFileSync(join(dir, '..', 'cases.json'), 'utf8')) as { input: string }[];
  const inputs = [...new Set(cases.map((c) => c.input))].filter((f) => readdirSync(dir).includes(f)).sort();
  const pods: Pod[] = [];
  for (const file of inputs) {
    const docs = yaml.loadAll(readFileSync(join(dir, file), 'utf8')) as any[];
    const flat = docs.flatMap((d) => (d?.kind === 'List' ? d.items : [d])).filter(Boolean);
    for (const [i, doc] of flat.entries()) {
      const template =
        doc.kind === 'Pod'
          ? doc
          : doc.kind === 'CronJob'
            ? doc.spec?.jobTemplate?.spec?.template
            : doc.spec?.template;
      if (!template?.spec) continue;
      const base = file
        .replace(/\.yaml$/, '')
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-');
      const name = `${base}-${i}`.slice(0, 63).replace(/-+$/, '');
      const { namespace: _ns, name: _n, generateName: _g, ...meta } = template.metadata ?? {};
      pods.push({ apiVersion: 'v1', kind: 'Pod', metadata: { ...meta, name }, spec: template.spec } as Pod);
    }
  }
  return pods;
}

/**
 * `outrigger kube-inject` (dist/cli.js), with the bundle the webhooks serve, of the pod as the API server
 * hands it to a webhook in namespace `ns`: defaulted by a dry run in `plain`, a namespace no webhook
 * selects. The injected pod, or the error kube-inject printed.
 */
async function kubeInjectDefaulted(
  pod: Pod,
  ns: string,
  plain: string,
  args: string[],
): Promise<Pod | string> {
  const dry = await createPod(cp, plain, pod, true);
  if (dry.status !== 201) return message(dry);
  const { uid: _u, creationTimestamp: _c, managedFields: _m, ...meta } = dry.json.metadata;
  const file = join(cp.dir, `kube-inject-${ns}-${pod.metadata.name}.yaml`);
  writeFileSync(file, yaml.dump({ ...dry.json, metadata: { ...meta, namespace: ns }, status: undefined }));
  const r = await execFile(process.execPath, [
    join(ROOT, 'dist', 'cli.js'),
    'kube-inject',
    '-f',
    file,
    '--config',
    bundleFile,
    ...args,
  ]).then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  if (r.code !== 0) return r.stderr.trim().replace(/^error: Pod "[^"]*": /, '');
  const docs = (yaml.loadAll(r.stdout) as Pod[]).filter(Boolean);
  assert.equal(docs.length, 1, r.stdout);
  return docs[0] as Pod;
}

/** Runs at most two at a time (the machine's cores). */
const limit = (() => {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= 2) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
})();

/**
 * The pod as the webhook answers on c1's URL: like Istio's (overwriteClusterInfo), the URL's cluster is
 * the proxy's ISTIO_META_CLUSTER_ID, moved among the env vars (normalise sorts the proxy's env, so the
 * move is not compared). kube-inject has no URL, so no cluster.
 */
function calledForC1(pod: Pod): Pod {
  for (const c of [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]) {
    if (c.name !== 'istio-proxy') continue;
    for (const e of c.env) if (e.name === 'ISTIO_META_CLUSTER_ID') e.value = C1.id;
  }
  return pod;
}

/** A stored pod without what differs between any two creations: ids, times, the token volume's suffix. */
function normalise(pod: any): unknown {
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    managedFields: _m,
    namespace: _n,
    ...meta
  } = pod.metadata;
  for (const c of [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])])
    if (c.name === 'istio-proxy')
      c.env?.sort((x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name));
  const text = JSON.stringify({ ...pod, metadata: meta }).replace(
    /kube-api-access-[a-z0-9]{5}/g,
    'kube-api-access',
  );
  return JSON.parse(text);
}

function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
    const names = (l: unknown[]) => l.map((x: any) => x?.name ?? JSON.stringify(x)?.slice(0, 40)).join(', ');
    return `${path}: [${names(a)}] ≠ [${names(b)}]`;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as any)[k], (b as any)[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  return `${path || '/'}: ${JSON.stringify(a)?.slice(0, 300)} ≠ ${JSON.stringify(b)?.slice(0, 300)}`;
}

/** A second mutating webhook that adds a container to every pod, as another injector would. */
async function containerAdder(tls: Leaf): Promise<{ url: string; calls(): number; close(): Promise<void> }> {
  let calls = 0;
  const server: Server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      calls++;
      const review = JSON.parse(body);
      const has = (review.request.object.spec.containers as { name: string }[]).some(
        (c) => c.name === 'added-late',
      );
      const patch = has
        ? []
        : [
            {
              op: 'add',
              path: '/spec/containers/-',
              value: { name: 'added-late', image: 'registry.example/late:1' },
            },
          ];
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: true,
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          },
        }),
      );
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    url: `https://127.0.0.1:${port}/add`,
    calls: () => calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Its webhook configuration, named to run after Outrigger's (the API server orders them by name). */
const adderWebhook = (url: string, caPem: string) =>
  plainWebhook('zz-container-adder', 'adder.e2e.example', url, caPem, { 'istio-injection': 'enabled' });
