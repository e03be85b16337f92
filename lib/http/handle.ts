import {
  handleReview,
  type ReviewOutcome,
  type ReviewSettings,
  unreadableReview,
} from '../admission/handle-review.ts';
import { parseCost, WORST_RATIO } from '../admission/parse-cost.ts';
import { reviewText } from '../admission/review.ts';
import { bearerToken } from '../auth/bearer.ts';
import { takePathKey } from '../auth/path-key.ts';
import type { Authorizer, AuthVerdict } from '../auth/verify.ts';
import { InjectionCache } from '../inject/result-cache.ts';
import { parseInjectEnvs } from '../path/params.ts';

/** What a platform knows of a request before reading its body: header names lower-case. */
export interface RequestHead {
  method: string;
  /** Percent-decoded, as Go's `r.URL.Path` is for Istio's parser. */
  path: string;
  headers: Record<string, string | undefined>;
}

/** An HTTP request as every platform can give it: the head, and the body as raw bytes or as text. */
export interface HttpRequest extends RequestHead {
  /** Text where the platform hands the body over as a string (Lambda): no round trip through bytes. */
  body: Buffer | string | undefined;
  /** The body already parsed as JSON by the platform (functions-framework does), to skip a second parse. */
  parsedBody?: unknown;
  /** The platform stopped reading the body at MAX_BODY_BYTES; `body` is then unset. */
  bodyTooLarge?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What one answered request was, for its log line and metrics. Never holds the caller's secret. */
export interface RequestRecord {
  status: number;
  durationMs: number;
  /** From the URL path; "" when it names none. */
  cluster: string;
  /** Set when the request reached the AdmissionReview; otherwise `reason` says why it did not. */
  review?: ReviewOutcome;
  reason?: string;
}

/** Twice the API server's own 3 MiB request limit, as Istio allows. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * The most memory a review may parse into, as parseCost estimates it before parsing: about 1.2x the
 * largest real pods (2,000 containers, 36 env vars each: 34 MiB), under a quarter of 6 MiB of empty
 * objects (178 MiB).
 */
export const MAX_PARSE_BYTES = 40 * 1024 * 1024;

/** How a platform's read of an admitted request's body ended. */
export type BodyRead =
  /**
   * The whole body, or its text (`parsed`: the platform's own JSON parse of it, if it made one; `cost`:
   * its parseCost, if the platform took it already).
   */
  | { bytes: Buffer | string; parsed?: unknown; cost?: number }
  /** The body passed MAX_BODY_BYTES; reading stopped there. */
  | { tooLarge: true }
  /** The instance's in-flight body budget (lib/http/body-budget.ts) had no room for it. */
  | { busy: { limitBytes: number; retryAfterSeconds: number } };

/**
 * The answer to a request, decided from its method, path and headers alone (`answer`: do not read the
 * body; send this), or the go-ahead to read the body and then call `review` with what was read.
 */
export type HeadDecision =
  | { answer: HttpResponse }
  | {
      answer?: undefined;
      /** The cluster the path names ("" when none), authenticated when auth is on. */
      cluster: string;
      review: (body: BodyRead) => Promise<HttpResponse>;
    };

/**
 * The webhook: call it with a whole request, or, where the platform has not read the body yet (node:http,
 * functions-framework), call `head` first and read the body only when it says so. The whole-request form
 * is `head` then `review`, so every platform answers the same.
 */
export interface WebhookHandler {
  (req: HttpRequest): Promise<HttpResponse>;
  /** A promise only while the caller keys are first loaded (lib/auth/stored-keys.ts). */
  head: (req: RequestHead) => HeadDecision | Promise<HeadDecision>;
}

export interface HandlerOptions extends ReviewSettings {
  /** Checks the caller's credentials on /inject; without it every caller may inject. */
  authorize?: Authorizer;
  /** Called once per answered request except health checks (logging, metrics). */
  onRequest?: (record: RequestRecord) => void;
  now?: () => number;
}

/**
 * The platform-neutral webhook: `POST /inject[/...]` and `GET /healthz`. Problems with the HTTP request
 * itself get an HTTP status and a one-line reason; problems with the review get an AdmissionReview
 * answer (HTTP 200, allowed: false), which the API server shows the user.
 */
export function createHandler(options: HandlerOptions): WebhookHandler {
  const now = options.now ?? performance.now.bind(performance);
  // One cache per handler (per warm instance): replicas of a workload are injected twice, not each.
  const settings = { cache: new InjectionCache(), ...options };

  // Everything that can be told from the head is told here, so a caller who may not inject (anonymous,
  // the wrong route, a compressed or oversized body) is answered before a byte of the body is read.
  const head = (req: RequestHead): HeadDecision | Promise<HeadDecision> => {
    const start = now();
    // Probes are not logged: they carry nothing and would outnumber the reviews.
    if (req.path === '/healthz' || req.path === '/ready') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return { answer: text(405, 'method not allowed; use GET', { allow: 'GET, HEAD' }) };
      return { answer: text(200, 'ok') };
    }
    // The secret leaves the path before anything else reads it: the path becomes proxy environment.
    const { path, key, mixed } = takePathKey(req.path);
    const cluster = parseInjectEnvs(path).ISTIO_META_CLUSTER_ID ?? '';
    const refuse = (
      status: number,
      message: string,
      headers: Record<string, string> = {},
      logged = message,
    ) => {
      options.onRequest?.({ status, durationMs: now() - start, cluster, reason: logged });
      return text(status, message, headers);
    };
    const refused = (
      status: number,
      message: string,
      headers: Record<string, string> = {},
      logged = message,
    ) => ({
      answer: refuse(status, message, headers, logged),
    });

    if (mixed) {
      return refused(
        400,
        'a /key/ segment cannot follow the :ENV: path form; use /inject/cluster/<id>/key/<secret>/...',
      );
    }
    if (path !== '/inject' && !path.startsWith('/inject/')) {
      // Neither echoed nor logged: behind a mistaken prefix the key pair is not where the grammar looks,
      // so the path may still hold the secret, and the API server shows this answer to whoever created
      // the pod.
      return refused(404, 'no route; the webhook is at /inject', {}, 'no route for this path');
    }
    const afterAuth = (verdict: AuthVerdict): HeadDecision => {
      if (verdict.allowed) return checkRequest();
      return refused(
        verdict.status,
        verdict.reason,
        verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
      );
    };
    const checkRequest = (): HeadDecision => {
      if (req.method !== 'POST')
        return refused(405, `method ${req.method} not allowed; use POST`, { allow: 'POST' });
      // A compressed body could inflate to any size; the API server never compresses a review.
      const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
      if (encoding !== '' && encoding !== 'identity') {
        return refused(
          415,
          `unsupported Content-Encoding ${JSON.stringify(encoding)}; send the body uncompressed (identity)`,
        );
      }
      const length = req.headers['content-length'];
      const declaredBytes = length !== undefined && /^\d+$/.test(length.trim()) ? Number(length) : undefined;
      if (declaredBytes !== undefined && declaredBytes > MAX_BODY_BYTES)
        return refused(413, `request body is ${declaredBytes} bytes; the limit is ${MAX_BODY_BYTES}`);
      // Content type before the body: "no body found" would hide the real problem.
      const type = req.headers['content-type'] ?? '';
      if (!isJsonContentType(type))
        return refused(415, `invalid Content-Type ${JSON.stringify(type)}, want "application/json"`);

      const review = async (read: BodyRead): Promise<HttpResponse> => {
        if ('busy' in read) {
          return refuse(
            503,
            `too many request bodies in flight on this instance (limit ${read.busy.limitBytes} bytes); retry`,
            { 'retry-after': String(read.busy.retryAfterSeconds) },
          );
        }
        if ('tooLarge' in read)
          return refuse(413, `request body is over the limit of ${MAX_BODY_BYTES} bytes`);
        const body = read.bytes;
        const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
        if (size > MAX_BODY_BYTES)
          return refuse(413, `request body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`);
        if (size === 0) return refuse(400, 'no body found');
        // Before JSON.parse: a body's memory is what it parses into. The bound needs no reading; a body
        // whose bound is over the limit is scanned (nodeFront has done it for the bodies it read).
        const cost =
          read.cost ?? (WORST_RATIO * size <= MAX_PARSE_BYTES ? WORST_RATIO * size : parseCost(body));
        if (cost > MAX_PARSE_BYTES) {
          return refuse(
            413,
            `request body would parse into about ${mibOf(cost)} MiB (${size} bytes of JSON); the limit is ${mibOf(MAX_PARSE_BYTES)} MiB`,
          );
        }

        let parsed: unknown = read.parsed;
        let result: Awaited<ReturnType<typeof handleReview>> | undefined;
        if (parsed === undefined) {
          try {
            parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
          } catch (err) {
            result = unreadableReview(`request body is not JSON: ${(err as Error).message}`);
          }
        }
        // handleReview answers every failure of the review itself; anything else is the platform's 500.
        result ??= await handleReview(parsed, path, settings, size);
        const { review: answer, outcome } = result;
        options.onRequest?.({ status: 200, durationMs: now() - start, cluster, review: outcome });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: reviewText(answer) };
      };
      return { cluster, review };
    };

    if (!options.authorize) return checkRequest();
    const verdict = options.authorize(cluster, [key, bearerToken(req.headers.authorization)]);
    // Only while the keys are first loaded (lib/auth/stored-keys.ts) does the decision wait.
    return verdict instanceof Promise ? verdict.then(afterAuth) : afterAuth(verdict);
  };

  const handle = async (req: HttpRequest): Promise<HttpResponse> => {
    const decision = await head(req);
    if (decision.answer) return decision.answer;
    if (req.bodyTooLarge) return decision.review({ tooLarge: true });
    return decision.review({ bytes: req.body ?? Buffer.alloc(0), parsed: req.parsedBody });
  };
  return Object.assign(handle, { head });
}

const mibOf = (bytes: number) => Math.ceil(bytes / (1024 * 1024));

function isJsonContentType(value: string): boolean {
  const [type = '', ...params] = value.split(';').map((s) => s.trim().toLowerCase());
  return type === 'application/json' && params.every((p) => p === '' || p === 'charset=utf-8');
}

function text(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: `${message}\n`,
  };
}
