import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStatus, STATUS_ANNOTATION, statusAnnotation } from '../../lib/finish/status.ts';
import type { Pod } from '../../lib/kube/types.ts';

const rendered: Pod = {
  metadata: { annotations: { 'sidecar.istio.io/foo': 'x' } },
  spec: {
    initContainers: [{ name: 'istio-init' }],
    containers: [{ name: 'istio-proxy' }, { name: 'app' }],
    volumes: [{ name: 'istio-envoy' }, { name: 'istio-data' }],
    imagePullSecrets: [{ name: 'pull' }],
  },
};

describe('statusAnnotation', () => {
  it('is sidecar.istio.io/status', () => {
    assert.equal(STATUS_ANNOTATION, 'sidecar.istio.io/status');
  });

  it("lists the names of what the templates rendered, in Istio's field order", () => {
    assert.equal(
      statusAnnotation(rendered, 'canary'),
      '{"initContainers":["istio-init"],"containers":["istio-proxy","app"],' +
        '"volumes":["istio-envoy","istio-data"],"imagePullSecrets":["pull"],"revision":"canary"}',
    );
  });

  it('writes an absent or empty list as null, and the empty revision as "default"', () => {
    const pod: Pod = { spec: { initContainers: [], containers: [{ name: 'istio-proxy' }] } };
    assert.equal(
      statusAnnotation(pod, ''),
      '{"initContainers":null,"containers":["istio-proxy"],"volumes":null,"imagePullSecrets":null,"revision":"default"}',
    );
    assert.equal(
      statusAnnotation({}, ''),
      '{"initContainers":null,"containers":null,"volumes":null,"imagePullSecrets":null,"revision":"default"}',
    );
  });
});

describe('parseStatus', () => {
  it('reads back the lists statusAnnotation wrote, null lists as empty', () => {
    assert.deepEqual(parseStatus(statusAnnotation(rendered, 'canary')), {
      initContainers: ['istio-init'],
      containers: ['istio-proxy', 'app'],
      volumes: ['istio-envoy', 'istio-data'],
      imagePullSecrets: ['pull'],
    });
    assert.deepEqual(parseStatus(statusAnnotation({ spec: { containers: [{ name: 'istio-proxy' }] } }, '')), {
      initContainers: [],
      containers: ['istio-proxy'],
      volumes: [],
      imagePullSecrets: [],
    });
  });

  it('reads missing fields as empty lists', () => {
    assert.deepEqual(parseStatus('{"containers":["istio-proxy"]}'), {
      initContainers: [],
      containers: ['istio-proxy'],
      volumes: [],
      imagePullSecrets: [],
    });
    assert.deepEqual(parseStatus('{}'), {
      initContainers: [],
      containers: [],
      volumes: [],
      imagePullSecrets: [],
    });
  });

  it('counts an absent, unreadable or non-object annotation as nothing injected before', () => {
    for (const value of [undefined, '', 'not json', '{"containers":', '[]', '"x"', '42']) {
      assert.equal(parseStatus(value), undefined, String(value));
    }
  });
});
