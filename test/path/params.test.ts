import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseInjectEnvs } from '../../lib/path/params.ts';

// Istio's TestParseInjectEnvs (reference §1.6). The URL-encoded vectors arrive decoded, as Go's r.URL.Path.
const VECTORS: [string, Record<string, string>][] = [
  ['/', {}],
  ['/inject', {}],
  ['/inject/', {}],
  ['/inject/cluster/cluster1', { ISTIO_META_CLUSTER_ID: 'cluster1' }],
  [
    '/inject/cluster/cluster1/net/network1/',
    { ISTIO_META_CLUSTER_ID: 'cluster1', ISTIO_META_NETWORK: 'network1' },
  ],
  [
    '/inject/cluster/cluster--slash--1/net/network--slash--1',
    { ISTIO_META_CLUSTER_ID: 'cluster/1', ISTIO_META_NETWORK: 'network/1' },
  ],
  ['/inject/cluster/cluster1/custom_env/foo', { ISTIO_META_CLUSTER_ID: 'cluster1', CUSTOM_ENV: 'foo' }],
  ['/inject/cluster', {}],
  ['/inject/cluster/cluster1/network', { ISTIO_META_CLUSTER_ID: 'cluster1' }],
  [
    '/inject/:ENV:cluster=cluster2:ENV:rootpage=/foo/bar',
    { ISTIO_META_CLUSTER_ID: 'cluster2', ROOTPAGE: '/foo/bar' },
  ],
  ['/inject/rootpage1/value1/rootpage2/:ENV:abcd=efgh', { ROOTPAGE1: 'value1', ROOTPAGE2: ':ENV:abcd=efgh' }],
  ['/inject/:ENV:rootpage1=efgh:ENV:=abb:ENV:=', { ROOTPAGE1: 'efgh' }],
  [
    decodeURIComponent('%2Finject%2Frootpage1%2Ffoo%2Frootpage2%2Fbar'),
    { ROOTPAGE1: 'foo', ROOTPAGE2: 'bar' },
  ],
  [
    decodeURIComponent('/inject/%3AENV%3Arootpage1%3D%2Ffoo%2Fbar%3AENV%3Arootpage2%3D%2Fbar%2Ftoe'),
    { ROOTPAGE1: '/foo/bar', ROOTPAGE2: '/bar/toe' },
  ],
];

it('has the 14 vectors', () => assert.equal(VECTORS.length, 14));
for (const [path, want] of VECTORS) {
  it(`parseInjectEnvs(${JSON.stringify(path)})`, () => assert.deepEqual(parseInjectEnvs(path), want));
}
