import {
  handleReview,
  type ReviewOutcome,
  type ReviewSettings,
  unreadableReview,
} from '../admission/handle-review.ts';
import { bearerToken } from '../auth/bearer.ts';
import { takePathKey } from '../auth/path-key.ts';
import type { Authorizer } from '../auth/verify.ts';
import { InjectionCache } from '../inject/result-cache.ts';
import { parseInjectEnvs } from '../path/params.ts';

/** An HTTP request as every platform can give it: header names lower-case, the body as raw bytes. */
export interface HttpRequest {
  method: string;
  /** Percent-decoded, as Go's `r.URL.Path` is for Istio's parser. */
  path: string;
  headers: Record<string, string | undefined>;
  body: Buffer | undefined;
  /** The body already parsed as JSON by the platform (functions-framework does), to skip a second parse. */
  parsedBody?: unknown;
  /** The platform stopped reading the body at MAX_BODY_BYTES (functions/server.ts); `body` is then unset. */
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
export function createHandler(options: HandlerOptions): (req: HttpRequest) => Promise<HttpResponse> {
  const now = options.now ?? performance.now.bind(performance);
  // One cache per handler (per warm instance): replicas of a workload are injected once.
  const settings = { cache: new InjectionCache(), ...options };
  return async (req) => {
    const start = now();
    // Probes are not logged: they carry nothing and would outnumber the reviews.
    if (req.path === '/healthz' || req.path === '/ready') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return text(405, 'method not allowed; use GET', { allow: 'GET, HEAD' });
      return text(200, 'ok');
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

    if (mixed) {
      return refuse(
        400,
        'a /key/ segment cannot follow the :ENV: path form; use /inject/cluster/<id>/key/<secret>/...',
      );
    }
    if (path !== '/inject' && !path.startsWith('/inject/')) {
      // Echoed to the caller, who knows it, but not logged: behind a mistaken prefix the key pair is not
      // where the grammar looks, so the path may still hold the secret.
      return refuse(404, `no route for ${path}; the webhook is at /inject`, {}, 'no route for this path');
    }
    if (options.authorize) {
      const verdict = options.authorize(cluster, [key, bearerToken(req.headers.authorization)]);
      if (!verdict.allowed) {
        return refuse(
          verdict.status,
          verdict.reason,
          verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
        );
      }
    }
    if (req.method !== 'POST')
      return refuse(405, `method ${req.method} not allowed; use POST`, { allow: 'POST' });
    const body = req.body ?? Buffer.alloc(0);
    if (req.bodyTooLarge) return refuse(413, `request body is over the limit of ${MAX_BODY_BYTES} bytes`);
    if (body.length > MAX_BODY_BYTES)
      return refuse(413, `request body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
    // Content type first: functions-framework hands over no body for a type it does not parse, so
    // "no body found" would hide the real problem.
    const type = req.headers['content-type'] ?? '';
    if (!isJsonContentType(type))
      return refuse(415, `invalid Content-Type ${JSON.stringify(type)}, want "application/json"`);
    if (body.length === 0) return refuse(400, 'no body found');

    let result: Awaited<ReturnType<typeof handleReview>>;
    try {
      const review = req.parsedBody !== undefined ? req.parsedBody : JSON.parse(body.toString('utf8'));
      result = await handleReview(review, path, settings);
    } catch (err) {
      // Only JSON.parse throws here: handleReview answers every other failure itself.
      result = unreadableReview(`request body is not JSON: ${(err as Error).message}`);
    }
    const { review, outcome } = result;
    options.onRequest?.({ status: 200, durationMs: now() - start, cluster, review: outcome });
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(review) };
  };
}

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
