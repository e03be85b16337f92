// parseCost (lib/admission/parse-cost.ts) against what V8 takes: each shape's body is parsed in a child
// process of this Node with the garbage collector exposed, and its heap growth must stay under the
// estimate. These are the shapes the estimate was calibrated on, the worst of each token kind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseCost, WORST_RATIO } from '../../lib/admission/parse-cost.ts';
import { MAX_PARSE_BYTES } from '../../lib/http/handle.ts';
import { envHeavyReview } from '../../harness/support/pod-variants.ts';
import { deploymentPod, review } from '../../harness/support/reviews.ts';

const MiB = 1024 * 1024;

/** `n` items of `item(i)` in a JSON list. */
const list = (n: number, item: (i: number) => string) =>
  `[${Array.from({ length: n }, (_, i) => item(i)).join(',')}]`;

const SHAPES: Record<string, string> = {
  'empty objects': list(600_000, () => '{}'),
  'empty lists': list(600_000, () => '[]'),
  'a list in a list': list(400_000, () => '[{}]'),
  'objects of one member': list(300_000, () => '{"a":0}'),
  'objects of unique keys': list(150_000, (i) => `{"k${i}":0}`),
  'objects of eight unique keys': list(
    20_000,
    (i) => `{${Array.from({ length: 8 }, (_, j) => `"k${i}_${j}":0`).join(',')}}`,
  ),
  'one object of many keys': `{${Array.from({ length: 150_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
  zeros: list(1_000_000, () => '0'),
  'empty strings': list(600_000, () => '""'),
  'unique strings': list(300_000, (i) => `"s${i}"`),
  'one long string': `"${'x'.repeat(2 * MiB)}"`,
  'Latin-1 string': `"${'é'.repeat(MiB)}"`,
  'two-byte string': `"${'Ā'.repeat(MiB)}"`,
  'ASCII text and one two-byte character': `"${'x'.repeat(2 * MiB)}Ā"`,
};

/**
 * What a body costs once parsed, measured as the webhook holds it: its bytes (kept until it is answered),
 * the text they decode into and what JSON.parse makes of it, in a child with the GC exposed.
 */
function heapOf(text: string): number {
  const script = `
    const bytes = require('node:fs').readFileSync(0);
    global.gc(); const before = process.memoryUsage().heapUsed;
    const text = bytes.toString('utf8');
    const value = JSON.parse(text);
    global.gc(); const after = process.memoryUsage().heapUsed;
    process.stdout.write(String(after - before + bytes.length + (value && text ? 0 : 0)));`;
  return Number(
    execFileSync(process.execPath, ['--expose-gc', '-e', script], { input: text, encoding: 'utf8' }),
  );
}

describe('parseCost', () => {
  for (const [shape, text] of Object.entries(SHAPES)) {
    it(`${shape}: the heap JSON.parse takes stays under the estimate`, () => {
      const heap = heapOf(text);
      const cost = parseCost(Buffer.from(text));
      assert.ok(
        heap < cost,
        `${shape}: heap ${(heap / MiB).toFixed(1)} MiB, estimate ${(cost / MiB).toFixed(1)} MiB`,
      );
      assert.equal(parseCost(text), cost, 'the same for the text as for its bytes');
    });
  }

  it('counts no token inside a string, escaped quotes and backslashes included', () => {
    const padding = ' '.repeat(70 * 1024);
    const plain = `["${'a'.repeat(97)}"]${padding}`;
    const tricky = `["${'{[:,\\"\\\\'.repeat(12)}a"]${padding}`;
    assert.equal(Buffer.byteLength(plain), Buffer.byteLength(tricky));
    assert.equal(parseCost(tricky), parseCost(plain));
  });

  it('WORST_RATIO bounds the cost of the densest shapes, so a body’s bound needs no reading', () => {
    const nested = (n: number) => `${'{"":'.repeat(n)}{}${'}'.repeat(n)}`;
    for (const text of [
      nested(20_000),
      list(20_000, () => '{"":{}}'),
      list(20_000, () => '[{}]'),
      list(20_000, () => '{}'),
    ]) {
      assert.ok(parseCost(text) <= WORST_RATIO * Buffer.byteLength(text), text.slice(0, 20));
    }
  });

  it('6 MiB of empty objects is refused, and real large pods fit under the limit', () => {
    assert.ok(parseCost(list(2_000_000, () => '{}')) > MAX_PARSE_BYTES);
    const pod = deploymentPod('wide') as { spec: { containers: unknown[] } };
    pod.spec.containers = Array.from({ length: 2000 }, (_, i) => ({
      name: `c${i}`,
      image: 'registry.example/app:1',
      env: Array.from({ length: 36 }, (_, j) => ({ name: `VARIABLE_${j}`, value: `value-${i}-${j}` })),
    }));
    const text = JSON.stringify(review(pod));
    assert.ok(Buffer.byteLength(text) > 2.5 * MiB);
    assert.ok(parseCost(text) < MAX_PARSE_BYTES, `${(parseCost(text) / MiB).toFixed(1)} MiB`);
    const env = JSON.stringify(envHeavyReview(1));
    assert.ok(parseCost(env) < 10 * Buffer.byteLength(env), 'a pod of 2,000 env vars: under 10x its bytes');
  });
});
