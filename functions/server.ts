import { createServer } from 'node:http';
import { handlerFromEnv } from '../lib/http/from-env.ts';
import { nodeFront, SERVER_OPTIONS, serveOn } from '../lib/http/node-front.ts';

// At module load, so only a cold start pays for loading the config and parsing its templates.
const front = nodeFront(handlerFromEnv({ metrics: 'gcp' }));

/**
 * The webhook as a plain `node:http` server, for Cloud Run or any container platform (`node
 * dist/server.js`, PORT default 8080), and the entry point to expose to anonymous callers. Each request
 * is answered from its method, path and headers before its body is read: a caller without a credential,
 * a compressed body or a Content-Length over 6 MiB never gets a byte read. An admitted body is read up to
 * 6 MiB within the instance's in-flight budget (lib/http/body-budget.ts); a request must arrive whole
 * within 15 s (lib/http/node-front.ts). No framework sits in the path.
 */
serveOn(
  createServer(SERVER_OPTIONS, (req, res) => front(req, res)),
  front,
).listen(Number(process.env.PORT || 8080));
