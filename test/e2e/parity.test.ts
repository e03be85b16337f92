// The parity run in short form (npm run parity is the long one): seeded generated workloads through
// Outrigger and Istio's own injector, built from its module per release. Every difference must be a
// class normalised by name; the counts go to the diagnostics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport, runParity } from '../../harness/parity/run-parity.ts';

const COUNT = 300;
const SEED = 1;

describe("generated workloads: Outrigger equals Istio's injector", () => {
  for (const release of ['1.30', 'master']) {
    it(`Istio ${release}: ${COUNT} cases, seed ${SEED}`, async (t) => {
      const report = await runParity(release, COUNT, SEED);
      t.diagnostic(formatReport(report));
      assert.deepEqual(Object.keys(report.different), [], formatReport(report, true));
      assert.equal(report.equal + report.bothRefuse, COUNT);
      assert.ok(report.equal > COUNT / 2, 'most cases are injected, not refused');
    });
  }
});
