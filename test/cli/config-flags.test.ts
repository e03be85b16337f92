import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySet, applySetFlag, bundleFromParts } from '../../lib/cli/config-flags.ts';

describe('hardening against hostile input', () => {
  it('--set refuses prototype paths', () => {
    assert.throws(
      () => applySet({}, '__proto__.policy=disabled'),
      /--set __proto__.policy: not a values path/,
    );
    assert.equal(({} as Record<string, unknown>).policy, undefined);
  });
});

describe('fixed differences from Istio', () => {
  it("--set takes istioctl's values. prefix and meshConfig., and refuses a path nothing reads", () => {
    const base = bundleFromParts({ layers: [], set: [], source: 't' });
    const helm = applySetFlag(base, 'global.proxy.image=X');
    const istioctl = applySetFlag(base, 'values.global.proxy.image=X');
    assert.deepEqual(istioctl.values, helm.values);
    assert.equal((helm.values.global as { proxy: { image: string } }).proxy.image, 'X');
    assert.equal(applySetFlag(base, 'meshConfig.trustDomain=example.org').mesh.trustDomain, 'example.org');
    // Read by a template though not in the chart's values.
    assert.deepEqual(
      (applySetFlag(base, 'values.global.proxy.lifecycle.preStop.exec.command=[a]').values.global as any)
        .proxy.lifecycle,
      { preStop: { exec: { command: ['a'] } } },
    );
    assert.throws(
      () => applySetFlag(base, 'values.global.proxy.imagee=X'),
      /--set values\.global\.proxy\.imagee: global\.proxy\.imagee is not in the istio-1\.30 values and no template reads it/,
    );
    assert.throws(
      () => applySetFlag(base, 'values.values.global.proxy.image=X'),
      /values\.global\.proxy\.image is not in/,
    );
    assert.throws(() => applySetFlag(base, 'components.cni.enabled=true'), /IstioOperator install setting/);
    assert.throws(() => applySetFlag(base, 'profile=istio-1.28'), /use --profile/);
    const old = bundleFromParts({
      layers: [],
      profile: 'istio-1.28',
      set: ['values.global.tag=1.28.0'],
      source: 't',
    });
    assert.equal(old.profile, 'istio-1.28');
    assert.equal((old.values.global as { tag: string }).tag, '1.28.0');
  });
});
