import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { webhookUrlProblems } from '../../lib/webhook-config/url.ts';

const FORM = '; desired format: https://host[/path]';

describe('webhookUrlProblems', () => {
  it('accepts https URLs with a host, a port, a path', () => {
    for (const url of [
      'https://injector.example.com',
      'https://injector.example.com/inject',
      'https://10.0.0.1:8443/inject/cluster/c1/net/n1',
      'https://[::1]:443/x',
      'HTTPS://Injector.Example.com/x',
      // An empty query or fragment is none (Go's url.Parse gives RawQuery and Fragment "").
      'https://injector.example.com/?',
      'https://injector.example.com/#',
    ]) {
      assert.deepEqual(webhookUrlProblems(url), [], url);
    }
  });

  it('says what the API server says about each rule broken', () => {
    const cases: [string, string[]][] = [
      ['http://injector.example.com/inject', [`'https' is the only allowed URL scheme, not 'http'${FORM}`]],
      // WHATWG URL would take "inject" as the host; the API server (Go's url.Parse) sees none.
      ['https:///inject', [`host must be specified${FORM}`]],
      ['https://user:pass@injector.example.com/', ['user information is not permitted in the URL']],
      // Empty user info is still user info to Go, though WHATWG URL drops it.
      ['https://@injector.example.com/', ['user information is not permitted in the URL']],
      ['https://injector.example.com/inject#part', ['fragments are not permitted in the URL']],
      ['https://injector.example.com/inject?key=s3cret', ['query parameters are not permitted in the URL']],
    ];
    for (const [url, problems] of cases) assert.deepEqual(webhookUrlProblems(url), problems, url);
  });

  it("reports all the problems at once, in the API server's order", () => {
    assert.deepEqual(webhookUrlProblems('http://u@host/p?q#f'), [
      `'https' is the only allowed URL scheme, not 'http'${FORM}`,
      'user information is not permitted in the URL',
      'fragments are not permitted in the URL',
      'query parameters are not permitted in the URL',
    ]);
  });
});
