// Runs N seeded cases of a release through both injectors and tallies the outcomes.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { RELEASES, type Release } from '../support/conformance.ts';
import { compareCase, type Outcome, releaseSides } from './compare.ts';
import { oracleBinary, startOracle } from './oracle.ts';
import { type ParityCase, parityCase } from './workloads.ts';

export interface ParityReport {
  release: string;
  seed: number;
  count: number;
  equal: number;
  bothRefuse: number;
  /** Cases made equal by each knowingly-different class. */
  classes: Record<string, number>;
  /** Unexplained differences, grouped by where they first differ. */
  different: Record<string, { count: number; first: { index: number; detail: string; text: string } }>;
  ms: number;
}

const LIQUID_CUSTOM = readFileSync(
  new URL('../../test/fixtures/custom-template.liquid', import.meta.url),
  'utf8',
);

export function releaseOf(dir: string): Release {
  const release = RELEASES.find((r) => r.dir === dir);
  if (!release)
    throw new Error(`no release ${dir}; the releases are ${RELEASES.map((r) => r.dir).join(', ')}`);
  return release;
}

/** The generated cases of a seed, the same on every run. */
export function parityCases(seed: number, count: number): ParityCase[] {
  return fc.sample(parityCase, { seed, numRuns: count });
}

export async function runParity(dir: string, count: number, seed: number): Promise<ParityReport> {
  const release = releaseOf(dir);
  const binary = oracleBinary(dir);
  if (!binary) {
    throw new Error(
      `Istio's injector for ${dir} is not built (.scratch/controlplane/istio-oracle-${dir}); run bash test/controlplane/build.sh`,
    );
  }
  const start = performance.now();
  const sides = releaseSides(release, LIQUID_CUSTOM);
  const oracle = startOracle(binary);
  const report: ParityReport = {
    release: dir,
    seed,
    count,
    equal: 0,
    bothRefuse: 0,
    classes: {},
    different: {},
    ms: 0,
  };
  const tally = (index: number, c: ParityCase, outcome: Outcome) => {
    if (outcome.kind === 'equal') {
      report.equal++;
      for (const name of outcome.classes) report.classes[name] = (report.classes[name] ?? 0) + 1;
    } else if (outcome.kind === 'both-refuse') {
      report.bothRefuse++;
    } else {
      const group = (report.different[outcome.signature] ??= {
        count: 0,
        first: { index, detail: outcome.detail, text: c.text },
      });
      group.count++;
    }
  };
  try {
    const cases = parityCases(seed, count);
    // The oracle answers in order; a window of requests keeps it busy while ours run.
    const WINDOW = 16;
    for (let i = 0; i < cases.length; i += WINDOW) {
      const batch = cases.slice(i, i + WINDOW);
      const outcomes = await Promise.all(batch.map((c) => compareCase(sides, oracle, c)));
      outcomes.forEach((o, j) => tally(i + j, batch[j] as ParityCase, o));
    }
  } finally {
    await oracle.close();
  }
  report.ms = Math.round(performance.now() - start);
  return report;
}

export function formatReport(r: ParityReport, verbose = false): string {
  const differing = Object.values(r.different).reduce((n, g) => n + g.count, 0);
  const lines = [
    `Istio ${r.release}, seed ${r.seed}: ${r.count} cases in ${(r.ms / 1000).toFixed(1)} s: ${r.equal} equal, ${r.bothRefuse} refused by both, ${differing} different`,
  ];
  for (const [name, n] of Object.entries(r.classes).sort())
    lines.push(`  knowingly different, normalised: ${name}: ${n}`);
  for (const [signature, g] of Object.entries(r.different).sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`  DIFFERENT ${signature}: ${g.count} (first: case ${g.first.index}) ${g.first.detail}`);
    if (verbose) lines.push(g.first.text.replace(/^/gm, '    | '));
  }
  return lines.join('\n');
}
