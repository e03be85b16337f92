import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoBool, validateAnnotations } from '../../lib/validate/annotations.ts';

/** The message validateAnnotations refuses `annotations` with, or undefined when it accepts them. */
function problem(annotations: Record<string, string> | undefined): string | undefined {
  try {
    validateAnnotations(annotations);
    return undefined;
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'bad-annotation');
    return (err as Error).message;
  }
}

const refused = (name: string, value: string, why: string) =>
  `invalid value '${value}' for annotation '${name}': ${why}`;

describe('validateAnnotations', () => {
  it('accepts the values Istio accepts', () => {
    const valid: [string, string][] = [
      ['sidecar.istio.io/interceptionMode', 'REDIRECT'],
      ['sidecar.istio.io/interceptionMode', 'TPROXY'],
      ['sidecar.istio.io/interceptionMode', 'NONE'],
      ['status.sidecar.istio.io/port', '0'],
      ['status.sidecar.istio.io/port', '65535'],
      ['readiness.status.sidecar.istio.io/initialDelaySeconds', '0'],
      ['readiness.status.sidecar.istio.io/periodSeconds', '4294967295'],
      ['readiness.status.sidecar.istio.io/failureThreshold', '30'],
      ['traffic.sidecar.istio.io/includeOutboundIPRanges', '*'],
      ['traffic.sidecar.istio.io/includeOutboundIPRanges', ''],
      ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8,fd00::/8,1.2.3.4/32,::/0'],
      ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '169.254.169.254/32'],
      ['traffic.sidecar.istio.io/excludeOutboundIPRanges', ''],
      ['traffic.sidecar.istio.io/includeInboundPorts', '*'],
      ['traffic.sidecar.istio.io/includeInboundPorts', '80, 8080 ,9090'],
      ['traffic.sidecar.istio.io/includeInboundPorts', ''],
      ['traffic.sidecar.istio.io/excludeInboundPorts', '15020'],
      ['traffic.sidecar.istio.io/excludeInboundPorts', ''],
      ['traffic.sidecar.istio.io/excludeOutboundPorts', '3306,5432'],
      ['prometheus.istio.io/merge-metrics', 'false'],
      ['prometheus.istio.io/merge-metrics', 'T'],
      ['proxy.istio.io/config', 'holdApplicationUntilProxyStarts: true'],
      ['proxy.istio.io/config', '{"concurrency": 2}'],
      ['proxy.istio.io/config', '  '],
      ['sidecar.istio.io/proxyCPU', '100m'],
      ['sidecar.istio.io/proxyMemory', '128Mi'],
      ['sidecar.istio.io/proxyCPULimit', '1.5'],
      ['sidecar.istio.io/proxyMemoryLimit', '1e9'],
      ['sidecar.istio.io/userVolume', '{"certs":{"secret":{"secretName":"c"}}}'],
      ['sidecar.istio.io/userVolume', '[]'],
      ['sidecar.istio.io/userVolumeMount', '{"certs":{"mountPath":"/certs","readOnly":true}}'],
      ['sidecar.istio.io/userVolumeMount', '{}'],
      // Annotations nobody validates take anything.
      ['traffic.sidecar.istio.io/includeOutboundPorts', 'anything'],
      ['example.com/whatever', '{{ not: [valid'],
    ];
    for (const [name, value] of valid)
      assert.equal(problem({ [name]: value }), undefined, `${name}=${value}`);
    assert.equal(problem(undefined), undefined);
    assert.equal(problem({}), undefined);
  });

  it('refuses a bad value with a message naming the annotation, the value and the problem', () => {
    const invalid: [string, string, string][] = [
      ['sidecar.istio.io/interceptionMode', 'redirect', 'interceptionMode invalid, use REDIRECT,TPROXY,NONE'],
      ['status.sidecar.istio.io/port', '65536', 'failed parsing port "65536"'],
      ['status.sidecar.istio.io/port', 'http', 'failed parsing port "http"'],
      ['status.sidecar.istio.io/port', '', 'failed parsing port ""'],
      [
        'readiness.status.sidecar.istio.io/initialDelaySeconds',
        '4294967296',
        '"4294967296" is not an unsigned 32-bit integer',
      ],
      ['readiness.status.sidecar.istio.io/periodSeconds', '-1', '"-1" is not an unsigned 32-bit integer'],
      [
        'readiness.status.sidecar.istio.io/failureThreshold',
        '1.5',
        '"1.5" is not an unsigned 32-bit integer',
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        '10.0.0.0',
        "includeIPRanges invalid: failed parsing cidr '10.0.0.0'",
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        '10.0.0.0/8, 11.0.0.0/8',
        "includeIPRanges invalid: failed parsing cidr ' 11.0.0.0/8'",
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        '10.0.0.0/33',
        "includeIPRanges invalid: failed parsing cidr '10.0.0.0/33'",
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        'fd00::/129',
        "includeIPRanges invalid: failed parsing cidr 'fd00::/129'",
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        '10.0.0.0/8/8',
        "includeIPRanges invalid: failed parsing cidr '10.0.0.0/8/8'",
      ],
      [
        'traffic.sidecar.istio.io/includeOutboundIPRanges',
        '10.0.0/8',
        "includeIPRanges invalid: failed parsing cidr '10.0.0/8'",
      ],
      // "*" means everything only for the include lists.
      [
        'traffic.sidecar.istio.io/excludeOutboundIPRanges',
        '*',
        "excludeIPRanges invalid: failed parsing cidr '*'",
      ],
      [
        'traffic.sidecar.istio.io/includeInboundPorts',
        '80,http',
        'includeInboundPorts invalid: failed parsing port "http"',
      ],
      [
        'traffic.sidecar.istio.io/excludeInboundPorts',
        '*',
        'excludeInboundPorts invalid: failed parsing port "*"',
      ],
      [
        'traffic.sidecar.istio.io/excludeOutboundPorts',
        '70000',
        'excludeOutboundPorts invalid: failed parsing port "70000"',
      ],
      ['prometheus.istio.io/merge-metrics', 'yes', '"yes" is not a boolean'],
      ['proxy.istio.io/config', '- a', 'must be a ProxyConfig map'],
      [
        'proxy.istio.io/config',
        '[1',
        'not YAML: unexpected end of the stream within a flow collection (line 2, column 1)',
      ],
      ['sidecar.istio.io/proxyCPU', 'lots', '"lots" is not a Kubernetes quantity (e.g. 100m, 128Mi)'],
      ['sidecar.istio.io/proxyMemory', '128 Mi', '"128 Mi" is not a Kubernetes quantity (e.g. 100m, 128Mi)'],
      ['sidecar.istio.io/proxyMemoryLimit', '1Gb', '"1Gb" is not a Kubernetes quantity (e.g. 100m, 128Mi)'],
      ['sidecar.istio.io/userVolume', '{"v": 1}', 'must be a JSON map of volume name to Volume'],
      ['sidecar.istio.io/userVolume', 'not json', 'must be a JSON map of volume name to Volume'],
      ['sidecar.istio.io/userVolumeMount', '"x"', 'must be a JSON map of volume name to VolumeMount'],
    ];
    for (const [name, value, why] of invalid) {
      assert.equal(problem({ [name]: value }), refused(name, value, why), `${name}=${value}`);
    }
  });

  it("refuses what Istio's parsers refuse: an empty item in a port list, a zone or a zero-led prefix length", () => {
    const ports = 'traffic.sidecar.istio.io/excludeInboundPorts';
    assert.equal(
      problem({ [ports]: '80,,90' }),
      refused(ports, '80,,90', 'excludeInboundPorts invalid: failed parsing port ""'),
    );
    assert.equal(
      problem({ [ports]: '80,' }),
      refused(ports, '80,', 'excludeInboundPorts invalid: failed parsing port ""'),
    );
    assert.equal(problem({ [ports]: ' 80 , 90 ' }), undefined, 'items and the list are trimmed');
    assert.equal(problem({ [ports]: '  ' }), undefined, 'a blank list is no list');
    const ranges = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';
    for (const cidr of ['10.0.0.0/08', 'fe80::1%eth0/64']) {
      assert.equal(
        problem({ [ranges]: cidr }),
        refused(ranges, cidr, `excludeIPRanges invalid: failed parsing cidr '${cidr}'`),
      );
    }
    assert.equal(problem({ [ranges]: '10.0.0.0/0,fe80::/10' }), undefined);
  });

  it('reports every problem at once, in the order of the annotations', () => {
    assert.equal(
      problem({
        'sidecar.istio.io/interceptionMode': 'X',
        'sidecar.istio.io/proxyCPU': '100m',
        'status.sidecar.istio.io/port': 'p',
      }),
      `${refused('sidecar.istio.io/interceptionMode', 'X', 'interceptionMode invalid, use REDIRECT,TPROXY,NONE')}; ` +
        refused('status.sidecar.istio.io/port', 'p', 'failed parsing port "p"'),
    );
  });

  it('echoes a long value only in part, with its length', () => {
    const value = 'x'.repeat(250);
    assert.equal(
      problem({ 'sidecar.istio.io/interceptionMode': value }),
      `invalid value '${'x'.repeat(200)}… (250 characters)' for annotation 'sidecar.istio.io/interceptionMode': ` +
        'interceptionMode invalid, use REDIRECT,TPROXY,NONE',
    );
    // At 200 characters it is still whole.
    const whole = 'y'.repeat(200);
    assert.equal(
      problem({ 'sidecar.istio.io/proxyCPU': whole }),
      refused(
        'sidecar.istio.io/proxyCPU',
        whole,
        `"${whole}" is not a Kubernetes quantity (e.g. 100m, 128Mi)`,
      ),
    );
  });

  it('an annotation named like an Object.prototype member is not validated', () => {
    assert.equal(problem({ toString: 'x', constructor: 'y', hasOwnProperty: 'z', valueOf: 'w' }), undefined);
  });
});

describe('parseGoBool', () => {
  it('reads the spellings Go strconv.ParseBool reads, and nothing else', () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(v), true, v);
    for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(v), false, v);
    for (const v of ['', 'yes', 'no', 'on', 'tRUE', 'fALSE', ' true', 'true ', '2', 'y']) {
      assert.equal(parseGoBool(v), undefined, JSON.stringify(v));
    }
  });
});
