import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revisionKey } from '../../lib/policy/revision.ts';

describe('revisionKey', () => {
  it('"default" and "" both name the default revision, keyed as ""', () => {
    assert.equal(revisionKey('default'), '');
    assert.equal(revisionKey(''), '');
  });

  it('any other revision is its own key, exactly as written', () => {
    assert.equal(revisionKey('canary'), 'canary');
    assert.equal(revisionKey('1-24-0'), '1-24-0');
    // Label values are case-sensitive: only "default" itself is the default.
    assert.equal(revisionKey('Default'), 'Default');
    assert.equal(revisionKey(' default'), ' default');
  });
});
