import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourceList, parseSourceUri } from '../../lib/config/source-uri.ts';

describe('config source URIs', () => {
  it('reads every form', () => {
    assert.deepEqual(parseSourceUri('infra/istio'), {
      scheme: 'file',
      uri: 'infra/istio',
      path: 'infra/istio',
    });
    assert.deepEqual(parseSourceUri('file:///etc/outrigger/bundle.yaml'), {
      scheme: 'file',
      uri: 'file:///etc/outrigger/bundle.yaml',
      path: '/etc/outrigger/bundle.yaml',
    });
    assert.deepEqual(parseSourceUri('secretsmanager://outrigger/prod'), {
      scheme: 'secretsmanager',
      uri: 'secretsmanager://outrigger/prod',
      secretId: 'outrigger/prod',
    });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:outrigger/prod-AbCdEf';
    assert.deepEqual(parseSourceUri(`secretsmanager://${arn}?versionStage=AWSPREVIOUS`), {
      scheme: 'secretsmanager',
      uri: `secretsmanager://${arn}?versionStage=AWSPREVIOUS`,
      secretId: arn,
      versionStage: 'AWSPREVIOUS',
    });
    assert.deepEqual(parseSourceUri('s3://configs/outrigger/base.yaml'), {
      scheme: 's3',
      uri: 's3://configs/outrigger/base.yaml',
      bucket: 'configs',
      key: 'outrigger/base.yaml',
    });
    assert.deepEqual(parseSourceUri('gs://configs/a b?.yaml'), {
      scheme: 'gs',
      uri: 'gs://configs/a b?.yaml',
      bucket: 'configs',
      object: 'a b?.yaml',
    });
  });

  it('splits a comma-separated list in order, ignoring blanks', () => {
    const refs = parseSourceList(' s3://b/base.yaml , ,secretsmanager://env ');
    assert.deepEqual(
      refs.map((r) => r.uri),
      ['s3://b/base.yaml', 'secretsmanager://env'],
    );
    assert.deepEqual(parseSourceList(''), []);
  });

  it('names the URI and the fix in every error', () => {
    const cases: [string, string][] = [
      ['foo://x', 'config source foo://x: unsupported scheme "foo:"; use file, secretsmanager, s3 or gs'],
      ['s3://bucket', 'config source s3://bucket: want s3://bucket/key'],
      ['gs://', 'config source gs://: want gs://bucket/object'],
      ['s3:bucket/key', 'config source s3:bucket/key: want s3://...'],
      ['secretsmanager://', 'config source secretsmanager://: want secretsmanager://<secret name or ARN>'],
      [
        'secretsmanager://x?version=1',
        'config source secretsmanager://x?version=1: unknown parameter "version"; the parameters are versionStage and versionId',
      ],
      ['file://host/x', 'config source file://host/x: not a file URL (want file:///absolute/path): '],
    ];
    for (const [uri, message] of cases) {
      assert.throws(
        () => parseSourceUri(uri),
        (err: Error) => err.message.startsWith(message),
        uri,
      );
    }
  });
});
