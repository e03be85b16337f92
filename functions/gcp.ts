import { http } from '@google-cloud/functions-framework';
import { handlerFromEnv } from '../lib/http/from-env.ts';
import { frontFunctionsFramework } from '../lib/http/functions-framework.ts';
import type { HttpResponse } from '../lib/http/handle.ts';
import { admittedOf, headOf } from '../lib/http/node-front.ts';
import { startupLogLine } from '../lib/observe/request-log.ts';

// At module load, so only a cold start pays for loading the config and parsing its templates.
const handle = handlerFromEnv({ metrics: 'gcp' });

// Before the framework creates its server: every request is decided from its head, and an admitted
// body is read by us (6 MiB, in-flight budget, no inflation), before the framework's body-parser could
// read it (lib/http/functions-framework.ts).
const front = frontFunctionsFramework(handle);
let warned = false;

/**
 * Google Cloud Functions (and `npm start`): functions-framework target `inject`. A request reaches this
 * function only once the front has admitted it and read its body; the answer is the second step of
 * that decision. Should the front not be in place (a framework that creates its server differently),
 * the framework has parsed the body already: the request is still answered, and a warning says so once.
 */
http('inject', async (req, res) => {
  const admitted = admittedOf(req);
  let out: HttpResponse;
  if (admitted) {
    out = await admitted.review({ bytes: admitted.bytes, cost: admitted.cost });
  } else {
    if (!warned) {
      warned = true;
      process.stdout.write(
        startupLogLine(
          'WARNING',
          `functions-framework read a request body before the webhook's checks (front installed: ${front.installed()}); ` +
            'serve dist/server.js for anonymous callers',
        ),
      );
    }
    out = await handle({
      ...headOf(req),
      body: req.rawBody,
      parsedBody: typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : undefined,
    });
  }
  res.status(out.status).set(out.headers).send(out.body);
});
