import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configOf, env, proxyOf, webhook } from '../../harness/support/injected-pods.ts';
import { deploymentPod } from '../../harness/support/reviews.ts';

describe('fixed differences from Istio', () => {
  it('OTEL_RESOURCE_ATTRIBUTES from an OpenTelemetry provider with OTEL_SEMANTIC_CONVENTIONS (1.30 on)', async () => {
    const mesh = {
      extensionProviders: [
        {
          name: 'otel',
          opentelemetry: {
            service: 'c.o.svc',
            port: 4317,
            serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS',
          },
        },
      ],
    };
    const pod = {
      ...deploymentPod('web', { labels: { 'app.kubernetes.io/version': 'v2' } }),
      metadata: {
        ...deploymentPod('web', { labels: { 'app.kubernetes.io/version': 'v2' } }).metadata,
        namespace: 'shop',
      },
    };
    for (const profile of ['istio-1.30', 'istio-master']) {
      const out = proxyOf(await webhook(configOf(profile, { mesh }), pod));
      assert.equal(
        env(out, 'OTEL_RESOURCE_ATTRIBUTES'),
        'service.namespace=shop,service.version=v2,service.instance.id=shop.$(POD_NAME).web',
        profile,
      );
    }
    const annotated = deploymentPod('web', {
      annotations: {
        'resource.opentelemetry.io/service.namespace': 'store',
        'resource.opentelemetry.io/service.instance.id': 'one',
      },
    });
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30', { mesh }), annotated)), 'OTEL_RESOURCE_ATTRIBUTES'),
      'service.namespace=store,service.instance.id=one',
    );
    for (const profile of ['istio-1.28', 'istio-1.29']) {
      assert.equal(
        env(proxyOf(await webhook(configOf(profile, { mesh }), pod)), 'OTEL_RESOURCE_ATTRIBUTES'),
        undefined,
      );
    }
    assert.equal(
      env(proxyOf(await webhook(configOf('istio-1.30'), pod)), 'OTEL_RESOURCE_ATTRIBUTES'),
      undefined,
    );
  });
});
