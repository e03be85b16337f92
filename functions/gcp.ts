import { http } from '@google-cloud/functions-framework';
import { decodePath } from '../lib/http/decode-path.ts';
import { handlerFromEnv } from '../lib/http/from-env.ts';

// At module load, so only a cold start pays for loading the config and parsing its templates.
const handle = handlerFromEnv({ metrics: 'gcp' });

/**
 * Google Cloud Functions (and `npm start`): functions-framework target `inject`. The framework parses
 * JSON bodies before the function runs, so its parse is reused, and a body that is not JSON is answered
 * by the framework itself (HTTP 400) — see README, "Bad input".
 */
http('inject', async (req, res) => {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const out = await handle({
    method: req.method,
    path: decodePath(req.path),
    headers,
    body: req.rawBody,
    parsedBody: typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : undefined,
  });
  res.status(out.status).set(out.headers).send(out.body);
});
