import { createServer, type IncomingMessage } from 'node:http';
import { decodePath } from '../lib/http/decode-path.ts';
import { handlerFromEnv } from '../lib/http/from-env.ts';
import { MAX_BODY_BYTES } from '../lib/http/handle.ts';

// At module load, so only a cold start pays for loading the config and parsing its templates.
const handle = handlerFromEnv({ metrics: 'gcp' });

/**
 * The webhook as a plain `node:http` server, for Cloud Run or any container platform (`node
 * dist/server.js`, PORT default 8080). Unlike functions-framework, which buffers and parses any body
 * (up to 1 GiB) before a function runs, it keeps at most the 6 MiB limit of a body, so an
 * unauthenticated caller cannot make an instance run out of memory; and no framework sits in the path.
 */
const server = createServer((req, res) => {
  serve(req)
    .then((out) => res.writeHead(out.status, out.headers).end(out.body))
    .catch(() => {
      // The client went away mid-body, or a bug: nobody may be listening, and nothing must crash.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
});

async function serve(req: IncomingMessage) {
  const body = await readBody(req);
  // The request target as sent, without the query: `new URL` would resolve `..` and read `//x` as a host.
  const target = (req.url ?? '/').split('?')[0] as string;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return handle({
    method: req.method ?? 'GET',
    path: decodePath(target),
    headers,
    body: body === 'too-large' ? undefined : body,
    bodyTooLarge: body === 'too-large',
  });
}

/**
 * The body, or 'too-large' once it passes the limit. The rest is read and dropped, not kept, so the
 * client finishes sending and sees the 413 (the platform caps how much that can be: 32 MiB on Cloud Run).
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

server.listen(Number(process.env.PORT || 8080));
