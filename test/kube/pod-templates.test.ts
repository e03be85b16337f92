import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../lib/json.ts';
import { podSlotsOf } from '../../lib/kube/pod-templates.ts';

const template = () => ({
  metadata: { labels: { app: 'web' }, annotations: { a: '1' } },
  spec: { containers: [{ name: 'web', image: 'web:1' }] },
});

function workload(kind: string, apiVersion: string): JsonObject {
  return {
    apiVersion,
    kind,
    metadata: { name: 'web', namespace: 'shop', labels: { tier: 'front' } },
    spec: { replicas: 2, template: template() },
  };
}

describe('podSlotsOf', () => {
  it('a workload: its pod template, attributed to the workload', () => {
    const kinds: [string, string][] = [
      ['Deployment', 'apps/v1'],
      ['DaemonSet', 'apps/v1'],
      ['StatefulSet', 'apps/v1'],
      ['ReplicaSet', 'apps/v1'],
      ['ReplicationController', 'v1'],
      ['DeploymentConfig', 'apps.openshift.io/v1'],
      ['Job', 'batch/v1'],
    ];
    for (const [kind, apiVersion] of kinds) {
      const slots = podSlotsOf(workload(kind, apiVersion));
      assert.equal(slots.length, 1, kind);
      assert.deepEqual(slots[0]?.pod, template(), kind);
      assert.deepEqual(slots[0]?.workload, { name: 'web', namespace: 'shop', kind, apiVersion }, kind);
    }
  });

  it('replace writes the injected pod back into the template, leaving the rest of the object', () => {
    const doc = workload('Deployment', 'apps/v1');
    const [slot] = podSlotsOf(doc);
    assert.ok(slot);
    slot.replace({
      metadata: { labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' } },
      spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }] },
    });
    assert.deepEqual(doc, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { tier: 'front' } },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' } },
          spec: { containers: [{ name: 'web' }, { name: 'istio-proxy' }] },
        },
      },
    });
  });

  it('a template without metadata gives a pod with empty metadata', () => {
    const doc: JsonObject = { kind: 'Job', spec: { template: { spec: { containers: [] } } } };
    const [slot] = podSlotsOf(doc);
    assert.deepEqual(slot?.pod, { metadata: {}, spec: { containers: [] } });
    assert.deepEqual(slot?.workload, { name: '', namespace: '', kind: 'Job', apiVersion: '' });
  });

  it("a CronJob: the job template's pod spec, with the job template's metadata, as istioctl takes it", () => {
    const doc: JsonObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'ops' },
      spec: {
        schedule: '0 0 * * *',
        jobTemplate: {
          metadata: { labels: { job: 'nightly' } },
          spec: { template: { metadata: { labels: { pod: 'x' } }, spec: { containers: [{ name: 'run' }] } } },
        },
      },
    };
    const [slot, ...rest] = podSlotsOf(doc);
    assert.equal(rest.length, 0);
    assert.ok(slot);
    assert.deepEqual(slot.pod, {
      metadata: { labels: { job: 'nightly' } },
      spec: { containers: [{ name: 'run' }] },
    });
    assert.deepEqual(slot.workload, {
      name: 'nightly',
      namespace: 'ops',
      kind: 'CronJob',
      apiVersion: 'batch/v1',
    });

    slot.replace({ metadata: { labels: { job: 'nightly', injected: 'yes' } }, spec: { containers: [] } });
    assert.deepEqual(doc.spec, {
      schedule: '0 0 * * *',
      jobTemplate: {
        metadata: { labels: { job: 'nightly', injected: 'yes' } },
        spec: { template: { metadata: { labels: { pod: 'x' } }, spec: { containers: [] } } },
      },
    });
  });

  it("a Pod is its own slot; a controller-made Pod belongs to the controller's workload", () => {
    const bare: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [{ name: 'c' }] },
    };
    const [slot] = podSlotsOf(bare);
    assert.equal(slot?.pod, bare);
    assert.deepEqual(slot?.workload, { name: 'p', namespace: 'shop', kind: 'Pod', apiVersion: 'v1' });
    slot?.replace({ kind: 'Pod', metadata: { name: 'p', labels: { x: 'y' } }, spec: { containers: [] } });
    assert.deepEqual(bare, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { x: 'y' } },
      spec: { containers: [] },
    });

    const made: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-5d8f7c9b4-abcde',
        generateName: 'web-5d8f7c9b4-',
        namespace: 'shop',
        labels: { 'pod-template-hash': '5d8f7c9b4' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c9b4', controller: true },
        ],
      },
    };
    assert.deepEqual(podSlotsOf(made)[0]?.workload, {
      name: 'web',
      namespace: 'shop',
      kind: 'Deployment',
      apiVersion: 'apps/v1',
    });
  });

  it('a List: the slots of its items, in order, nested Lists included', () => {
    const doc: JsonObject = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        workload('Deployment', 'apps/v1'),
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } },
        { kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'inner' }, spec: {} }] },
      ],
    };
    assert.deepEqual(
      podSlotsOf(doc).map((s) => s.workload),
      [
        { name: 'web', namespace: 'shop', kind: 'Deployment', apiVersion: 'apps/v1' },
        { name: 'inner', namespace: '', kind: 'Pod', apiVersion: 'v1' },
      ],
    );
    assert.deepEqual(podSlotsOf({ kind: 'List' }), []);
  });

  it('no slot for other kinds, or an object without a kind', () => {
    const none: JsonObject[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { template: template() } },
      { apiVersion: 'v1', kind: 'ConfigMap', data: {} },
      { metadata: { name: 'kindless' }, spec: { template: template() } },
    ];
    for (const doc of none) assert.deepEqual(podSlotsOf(doc), [], JSON.stringify(doc));
  });
});
