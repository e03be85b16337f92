import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { applySetFlag, bundleFromParts } from '../../lib/cli/config-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SERVICE = `# a service, kept exactly as written
apiVersion: v1
kind: Service
metadata: {name: hello}   # flow style stays
spec:
  ports: [{port: 80}]
`;
const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
${SERVICE}---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  containers: [{name: solo, image: busybox}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox}]
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db}
  spec:
    template:
      metadata: {annotations: {sidecar.istio.io/inject: "false"}}
      spec:
        containers: [{name: db, image: postgres}]
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent}
  spec:
    template:
      spec:
        hostNetwork: true
        containers: [{name: agent, image: agent}]
`;

describe('outrigger kube-inject', () => {
  it('injects every workload of a multi-document file and passes other kinds through unchanged', () => {
    const r = cli(['kube-inject', '-f', '-'], MANIFESTS);
    assert.equal(r.code, 0, r.stderr);
    const docs = r.stdout.split(/^---\n/m).filter(Boolean);
    assert.equal(docs.length, 5);
    assert.equal(docs[1], SERVICE, 'the Service is byte-for-byte what came in');

    const [deployment, , pod, cronjob, list] = docs.map((d) => yaml.load(d)) as any[];
    const names = (spec: any) => [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.name);
    assert.deepEqual(names(deployment.spec.template.spec), ['istio-init', 'istio-proxy', 'web']);
    assert.equal(
      deployment.spec.template.metadata.namespace,
      undefined,
      'no namespace added to the template',
    );
    const env = deployment.spec.template.spec.initContainers[1].env;
    assert.equal(env.find((e: any) => e.name === 'ISTIO_META_WORKLOAD_NAME').value, 'web');
    assert.deepEqual(names(pod.spec), ['istio-init', 'istio-proxy', 'solo']);
    assert.deepEqual(names(cronjob.spec.jobTemplate.spec.template.spec), [
      'istio-init',
      'istio-proxy',
      'job',
    ]);
    assert.equal(cronjob.spec.schedule, '0 3 * * *', 'user fields are never lost');
    assert.ok(
      cronjob.spec.jobTemplate.metadata.annotations['sidecar.istio.io/status'],
      'CronJob metadata goes on the job template',
    );
    assert.deepEqual(names(list.items[0].spec.template.spec), ['db'], 'opted out');
    assert.deepEqual(names(list.items[1].spec.template.spec), ['agent'], 'host network');
    assert.equal(
      r.stderr,
      'Skipping injection because StatefulSet "default/db" has sidecar injection disabled: annotation sidecar.istio.io/inject="false"\n' +
        'Skipping injection because DaemonSet "default/agent" has host networking enabled\n',
    );
  });

  it('reads a file, applies --set and --native-sidecars', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-cli-'));
    const file = join(dir, 'pod.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n',
    );
    const r = cli([
      'kube-inject',
      '-f',
      file,
      '--set',
      'global.hub=example.com/mesh',
      '--set',
      'global.tag=1.2.3',
      '--native-sidecars',
      'false',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pod = yaml.load(r.stdout.split('---\n')[0] as string) as any;
    assert.deepEqual(
      pod.spec.containers.map((c: any) => c.name),
      ['app', 'istio-proxy'],
    );
    assert.equal(pod.spec.containers[1].image, 'example.com/mesh/proxyv2:1.2.3');
  });

  it("--profile picks the Istio release; --set takes istioctl's values. spelling and refuses unknown paths", () => {
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n';
    const proxyOf = (stdout: string) =>
      (yaml.load(stdout.split('---\n')[0] as string) as any).spec.initContainers.find(
        (c: any) => c.name === 'istio-proxy',
      );
    const old = cli(
      ['kube-inject', '-f', '-', '--profile', 'istio-1.28', '--set', 'values.global.proxy.image=X'],
      pod,
    );
    assert.equal(old.code, 0, old.stderr);
    assert.equal(proxyOf(old.stdout).image, 'docker.io/istio/X:1.28.10');
    const now = cli(['kube-inject', '-f', '-'], pod);
    assert.equal(proxyOf(now.stdout).image, 'docker.io/istio/proxyv2:1.30.3');
    assert.ok(
      proxyOf(now.stdout).env.some((e: any) => e.name === 'GOMAXPROCS'),
      'istio-1.30 by default',
    );
    const master = cli(['kube-inject', '-f', '-', '--profile', 'istio-master'], pod);
    assert.ok(!proxyOf(master.stdout).env.some((e: any) => e.name === 'GOMAXPROCS'));

    const unknown = cli(['kube-inject', '-f', '-', '--profile', 'istio-1.27'], pod);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /profile: unknown profile "istio-1.27"; known profiles: istio-1.28, istio-1.29, istio-1.30, istio-master/,
    );
    const typo = cli(['kube-inject', '-f', '-', '--set', 'values.global.proxy.imagee=X'], pod);
    assert.equal(typo.code, 1);
    assert.match(
      typo.stderr,
      /^error: --set values\.global\.proxy\.imagee: global\.proxy\.imagee is not in the istio-1\.30 values/,
    );

    const check = cli(['check-inject', '-f', '-', '--profile', 'istio-1.29', '-o', 'json'], pod);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(JSON.parse(check.stdout)[0].inject, true);
    assert.equal(cli(['check-inject', '-f', '-', '--profile', 'nope'], pod).code, 1);
  });

  it("--revision serves the bundle's revisions.<name>", () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-cli-'));
    const bundle = join(dir, 'bundle.yaml');
    writeFileSync(bundle, "revisions:\n  1-29: {profile: istio-1.29, values: {global: {tag: '1.29.6'}}}\n");
    const pod =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n';
    const r = cli(['kube-inject', '-f', '-', '--config', bundle, '--revision', '1-29'], pod);
    assert.equal(r.code, 0, r.stderr);
    const out = yaml.load(r.stdout.split('---\n')[0] as string) as any;
    assert.equal(out.metadata.annotations['istio.io/rev'], '1-29');
    assert.equal(
      out.spec.initContainers.find((c: any) => c.name === 'istio-proxy').image,
      'docker.io/istio/proxyv2:1.29.6',
    );
    const unknown = cli(['kube-inject', '-f', '-', '--config', bundle, '--revision', '1-31'], pod);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /revision "1-31" is not served .*revisions: default, 1-29/);
  });

  it('reports bad input and bad flags clearly', () => {
    assert.deepEqual(cli(['kube-inject', '-f', '-'], 'a: [\n'), {
      code: 1,
      stdout: '',
      stderr: cli(['kube-inject', '-f', '-'], 'a: [\n').stderr,
    });
    assert.match(cli(['kube-inject', '-f', '-'], 'a: [\n').stderr, /^error: input is not YAML: /);
    const hint = "run 'outrigger kube-inject --help' for usage\n";
    assert.deepEqual(cli(['kube-inject']), {
      code: 2,
      stdout: '',
      stderr: `error: -f FILE (or - for standard input) is required\n${hint}`,
    });
    assert.equal(
      cli(['kube-inject', '-f', '-', '--native-sidecars', 'maybe'], '').stderr,
      `error: --native-sidecars must be true or false, not "maybe"\n${hint}`,
    );
    assert.equal(cli(['kube-inject', '--frobnicate']).code, 2, 'an unknown flag is a usage error');
    assert.deepEqual(cli(['kube-inject', '-f', '/nonexistent/manifests.yaml']), {
      code: 1,
      stdout: '',
      stderr: 'error: /nonexistent/manifests.yaml: no such file\n',
    });
    const bad = cli(
      ['kube-inject', '-f', '-'],
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {inject.istio.io/templates: nope}}\nspec: {containers: [{name: a}]}\n',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: Pod "default\/p": requested template "nope" not found; have .*sidecar/);
    assert.equal(cli(['frobnicate']).code, 2);
  });
});

describe('--set: a values path is known when the profile has it or a template reads it', () => {
  const TEMPLATE = [
    'metadata:',
    '  annotations:',
    '    trimmed: "{{-values.custom.trimmed-}}"',
    '    bracket: "{{ values["custom"]["bracket"] }}"',
    '    filtered: "{{ values.custom.base | default: values.custom.fallback }}"',
    '{%- if values.custom.cond %}',
    '{%- assign alias = values.custom.alias -%}',
    '    leaf: "{{ alias.leaf }}"',
    '{%- endif %}',
    '{%- assign whole = values.custom.whole %}',
    '    whole: "{{ whole }}"',
    '    keyed: "{{ values.custom.keyed[alias.leaf] }}"',
  ].join('\n');
  const bundle = bundleFromParts({ layers: [{ templates: { custom: TEMPLATE } }], set: [], source: 't' });
  const set = (path: string) => applySetFlag(bundle, `values.${path}=x`);

  it("reads liquidjs's analysis finds: trimmed outputs, brackets, filter arguments, tags, assign aliases", () => {
    for (const path of [
      'custom.trimmed',
      'custom.bracket',
      'custom.base',
      'custom.fallback',
      'custom.cond',
      'custom.alias.leaf',
      'custom.whole',
      'custom.whole.below',
      'custom.keyed.any',
    ]) {
      assert.equal((set(path).values.custom as any)[path.split('.')[1] as string] !== undefined, true, path);
    }
  });

  it('refuses what nothing reads: a sibling of a read, a path under an alias not read through it', () => {
    for (const path of ['custom.other', 'custom.alias.other', 'custom.trimmed-', 'global.proxy.imagee']) {
      assert.throws(() => set(path), /is not in the istio-1\.30 values and no template reads it/, path);
    }
    // The alias itself is no read once something is read through it.
    assert.throws(() => set('custom.alias'), /no template reads it/);
  });
});

describe('outrigger check-inject', () => {
  it('explains each pod, with the webhook selectors, as text and as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-cli-'));
    const mwc = join(dir, 'mwc.yaml');
    writeFileSync(
      mwc,
      yaml.dump({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'outrigger' },
        webhooks: [
          {
            name: 'namespace.sidecar-injector.outrigger.dev',
            namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } },
            objectSelector: {
              matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }],
            },
          },
        ],
      }),
    );
    const off = cli(
      ['check-inject', '-f', '-', '--webhook-config', mwc, '--namespace', 'apps', '-o', 'json'],
      MANIFESTS,
    );
    assert.equal(off.code, 0, off.stderr);
    const results = JSON.parse(off.stdout);
    assert.equal(results.length, 5);
    assert.deepEqual(results[0], {
      kind: 'Deployment',
      name: 'web',
      namespace: 'shop',
      inject: false,
      reason:
        'no webhook of outrigger selects it (namespace labels {"kubernetes.io/metadata.name":"apps"}, pod labels {"app":"web"})',
    });
    const on = cli(
      ['check-inject', '-f', '-', '--webhook-config', mwc, '--namespace-labels', 'istio-injection=enabled'],
      MANIFESTS,
    );
    assert.equal(
      on.stdout.split('\n')[0],
      'Deployment shop/web: inject (webhook namespace.sidecar-injector.outrigger.dev is called; no inject label or annotation; policy is enabled)',
    );
    assert.match(
      on.stdout,
      /DaemonSet default\/agent: skip \(webhook .* is called; pod uses host networking\)/,
    );
  });
});

describe('outrigger <command> --help, and one usage-error path', () => {
  const COMMANDS = [
    'kube-inject',
    'check-inject',
    'audit',
    'webhook-config',
    'auth-hash',
    'bundle',
    'publish',
    'rollout',
    'import',
    'version',
  ];

  it('every command prints its usage and flags with --help or -h, and exits 0', () => {
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const r = cli([command, flag]);
        assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: outrigger ${command}\\b`), command);
      }
    }
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    for (const command of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${command} `), command);
    assert.match(cli(['help', 'audit']).stdout, /^usage: outrigger audit/);
  });

  it('an unknown command or flag and an invalid choice: one line, a hint, exit 2', () => {
    assert.deepEqual(cli(['frobnicate']), {
      code: 2,
      stdout: '',
      stderr: `error: unknown command "frobnicate"\nrun 'outrigger --help' for usage\n`,
    });
    const choice = cli(['check-inject', '-f', '-', '-o', 'yaml'], '');
    assert.equal(choice.code, 2);
    assert.equal(
      choice.stderr,
      `error: -o must be text or json, not "yaml"\nrun 'outrigger check-inject --help' for usage\n`,
    );
    const flag = cli(['bundle', '--frobnicate', 'x']);
    assert.equal(flag.code, 2);
    assert.match(
      flag.stderr,
      /^error: Unknown option '--frobnicate'.*\nrun 'outrigger bundle --help' for usage\n$/s,
    );
  });
});

describe('check-inject evaluates the webhooks’ matchConditions (CEL)', () => {
  it('a pod in a labelled kube-system is not sent, and check-inject says which condition is false', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-cel-'));
    try {
      const mwc = join(dir, 'mwc.yaml');
      const made = cli(['webhook-config', '--url', 'https://x.example.com/inject/cluster/c1']);
      assert.equal(made.code, 0, made.stderr);
      writeFileSync(mwc, made.stdout);
      const pod =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a}]}\n';
      const labelled = ['--namespace-labels', 'istio-injection=enabled', '--webhook-config', mwc];
      const system = cli(['check-inject', '-f', '-', '--namespace', 'kube-system', ...labelled], pod);
      assert.equal(system.code, 0, system.stderr);
      assert.match(
        system.stdout,
        /^Pod kube-system\/p: skip \(no webhook is called \(.*matchCondition "skip-system-namespaces" is false/,
      );
      const mirror = cli(
        ['check-inject', '-f', '-', '--namespace', 'shop', ...labelled],
        pod.replace('{name: p}', '{name: p, annotations: {kubernetes.io/config.mirror: x}}'),
      );
      assert.match(mirror.stdout, /matchCondition "skip-mirror-pods" is false/);
      const shop = cli(['check-inject', '-f', '-', '--namespace', 'shop', ...labelled], pod);
      assert.match(shop.stdout, /^Pod shop\/p: inject \(webhook .* is called; /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
