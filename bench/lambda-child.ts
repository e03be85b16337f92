// The Lambda handler measurement, in a process of its own: dist/aws.js writes a log line per request to
// stdout, which here goes to /dev/null (as cheap as a platform's log pipe, and it keeps the bench's own
// output clean). Started by bench/run.ts; sends its figures over IPC.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../test/support/spawn-server.ts';
import { type LambdaHandler, measureLambda } from './lib/core.ts';

process.env.OUTRIGGER_AUTH = 'off';
try {
  const aws = (await import(pathToFileURL(join(ROOT, 'dist/aws.js')).href)) as { handler: LambdaHandler };
  const figures = await measureLambda(aws.handler, process.argv.includes('--quick'));
  process.send?.({ figures });
} catch (err) {
  process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
