import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REVIEW_BUDGET_MS, ReviewBudget } from '../../lib/inject/budget.ts';

/** A budget on a clock the test moves by hand. */
function budgetAt(start: number, ms: number) {
  let now = start;
  const budget = new ReviewBudget(ms, () => now);
  return { budget, at: (t: number) => (now = t) };
}

const spentMessage = (ms: number, stage: string) =>
  `injection ran out of its time budget of ${ms} ms (${stage}); the pod is too large or complex to inject`;

describe('ReviewBudget', () => {
  it('is spent only once the clock passes the deadline set at construction', () => {
    const { budget, at } = budgetAt(1000, 50);
    assert.equal(budget.isSpent(), false);
    at(1050);
    assert.equal(budget.isSpent(), false);
    assert.doesNotThrow(() => budget.check('rendering'));
    at(1051);
    assert.equal(budget.isSpent(), true);
  });

  it('check throws a budget error naming the stage', () => {
    const { budget, at } = budgetAt(0, 50);
    at(51);
    assert.throws(() => budget.check('before template sidecar'), {
      name: 'InjectionError',
      code: 'budget',
      message: spentMessage(50, 'before template sidecar'),
    });
  });

  it('spent builds the budget error for a stage, whatever the clock says', () => {
    const { budget } = budgetAt(0, 2000);
    const err = budget.spent('merging the templates');
    assert.equal(err.code, 'budget');
    assert.equal(err.message, spentMessage(2000, 'merging the templates'));
    assert.equal(budget.ms, 2000);
  });

  it('remainingMs is what is left, and at least 1 ms', () => {
    const { budget, at } = budgetAt(500, 40);
    assert.equal(budget.remainingMs(), 40);
    at(530);
    assert.equal(budget.remainingMs(), 10);
    at(540);
    assert.equal(budget.remainingMs(), 1);
    at(10_000);
    assert.equal(budget.remainingMs(), 1);
  });

  it('defaults to 2000 ms a review', () => {
    assert.equal(DEFAULT_REVIEW_BUDGET_MS, 2000);
  });
});
