// npm run parity -- --release 1.30 --count 1000 --seed 42 [--verbose]: generated workloads through
// Outrigger and Istio's own injector; exits 1 on any difference not normalised by name.
import { parseArgs } from 'node:util';
import { formatReport, runParity } from './run-parity.ts';

const { values } = parseArgs({
  options: {
    release: { type: 'string', default: '1.30' },
    count: { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
    verbose: { type: 'boolean', default: false },
  },
});
const report = await runParity(values.release, Number(values.count), Number(values.seed));
process.stdout.write(`${formatReport(report, values.verbose)}\n`);
process.exitCode = Object.keys(report.different).length ? 1 : 0;
