import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteLru, stringBytes } from '../../lib/cache/byte-lru.ts';

/** The keys still held, of those asked for (get refreshes them, so ask in the order they were set). */
function held(lru: ByteLru<string>, keys: string[]): string[] {
  return keys.filter((k) => lru.get(k) !== undefined);
}

describe('ByteLru', () => {
  it('get returns what set stored, and undefined for a key never set', () => {
    const lru = new ByteLru<string>({ maxBytes: 100 });
    lru.set('a', 'A', 1);
    assert.equal(lru.get('a'), 'A');
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.size, 1);
    assert.equal(lru.bytes, 1);
    assert.equal(lru.maxBytes, 100);
  });

  it('evicts the least recently used entry, where get counts as a use', () => {
    const lru = new ByteLru<string>({ maxBytes: 100, maxEntries: 3 });
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    assert.equal(lru.get('a'), 'A');
    lru.set('d', 'D', 1);
    assert.equal(lru.size, 3);
    assert.equal(lru.evictions, 1);
    assert.equal(lru.get('b'), undefined);
    assert.deepEqual(held(lru, ['a', 'c', 'd']), ['a', 'c', 'd']);
  });

  it('setting a key again replaces its value and cost and makes it the most recent, with no eviction', () => {
    const lru = new ByteLru<string>({ maxBytes: 100, maxEntries: 2 });
    lru.set('a', 'A1', 4);
    lru.set('b', 'B', 1);
    lru.set('a', 'A2', 6);
    assert.equal(lru.size, 2);
    assert.equal(lru.bytes, 7);
    assert.equal(lru.evictions, 0);
    lru.set('c', 'C', 1);
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 'A2');
    assert.equal(lru.bytes, 7);
  });

  it('keeps entries whose costs add up to exactly maxBytes', () => {
    const lru = new ByteLru<string>({ maxBytes: 10 });
    lru.set('a', 'A', 5);
    lru.set('b', 'B', 5);
    assert.equal(lru.size, 2);
    assert.equal(lru.bytes, 10);
    assert.equal(lru.evictions, 0);
  });

  it('evicts oldest first until the costs fit maxBytes, as many as that takes', () => {
    const lru = new ByteLru<string>({ maxBytes: 10 });
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    lru.set('c', 'C', 4);
    assert.deepEqual(held(lru, ['a', 'b', 'c']), ['b', 'c']);
    assert.equal(lru.bytes, 8);
    assert.equal(lru.evictions, 1);

    lru.set('d', 'D', 9);
    assert.deepEqual(held(lru, ['b', 'c', 'd']), ['d']);
    assert.equal(lru.bytes, 9);
    assert.equal(lru.evictions, 3);
  });

  it('maxEntries bounds the count even when the bytes would fit', () => {
    const lru = new ByteLru<string>({ maxBytes: 1000, maxEntries: 2 });
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    lru.set('c', 'C', 1);
    assert.equal(lru.size, 2);
    assert.equal(lru.bytes, 2);
    assert.equal(lru.evictions, 1);
    assert.deepEqual(held(lru, ['a', 'b', 'c']), ['b', 'c']);
  });

  it('without maxEntries the count is not bounded', () => {
    const lru = new ByteLru<string>({ maxBytes: 1000 });
    for (let i = 0; i < 500; i++) lru.set(`k${i}`, 'v', 2);
    assert.equal(lru.size, 500);
    assert.equal(lru.bytes, 1000);
    assert.equal(lru.evictions, 0);
  });

  it('an entry over maxEntryBytes is not kept and evicts nothing', () => {
    const lru = new ByteLru<string>({ maxBytes: 100, maxEntryBytes: 10 });
    lru.set('a', 'A', 5);
    lru.set('big', 'BIG', 11);
    assert.equal(lru.get('big'), undefined);
    assert.equal(lru.get('a'), 'A');
    assert.equal(lru.size, 1);
    assert.equal(lru.bytes, 5);
    assert.equal(lru.evictions, 0);
    // At exactly maxEntryBytes it is kept.
    lru.set('edge', 'EDGE', 10);
    assert.equal(lru.get('edge'), 'EDGE');
    assert.equal(lru.bytes, 15);
    // A key set again with a value over the bound no longer answers with its old value.
    lru.set('a', 'A2', 11);
    assert.equal(lru.get('a'), undefined);
    assert.equal(lru.bytes, 10);
  });

  it('without maxEntryBytes an entry over maxBytes is kept, alone, and bytes never goes negative', () => {
    // The rollout's version cache must keep the version it serves even when that alone is over budget.
    const lru = new ByteLru<string>({ maxBytes: 10 });
    lru.set('a', 'A', 3);
    lru.set('big', 'BIG', 14);
    assert.equal(lru.size, 1);
    assert.equal(lru.get('big'), 'BIG');
    assert.equal(lru.get('a'), undefined);
    assert.equal(lru.bytes, 14);
    assert.equal(lru.evictions, 1);

    // The next entry pushes the oversized one out, and the count comes back down to what is held.
    lru.set('c', 'C', 2);
    assert.equal(lru.size, 1);
    assert.equal(lru.get('c'), 'C');
    assert.equal(lru.get('big'), undefined);
    assert.equal(lru.bytes, 2);
    assert.equal(lru.evictions, 2);
  });

  it('an oversized entry is kept alone under maxEntries too', () => {
    const lru = new ByteLru<string>({ maxBytes: 10, maxEntries: 5 });
    lru.set('big', 'BIG', 50);
    assert.equal(lru.size, 1);
    assert.equal(lru.bytes, 50);
    assert.equal(lru.get('big'), 'BIG');
  });

  it('delete drops the entry and its bytes; deleting a missing key changes nothing', () => {
    const lru = new ByteLru<string>({ maxBytes: 100 });
    lru.set('a', 'A', 3);
    lru.set('b', 'B', 4);
    lru.delete('a');
    assert.equal(lru.get('a'), undefined);
    assert.equal(lru.size, 1);
    assert.equal(lru.bytes, 4);
    lru.delete('a');
    lru.delete('never');
    assert.equal(lru.size, 1);
    assert.equal(lru.bytes, 4);
    // A delete is not an eviction.
    assert.equal(lru.evictions, 0);
    lru.delete('b');
    assert.equal(lru.size, 0);
    assert.equal(lru.bytes, 0);
  });

  it('bytes stays the sum of what the held entries cost through sets, replacements, evictions and deletes', () => {
    const lru = new ByteLru<string>({ maxBytes: 20, maxEntries: 4 });
    const costs = new Map<string, number>();
    const steps: [op: 'set' | 'delete', key: string, bytes: number][] = [
      ['set', 'a', 5],
      ['set', 'b', 7],
      ['set', 'a', 2],
      ['set', 'c', 9],
      ['delete', 'b', 0],
      ['set', 'd', 1],
      ['set', 'e', 1],
      ['set', 'f', 18],
      ['set', 'g', 30],
      ['set', 'h', 0],
    ];
    for (const [op, key, bytes] of steps) {
      if (op === 'set') {
        lru.set(key, key, bytes);
        costs.set(key, bytes);
      } else {
        lru.delete(key);
      }
      // (The gets here refresh the order; the sum must hold whatever the order.)
      let sum = 0;
      let count = 0;
      for (const [k, cost] of costs) {
        if (lru.get(k) !== undefined) {
          sum += cost;
          count++;
        }
      }
      assert.equal(lru.bytes, sum, `after ${op} ${key}`);
      assert.equal(lru.size, count, `after ${op} ${key}`);
    }
    // g alone was over the budget, so the next set pushed it out, even though h costs nothing.
    assert.equal(lru.size, 1);
    assert.equal(lru.get('h'), 'h');
  });
});

describe('stringBytes', () => {
  it('is two bytes a UTF-16 code unit', () => {
    assert.equal(stringBytes(''), 0);
    assert.equal(stringBytes('abc'), 6);
    assert.equal(stringBytes('é'), 2);
    // One code point outside the BMP is two code units.
    assert.equal(stringBytes('😀'), 4);
  });
});
