import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseCost, WORST_RATIO } from '../admission/parse-cost.ts';
import { BodyBudget, BUSY_RETRY_AFTER_SECONDS } from './body-budget.ts';
import { decodePath } from './decode-path.ts';
import {
  type BodyRead,
  type HeadDecision,
  type HttpResponse,
  MAX_BODY_BYTES,
  MAX_PARSE_BYTES,
  type RequestHead,
  type WebhookHandler,
} from './handle.ts';

/**
 * Timeouts of every node:http server the webhook runs on (functions/server.ts, and the server
 * functions-framework creates, lib/http/functions-framework.ts). The API server waits 10 s for a webhook
 * by default, so a request that has not arrived whole in 15 s (headers in 10 s) is cut: a body trickled
 * a byte at a time holds a connection that long, not Node's default 300 s. Idle keep-alive connections
 * are kept 95 s, longer than the API server's own idle timeout (Go's 90 s), so the client is the one that
 * closes them and never sends a review on a connection the server is closing. Expiry is checked every
 * second (Node's default is 30 s).
 */
export const SERVER_OPTIONS = {
  requestTimeout: 15_000,
  headersTimeout: 10_000,
  keepAliveTimeout: 95_000,
  connectionsCheckingInterval: 1_000,
} as const satisfies ServerOptions;

/**
 * Serves `front` on `server` (created with SERVER_OPTIONS): requests that expect `100 Continue` go through
 * it too, so a refused caller is not invited to send its body; and a connection that sends nothing is
 * closed after 10 s (Node's header and request timeouts only start with a request's first byte, so an
 * idle connection would otherwise be held for ever).
 */
export function serveOn(server: Server, front: ReturnType<typeof nodeFront>): Server {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => front(req, res, true));
  // Inactivity, refreshed by every byte read; Node replaces it by keepAliveTimeout after an answer.
  server.on('connection', (socket: { setTimeout: (ms: number) => void }) =>
    socket.setTimeout(SERVER_OPTIONS.headersTimeout),
  );
  return server;
}

/** Bodies up to this size hold their parse bound (at most 2.6 MiB) without being scanned. */
const UNSCANNED_BYTES = 64 * 1024;

/** The webhook's decision, kept on a request that functions-framework goes on to route. */
const ADMITTED = Symbol('outrigger.admitted');

export interface Admitted {
  /** Step 2 of the decision made from the head, for the body already read. */
  review: (body: BodyRead) => Promise<HttpResponse>;
  bytes: Buffer;
  /** Its parseCost, taken from the budget. */
  cost: number;
}

/** What `nodeFront` left on a request it read and passed on, if it did. */
export function admittedOf(req: object): Admitted | undefined {
  return (req as { [ADMITTED]?: Admitted })[ADMITTED];
}

export interface NodeFrontOptions {
  budget?: BodyBudget;
  /**
   * Where an admitted request goes once its body is read (functions-framework's app). The request then
   * carries `rawBody` and `admittedOf(req)`; without `pass`, the answer is sent here.
   */
  pass?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The webhook on a node:http request: the answer is decided from method, path and headers first, and
 * only a request that may proceed has its body read, up to MAX_BODY_BYTES and within the instance's
 * body budget. Refusals go out at once (to a caller that asked to close the connection, once its body
 * has arrived: see sendWhenHeard); Node discards the body the caller is still sending. Register it
 * for `request` and, with `expectContinue`, for `checkContinue`, so a refused caller is never invited to
 * send its body.
 */
export function nodeFront(
  handle: WebhookHandler,
  options: NodeFrontOptions = {},
): (req: IncomingMessage, res: ServerResponse, expectContinue?: boolean) => void {
  const budget = options.budget ?? new BodyBudget();
  return (req, res, expectContinue = false) => {
    let decided: HeadDecision | Promise<HeadDecision>;
    try {
      decided = handle.head(headOf(req));
    } catch {
      fail(res);
      return;
    }
    // While the decision waits (the caller keys' first load), the body stays unread in the socket.
    if (decided instanceof Promise) decided.then(proceed(req, res, expectContinue), () => fail(res));
    else proceed(req, res, expectContinue)(decided);
  };

  function proceed(req: IncomingMessage, res: ServerResponse, expectContinue: boolean) {
    return (decision: HeadDecision): void => {
      // A caller that expects `100 Continue` sends no body until it gets one: nothing to wait for till then.
      let bodyComing = !expectContinue;
      if (decision.answer) {
        sendWhenHeard(req, res, decision.answer, bodyComing);
        return;
      }
      const { review } = decision;
      const invite = () => {
        if (expectContinue) res.writeContinue();
        bodyComing = true;
      };
      readBody(req, res, decision.cluster, budget, invite)
        .then(async (read) => {
          // Express would refuse (and log with a stack trace) a path it cannot percent-decode: answered here.
          if (
            'bytes' in read &&
            options.pass &&
            (read.cost as number) <= MAX_PARSE_BYTES &&
            decodes((req.url ?? '/').split('?')[0] as string)
          ) {
            const admitted: Admitted = { review, bytes: read.bytes as Buffer, cost: read.cost as number };
            Object.assign(req, { rawBody: read.bytes, [ADMITTED]: admitted });
            options.pass(req, res);
            return;
          }
          const out = await review(read);
          if ('bytes' in read) send(res, out);
          else sendWhenHeard(req, res, out, bodyComing);
        })
        .catch(() => fail(res));
    };
  }
}

/** The head of a node:http request: the target as sent without the query, percent-decoded. */
export function headOf(req: IncomingMessage): RequestHead {
  // `new URL` would resolve `..` and read `//x` as a host; the request target is used as sent.
  const target = (req.url ?? '/').split('?')[0] as string;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', path: decodePath(target), headers };
}

/**
 * Reads an admitted body, holding each chunk's bytes in `budget` as it arrives, then what the body will
 * parse into, until the response is finished or the connection is gone. Past the limit or the budget it
 * stops keeping bytes and resolves at once, so the refusal goes out while the rest is read and dropped
 * (the request timeout bounds how long that may take).
 */
function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  cluster: string,
  budget: BodyBudget,
  invite: () => void,
): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    let held = 0;
    // Given back on the first of: the answer flushed, the response closed, the connection gone. A
    // pipelined request's response waits in Node's queue, and when the connection dies before its turn
    // that response never closes: the connection's own close is then the only signal.
    const release = () => {
      if (held > 0) budget.give(cluster, held);
      held = 0;
      forget();
    };
    const forget = onConnectionClose(req.socket, release);
    res.once('finish', release);
    res.once('close', release);
    const busy: BodyRead = {
      busy: { limitBytes: budget.limitBytes, retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS },
    };
    // Nothing is taken for what the request only declares: the bytes are taken as they arrive.
    invite();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const giveUp = (read: BodyRead) => {
      done = true;
      chunks.length = 0;
      release();
      resolve(read);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return giveUp({ tooLarge: true });
      if (size > held) {
        if (!budget.take(cluster, size - held)) return giveUp(busy);
        held = size;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      const bytes = Buffer.concat(chunks, size);
      // What it will parse into is held from now on, in place of its bytes. A small body holds its bound,
      // which needs no reading, unless the budget is short; a larger one is scanned for its cost, so one
      // body never holds many times what it needs. A body over the parse limit goes on to be refused
      // for it, unparsed, and holds nothing more.
      const hold = (cost: number) => {
        if (cost > held && !budget.take(cluster, cost - held)) return false;
        held = Math.max(held, cost);
        return true;
      };
      let cost = WORST_RATIO * size;
      if (size > UNSCANNED_BYTES || !hold(cost)) {
        cost = parseCost(bytes);
        if (cost <= MAX_PARSE_BYTES && !hold(cost)) return giveUp(busy);
      }
      done = true;
      resolve({ bytes, cost });
    });
    // Once the body is read the bytes stay taken until the answer is sent (release, above).
    const gone = (err: Error) => {
      if (done) return;
      done = true;
      release();
      reject(err);
    };
    req.on('error', gone);
    req.on('close', () => gone(new Error('request closed before its body was read')));
  });
}

const closeWatchers = new WeakMap<Socket, Set<() => void>>();

/**
 * Calls `fn` when the connection closes; returns what stops that. One listener per connection, however
 * many pipelined requests wait on it (a listener each would pass Node's limit of ten).
 */
function onConnectionClose(socket: Socket, fn: () => void): () => void {
  let watchers = closeWatchers.get(socket);
  if (!watchers) {
    const set = new Set<() => void>();
    closeWatchers.set(socket, (watchers = set));
    socket.once('close', () => {
      for (const watcher of set) watcher();
      set.clear();
    });
  }
  watchers.add(fn);
  const set = watchers;
  return () => set.delete(fn);
}

/**
 * Sends a refusal made before the body was read. On a keep-alive connection it goes out now and Node
 * reads and drops the rest of the body. A caller that asked to close the connection would have it closed
 * under the body it is still writing (EPIPE, often before it reads the answer), so it is answered once
 * its body has arrived, read and dropped: no byte is kept either way, and the request timeout bounds
 * the wait.
 */
function sendWhenHeard(req: IncomingMessage, res: ServerResponse, out: HttpResponse, invited: boolean): void {
  const bodyComing =
    invited &&
    !req.complete &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  if (!bodyComing || res.shouldKeepAlive) {
    send(res, out);
    return;
  }
  req.on('end', () => send(res, out));
  req.resume();
}

function decodes(target: string): boolean {
  try {
    decodeURIComponent(target);
    return true;
  } catch {
    return false;
  }
}

function send(res: ServerResponse, out: HttpResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(out.status, out.headers).end(out.body);
}

/** The client went away mid-body, or a bug: nobody may be listening, and nothing must crash. */
function fail(res: ServerResponse): void {
  if (res.destroyed) return;
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('internal error\n');
}
