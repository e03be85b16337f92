import nodeHttp, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { nodeFront, type NodeFrontOptions, SERVER_OPTIONS, serveOn } from './node-front.ts';
import type { WebhookHandler } from './handle.ts';

type Front = ReturnType<typeof nodeFront>;

/**
 * Puts the webhook in front of functions-framework's own request handling. functions-framework 5.0.5
 * (build/src/server.js) gives a function no say in how bodies are read: before any code of ours runs,
 * its body-parser middlewares inflate gzip/deflate/br bodies, buffer up to 1 GiB and JSON-parse it, and
 * its error handler logs every body that fails to parse, with a stack trace. It takes no option for
 * that (no `inflate`, no `limit`), and a function cannot register middleware before it. What it does do,
 * after loading the function's module and before listening, is `http.createServer(app)`. So at module
 * load this replaces `http.createServer` once: the next server created with an Express app gets the
 * webhook's timeouts (SERVER_OPTIONS) and a listener that decides each request from its head
 * (lib/http/node-front.ts) and reads an admitted body itself, within the limit and the budget, before
 * handing the request to the app. body-parser skips a request whose body was already read
 * (`on-finished`: "body already parsed"), so the function gets `rawBody` and `admittedOf(req)` from us.
 *
 * This leans on the framework's internals; `installed()` says whether it took (the function checks, and
 * logs once if a request reached it without passing the front). test/http/adversarial.test.ts holds it
 * to the pinned version (infra/gcp/package.json).
 */
export function frontFunctionsFramework(
  handle: WebhookHandler,
  options: Omit<NodeFrontOptions, 'pass'> = {},
): { installed: () => boolean } {
  let installed = false;
  const original = nodeHttp.createServer;
  const replacement = function createServer(this: unknown, ...args: unknown[]) {
    const app = args.find((a): a is RequestListener => typeof a === 'function');
    if (installed || !isExpressApp(app)) return Reflect.apply(original, this, args);
    installed = true;
    nodeHttp.createServer = original;
    const front: Front = nodeFront(handle, { ...options, pass: (req, res) => app(req, res) });
    const server = original.call(
      nodeHttp,
      { ...SERVER_OPTIONS },
      (req: IncomingMessage, res: ServerResponse) => front(req, res),
    );
    return serveOn(server, front);
  };
  nodeHttp.createServer = replacement as typeof nodeHttp.createServer;
  return { installed: () => installed };
}

function isExpressApp(listener: unknown): listener is RequestListener {
  const app = listener as { handle?: unknown; use?: unknown; set?: unknown } | undefined;
  return (
    typeof listener === 'function' &&
    typeof app?.handle === 'function' &&
    typeof app.use === 'function' &&
    typeof app.set === 'function'
  );
}
