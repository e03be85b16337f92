// The in-process figures (bench/lib/core.ts) in a process of their own, one subject per process, so
// neither shares a heap or a JIT with the other or with the load generator. Started by
// bench/lib/in-process.ts; sends its figures over IPC.
//
//   dist: imports <dist>/aws.js (OUTRIGGER_AUTH=off; its log line per request goes to stdout, which the
//         parent sends to /dev/null, as cheap as a platform's log pipe)
//   lib:  the core from lib/, and how templates were rendered (lib/template/compiled.ts renderCounts)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { type LambdaHandler, lambdaSubject, libSubject, measureInProcess } from './lib/core.ts';

const { values: args } = parseArgs({
  options: {
    subject: { type: 'string', default: 'dist' },
    dist: { type: 'string', default: 'dist' },
    quick: { type: 'boolean', default: false },
  },
});

try {
  if (args.subject === 'dist') {
    process.env.OUTRIGGER_AUTH = 'off';
    const aws = (await import(pathToFileURL(join(args.dist, 'aws.js')).href)) as { handler: LambdaHandler };
    const figures = await measureInProcess(lambdaSubject(aws.handler), args.quick);
    process.send?.({ figures });
  } else {
    const { renderCounts } = await import('../lib/template/compiled.ts');
    const figures = await measureInProcess(libSubject(), args.quick);
    process.send?.({ figures, renders: { ...renderCounts } });
  }
} catch (err) {
  process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
