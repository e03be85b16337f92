// `outrigger audit` (dist/cli.js) on a cluster dump as `kubectl get namespaces,pods -A -o json` prints
// it: pods that the current config would inject but that have no sidecar, and pods whose sidecar is not
// the one it injects now. test/e2e/api-server.test.ts runs it on a real API server's dump too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ensureBuilt, ROOT } from '../../harness/deploy/build.ts';

let dir: string;
before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'outrigger-audit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', input });

const pod = (name: string, namespace: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: name } },
  spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  status: { phase: 'Running' },
  ...extra,
});

/** The pod as `outrigger kube-inject` injects it with the default config. */
function injected(name: string, namespace: string): Record<string, any> {
  const r = cli(['kube-inject', '-f', '-'], JSON.stringify(pod(name, namespace)));
  assert.equal(r.status, 0, r.stderr);
  return { ...(yaml.load(r.stdout.split('\n---')[0] as string) as object), status: { phase: 'Running' } };
}

function dump(): string {
  const outdated = injected('old-1', 'shop');
  for (const c of [...outdated.spec.initContainers, ...outdated.spec.containers])
    if (c.name === 'istio-proxy') c.image = 'docker.io/istio/proxyv2:1.28.0';
  const replica = (name: string) =>
    pod(name, 'shop', {
      metadata: {
        name,
        namespace: 'shop',
        // As a ReplicaSet makes them.
        generateName: 'web-7d9f8b6c5d-',
        labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8b6c5d', controller: true },
        ],
      },
    });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain', labels: {} } },
      replica('web-7d9f8b6c5d-a1b2c'),
      replica('web-7d9f8b6c5d-d3e4f'),
      injected('api-1', 'shop'),
      outdated,
      pod('done-1', 'shop', { status: { phase: 'Succeeded' } }),
      pod('other-1', 'plain'),
    ],
  });
}

describe('outrigger audit', () => {
  it('reports, per workload, pods without a sidecar and pods with an older one; exit 1', () => {
    const mwc = join(dir, 'mwc.yaml');
    const built = cli(['webhook-config', '--url', 'https://outrigger.example/inject/cluster/c1']);
    writeFileSync(mwc, built.stdout);
    const r = cli(['audit', '-f', '-', '--webhook-config', mwc], dump());
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stdout,
      'shop/Deployment/web: 2 pods with no sidecar (web-7d9f8b6c5d-a1b2c, web-7d9f8b6c5d-d3e4f): no inject label or annotation; policy is enabled\n' +
        'shop/Pod/old-1: 1 pod with an outdated sidecar (old-1): istio-proxy runs docker.io/istio/proxyv2:1.28.0; the current config injects docker.io/istio/proxyv2:1.30.3\n',
    );
    const json = JSON.parse(cli(['audit', '-f', '-', '--webhook-config', mwc, '-o', 'json'], dump()).stdout);
    assert.deepEqual(
      json.map((f: { workload: string; problem: string }) => [f.workload, f.problem]),
      [
        ['Deployment/web', 'no sidecar'],
        ['Pod/old-1', 'outdated sidecar'],
      ],
    );
  });

  it('exit 0 and says so when every pod is as its cluster’s config injects it; the List kubectl prints for the webhooks', () => {
    // c1's overlay changes the hub: a pod injected for c1 is judged by c1's config, as the webhook is.
    const bundle = join(dir, 'bundle.yaml');
    writeFileSync(bundle, 'clusters:\n  c1: {values: {global: {hub: registry.c1.example/istio}}}\n');
    // The pod as c1's webhook injects it (kube-inject names no cluster): c1's hub.
    const c1pod = injected('api-1', 'shop');
    for (const c of [...c1pod.spec.initContainers, ...c1pod.spec.containers])
      if (c.name === 'istio-proxy') c.image = c.image.replace('docker.io/istio', 'registry.c1.example/istio');
    const url = 'https://outrigger.example/inject/cluster/c1';
    const mwcList = join(dir, 'mwc-list.yaml');
    const mwc = yaml.load(cli(['webhook-config', '--url', url]).stdout);
    writeFileSync(mwcList, yaml.dump({ apiVersion: 'v1', kind: 'List', items: [mwc] }));
    const shop = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
    };
    const leaving = pod('leaving-1', 'shop', { status: { phase: 'Running' } }) as Record<string, any>;
    leaving.metadata.deletionTimestamp = '2026-12-07T00:00:00Z';
    const dumpText = JSON.stringify({ kind: 'List', items: [shop, c1pod, leaving] });
    const ok = cli(['audit', '-f', '-', '--webhook-config', mwcList, '--config', bundle], dumpText);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(ok.stdout, 'every pod has the sidecar the current config injects\n');
    // The same pods without c1's overlay: c1's sidecar is older than what the default injects.
    const stale = cli(['audit', '-f', '-', '--webhook-config', mwcList], dumpText);
    assert.equal(stale.status, 1);
    assert.match(
      stale.stdout,
      /^shop\/Pod\/api-1: 1 pod with an outdated sidecar \(api-1\): istio-proxy runs registry\.c1\.example\/istio\/proxyv2:/,
    );
  });

  it('refuses what it cannot judge: no --webhook-config, a dump that is not a List', () => {
    const bare = cli(['audit', '-f', '-'], JSON.stringify({ kind: 'List', items: [] }));
    assert.notEqual(bare.status, 0);
    assert.match(bare.stderr, /audit needs --webhook-config/);
    const mwc = join(dir, 'mwc.yaml');
    const bad = cli(['audit', '-f', '-', '--webhook-config', mwc], JSON.stringify(pod('x', 'shop')));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /the input is not a List: give it `kubectl get namespaces,pods -A -o json`/);
  });
});
