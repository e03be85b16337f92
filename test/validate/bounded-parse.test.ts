import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNOTATION_LIMITS,
  type ParseLimits,
  parseBoundedJson,
  parseBoundedYaml,
} from '../../lib/validate/bounded-parse.ts';

const limits = (maxNodes: number, maxDepth = 32, maxAliases = 100): ParseLimits => ({
  maxNodes,
  maxDepth,
  maxAliases,
});

const refusal = (message: string) => ({ name: 'InjectionError', code: 'bad-annotation', message });
const tooMany = (n: number) => `more than ${n} values (anchors and aliases count at every use)`;

describe('parseBoundedYaml', () => {
  it('returns the parsed value within the limits, JSON included', () => {
    assert.deepEqual(parseBoundedYaml('a: 1\nb: [x, {c: true}]', 'f'), { a: 1, b: ['x', { c: true }] });
    assert.deepEqual(parseBoundedYaml('{"a": [1, 2]}', 'f'), { a: [1, 2] });
    assert.equal(parseBoundedYaml('plain', 'f'), 'plain');
    assert.equal(parseBoundedYaml('', 'f'), undefined);
  });

  it('has limits ample for any real annotation', () => {
    assert.deepEqual(ANNOTATION_LIMITS, { maxNodes: 10_000, maxDepth: 32, maxAliases: 100 });
  });

  it('counts every node of the expanded value, an alias at each use', () => {
    // Five nodes written (map, list, 1, 2, alias); seven once the alias is expanded.
    const text = 'a: &x [1, 2]\nb: *x';
    assert.deepEqual(parseBoundedYaml(text, 'f', limits(7)), { a: [1, 2], b: [1, 2] });
    assert.throws(() => parseBoundedYaml(text, 'f', limits(6)), refusal(`f: ${tooMany(6)}`));
  });

  it('stops the parse itself at the node limit, before it reaches the rest of the text', () => {
    const items = Array.from({ length: 50 }, (_, i) => i).join(', ');
    assert.throws(() => parseBoundedYaml(`[${items}]`, 'f', limits(10)), refusal(`f: ${tooMany(10)}`));
    // The syntax error at the end is never read: the node limit comes first.
    assert.throws(() => parseBoundedYaml(`[${items}, ]]]`, 'f', limits(10)), refusal(`f: ${tooMany(10)}`));
    assert.throws(
      () => parseBoundedYaml(`[${items}, ]]]`, 'f', limits(100)),
      (err: unknown) => (err as Error).message.startsWith('f: not YAML: '),
    );
  });

  it('refuses nesting deeper than maxDepth collections', () => {
    assert.deepEqual(parseBoundedYaml('{a: {b: {c: 1}}}', 'f', limits(100, 3)), { a: { b: { c: 1 } } });
    assert.throws(
      () => parseBoundedYaml('{a: {b: {c: 1}}}', 'f', limits(100, 2)),
      refusal('f: nested deeper than 2 levels'),
    );
    assert.throws(
      () => parseBoundedYaml('- [[[[1]]]]', 'f', limits(100, 3)),
      refusal('f: nested deeper than 3 levels'),
    );
  });

  it('refuses more uses of anchored collections than maxAliases', () => {
    const text = 'a: &x [1]\nb: *x\nc: *x';
    assert.deepEqual(parseBoundedYaml(text, 'f', limits(100, 32, 2)), { a: [1], b: [1], c: [1] });
    assert.throws(
      () => parseBoundedYaml(text, 'f', limits(100, 32, 1)),
      refusal('f: more than 1 uses of YAML anchors'),
    );
  });

  it('stops a billion-laughs document at the default limits', () => {
    const text =
      'a: &a [x, x, x, x, x, x, x, x, x, x]\n' +
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n' +
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n';
    assert.throws(() => parseBoundedYaml(text, 'f'), refusal('f: more than 100 uses of YAML anchors'));
    // With room for the aliases, the node count stops it.
    assert.throws(
      () => parseBoundedYaml(text, 'f', limits(10_000, 32, 1_000_000)),
      refusal(`f: ${tooMany(10_000)}`),
    );
  });

  it('refuses text that is not YAML with the position but without the text itself', () => {
    assert.throws(
      () => parseBoundedYaml('secret: [s3cr3t-value', 'pod annotation x'),
      refusal(
        'pod annotation x: not YAML: unexpected end of the stream within a flow collection (line 2, column 1)',
      ),
    );
  });

  it('an empty `what` gives the bare problem', () => {
    assert.throws(
      () => parseBoundedYaml('a: 1\na: 2', ''),
      refusal('not YAML: duplicated mapping key (line 2, column 1)'),
    );
    assert.throws(() => parseBoundedYaml('[1, 2, 3]', '', limits(2)), refusal(tooMany(2)));
  });
});

describe('parseBoundedJson', () => {
  it('returns the parsed value within the limits', () => {
    assert.deepEqual(parseBoundedJson('{"a": [1, 2]}', 'f', limits(4)), { a: [1, 2] });
    assert.equal(parseBoundedJson('"s"', 'f'), 's');
  });

  it('applies the node and depth limits', () => {
    assert.throws(() => parseBoundedJson('{"a": [1, 2]}', 'f', limits(3)), refusal(`f: ${tooMany(3)}`));
    assert.throws(
      () => parseBoundedJson('[[[1]]]', 'f', limits(100, 2)),
      refusal('f: nested deeper than 2 levels'),
    );
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    assert.throws(() => parseBoundedJson(deep, 'f'), refusal('f: nested deeper than 32 levels'));
  });

  it('refuses text that is not JSON, YAML included', () => {
    for (const text of ['{"a": ', 'a: 1', '']) {
      assert.throws(
        () => parseBoundedJson(text, 'f'),
        (err: unknown) =>
          (err as { code?: string }).code === 'bad-annotation' &&
          (err as Error).message.startsWith('f: not JSON: '),
        JSON.stringify(text),
      );
    }
  });
});
