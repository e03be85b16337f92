import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { yamlScalar } from '../../lib/template/yaml-scalar.ts';

describe('yamlScalar', () => {
  it('writes null, numbers and booleans as YAML reads them back', () => {
    const cases: [unknown, string][] = [
      [undefined, 'null'],
      [null, 'null'],
      [0, '0'],
      [-12.5, '-12.5'],
      [1e21, '1e+21'],
      [true, 'true'],
      [false, 'false'],
      // JSON has no NaN or infinities; neither does a value the agent should read.
      [Number.NaN, 'null'],
      [Number.POSITIVE_INFINITY, 'null'],
      [Number.NEGATIVE_INFINITY, 'null'],
    ];
    for (const [value, text] of cases) assert.equal(yamlScalar(value), text, String(value));
  });

  it('writes strings double-quoted, with JSON escapes', () => {
    assert.equal(yamlScalar(''), '""');
    assert.equal(yamlScalar('plain'), '"plain"');
    assert.equal(yamlScalar('a\nb\tc'), '"a\\nb\\tc"');
    assert.equal(yamlScalar('say "hi" \\'), '"say \\"hi\\" \\\\"');
    assert.equal(yamlScalar('true'), '"true"');
    assert.equal(yamlScalar('123'), '"123"');
  });

  it('escapes every character from U+007F up, so no parser can read a line break into the value', () => {
    assert.equal(yamlScalar('\u2028\u2029'), '"\\u2028\\u2029"');
    assert.equal(yamlScalar('\u0085'), '"\\u0085"');
    assert.equal(yamlScalar('\u007f'), '"\\u007f"');
    assert.equal(yamlScalar('é'), '"\\u00e9"');
    assert.equal(yamlScalar('😀'), '"\\ud83d\\ude00"');
    assert.equal(yamlScalar('\ufeff'), '"\\ufeff"');
  });

  it('writes maps and lists as flow collections', () => {
    assert.equal(yamlScalar({ a: [1, 'b\n', null], c: undefined }), '{"a":[1,"b\\n",null]}');
    assert.equal(yamlScalar([]), '[]');
    assert.equal(yamlScalar({ 'k\u2028': 'v' }), '{"k\\u2028":"v"}');
  });

  it('writes what JSON cannot hold as null', () => {
    assert.equal(
      yamlScalar(() => 1),
      'null',
    );
    assert.equal(yamlScalar(Symbol('s')), 'null');
  });

  it('no value adds a key or an item to the YAML it is placed in', () => {
    const hostile = [
      'x\nevil: true',
      'x\r\nevil: true',
      'x\u2028evil: true',
      'x\u0085evil: true',
      'a: b',
      '] , {evil: 1}',
      '{{ .Values }}',
      '"',
      "'",
      '# comment',
      '&anchor *alias',
      '- item',
      '\\',
      '😀 é \u0000',
    ];
    for (const value of hostile) {
      const text = `key: ${yamlScalar(value)}\nlist: [${yamlScalar(value)}]\n`;
      assert.deepEqual(yaml.load(text), { key: value, list: [value] }, JSON.stringify(value));
      // Printable ASCII only: nothing for a reader to take as a line break or a BOM.
      assert.match(yamlScalar(value), /^[\x20-\x7e]*$/, JSON.stringify(value));
    }
    const nested = { 'a\nb': ['c: d', { e: 'f\u2028g' }] };
    assert.deepEqual(yaml.load(`v: ${yamlScalar(nested)}`), { v: nested });
  });
});
