// Small statistics for the benchmarks: every figure is a median, and every ratio is taken between a
// subject and a baseline measured in the same run, alternately, so machine noise hits both alike.

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Paired samples of a subject and its baseline, and the median of their per-round ratios. */
export interface Paired {
  subject: number;
  baseline: number;
  /** Median of subject/baseline per round (not the ratio of the medians: a round's noise cancels). */
  ratio: number;
  rounds: number;
}

export function paired(subject: number[], baseline: number[]): Paired {
  const ratios = subject.map((s, i) => s / (baseline[i] as number));
  return {
    subject: median(subject),
    baseline: median(baseline),
    ratio: median(ratios),
    rounds: subject.length,
  };
}

/**
 * Runs `measure(which, round)` for `rounds` rounds, the baseline first in even rounds and the subject
 * first in odd ones, and pairs the results.
 */
export async function alternate(
  rounds: number,
  measure: (which: 'subject' | 'baseline', round: number) => Promise<number>,
): Promise<Paired> {
  const s: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
    for (const which of order) (which === 'subject' ? s : b).push(await measure(which, r));
  }
  return paired(s, b);
}
