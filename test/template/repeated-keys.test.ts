import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../lib/json.ts';
import { refuseRepeatedKeys } from '../../lib/template/repeated-keys.ts';

const TAIL =
  'a sidecar.istio.io/userVolume or userVolumeMount entry may not reuse a name or path the injector uses';

describe('refuseRepeatedKeys', () => {
  it('passes a render whose volume names and mount paths are each used once', () => {
    const fragment: JsonObject = {
      spec: {
        volumes: [{ name: 'istio-envoy' }, { name: 'user-vol' }],
        containers: [
          { name: 'istio-proxy', volumeMounts: [{ mountPath: '/etc/istio/proxy' }, { mountPath: '/user' }] },
          // The same path in another container is no repeat.
          { name: 'app', volumeMounts: [{ mountPath: '/etc/istio/proxy' }] },
        ],
        initContainers: [{ name: 'istio-init', volumeMounts: [{ mountPath: '/user' }] }],
      },
    };
    assert.doesNotThrow(() => refuseRepeatedKeys(fragment, 'sidecar'));
  });

  it('refuses a volume name rendered twice, naming the template and the volume', () => {
    const fragment: JsonObject = {
      spec: {
        volumes: [
          { name: 'istio-token', projected: {} },
          { name: 'istio-token', emptyDir: {} },
        ],
      },
    };
    assert.throws(() => refuseRepeatedKeys(fragment, 'sidecar'), {
      name: 'InjectionError',
      code: 'bad-annotation',
      message: `template "sidecar" renders volume "istio-token" twice: ${TAIL}`,
    });
  });

  it('refuses a mount path rendered twice in one container, containers and init containers alike', () => {
    const mounts = [
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'user', mountPath: '/var/run/secrets/istio' },
    ];
    assert.throws(
      () =>
        refuseRepeatedKeys({ spec: { containers: [{ name: 'istio-proxy', volumeMounts: mounts }] } }, 't'),
      {
        code: 'bad-annotation',
        message: `template "t" renders volume mount path in container "istio-proxy" "/var/run/secrets/istio" twice: ${TAIL}`,
      },
    );
    assert.throws(
      () =>
        refuseRepeatedKeys({ spec: { initContainers: [{ name: 'istio-init', volumeMounts: mounts }] } }, 't'),
      {
        code: 'bad-annotation',
        message: `template "t" renders volume mount path in container "istio-init" "/var/run/secrets/istio" twice: ${TAIL}`,
      },
    );
  });

  it('reports the volumes before the mounts', () => {
    const fragment: JsonObject = {
      spec: {
        containers: [{ name: 'c', volumeMounts: [{ mountPath: '/p' }, { mountPath: '/p' }] }],
        volumes: [{ name: 'v' }, { name: 'v' }],
      },
    };
    assert.throws(() => refuseRepeatedKeys(fragment, 's'), {
      message: `template "s" renders volume "v" twice: ${TAIL}`,
    });
  });

  it('skips entries without a string key and fragments without the lists', () => {
    const fragment: JsonObject = {
      spec: {
        volumes: [{ emptyDir: {} }, { emptyDir: {} }, { name: 1 }, { name: 1 }, 'x', null],
        containers: [{ name: 'c', volumeMounts: [{ name: 'a' }, { name: 'a' }] }, 'not a container'],
        initContainers: { not: 'a list' },
      },
    };
    assert.doesNotThrow(() => refuseRepeatedKeys(fragment, 's'));
    assert.doesNotThrow(() => refuseRepeatedKeys({}, 's'));
    assert.doesNotThrow(() => refuseRepeatedKeys({ spec: null }, 's'));
  });
});
