// The bad-input corpus (harness/support/bad-inputs.ts) through the real functions-framework server and
// through the Lambda handler in process: every request gets its documented answer, in time, and neither
// the server nor this process falls over.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { after, before, describe, it } from 'node:test';
import { handlerFromEnv } from '../../lib/http/from-env.ts';
import { lambdaHandler } from '../../lib/http/lambda.ts';
import { type Answer, checkAnswer } from '../../harness/support/answer-check.ts';
import {
  BAD_INPUTS,
  type BadInput,
  type BadRequest,
  type Platform,
} from '../../harness/support/bad-inputs.ts';
import { httpRequest } from '../../harness/support/http-request.ts';
import { functionsFramework, type ServerProcess, spawnServer } from '../../harness/support/spawn-server.ts';

/** Slower than this is a failure too: an admission webhook has seconds, and the corpus is small. */
const ANSWER_MS = 5000;

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

function expectationFor(input: BadInput, platform: Platform) {
  return input[platform] ?? input.expect;
}

describe('bad input through the functions-framework server (dist/gcp.js)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await spawnServer(functionsFramework('dist/gcp.js', { OUTRIGGER_AUTH: 'off' }));
  });
  after(() => server?.stop());

  for (const input of BAD_INPUTS.filter((i) => i.only !== 'aws')) {
    it(`${input.id}: ${input.what}`, async () => {
      const req = input.request();
      const res = await httpRequest(`${server.url}${req.path}`, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        timeoutMs: ANSWER_MS,
      });
      const answer: Answer = {
        status: res.status,
        contentType: String(res.headers['content-type'] ?? ''),
        body: res.body,
        ms: res.ms,
      };
      checkAnswer(expectationFor(input, 'gcp'), req, answer);
      assert.ok(res.ms < ANSWER_MS, `answered in ${res.ms.toFixed(0)} ms`);
    });
  }

  it('is still serving after the corpus: /healthz answers and the process never exited', async () => {
    const res = await httpRequest(`${server.url}/healthz`, { timeoutMs: ANSWER_MS });
    assert.equal(res.status, 200);
    assert.equal(server.exitCode(), null, server.output());
    assert.equal(server.signal(), null);
  });
});

/** A Lambda Function URL event carrying `req`, base64 when the body is not UTF-8 (as Lambda does). */
function eventFor(req: BadRequest) {
  const text = isUtf8(req.body);
  const [rawPath = '/', rawQueryString = ''] = req.path.split('?');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { ...req.headers, 'content-length': String(req.body.length), host: 'fn.lambda-url.on.aws' },
    requestContext: { http: { method: req.method, path: rawPath, sourceIp: '10.0.0.1' }, stage: '$default' },
    body: text ? req.body.toString('utf8') : req.body.toString('base64'),
    isBase64Encoded: !text,
  };
}

describe('bad input through the Lambda handler, in process', () => {
  // The composition functions/aws.ts exports, with the log lines captured instead of printed.
  const lines: string[] = [];
  const handler = lambdaHandler(
    handlerFromEnv({ metrics: 'emf', write: (line) => lines.push(line) }, { OUTRIGGER_AUTH: 'off' }),
  );
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  for (const input of BAD_INPUTS.filter((i) => i.only !== 'gcp')) {
    it(`${input.id}: ${input.what}`, async () => {
      const req = input.request();
      lines.length = 0;
      const start = performance.now();
      const out = await handler(input.lambdaEvent ? input.lambdaEvent() : eventFor(req));
      const ms = performance.now() - start;
      checkAnswer(expectationFor(input, 'aws'), req, {
        status: out.statusCode,
        contentType: out.headers['content-type'] ?? '',
        body: Buffer.from(out.body, 'utf8'),
        ms,
      });
      assert.ok(ms < ANSWER_MS, `answered in ${ms.toFixed(0)} ms`);
      // One log line per answered request, each one JSON object, and none over the 256 KiB a CloudWatch or Cloud Logging entry holds.
      for (const line of lines) {
        assert.ok(line.length < 256 * 1024, `a log line of ${line.length} characters`);
        assert.doesNotThrow(() => JSON.parse(line), `log line is not JSON: ${line.slice(0, 200)}`);
      }
    });
  }

  it('left no unhandled rejection and no property on Object.prototype', () => {
    assert.deepEqual(unhandled, []);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
    assert.equal(({} as Record<string, unknown>).holdApplicationUntilProxyStarts, undefined);
  });
});

it('the corpus has at least 40 requests for each platform, with unique ids', () => {
  const ids = BAD_INPUTS.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(BAD_INPUTS.filter((i) => i.only !== 'aws').length >= 40);
  assert.ok(BAD_INPUTS.filter((i) => i.only !== 'gcp').length >= 40);
});
