import {
  handleReview,
  type ReviewOutcome,
  type ReviewSettings,
  unreadableReview,
} from '../admission/handle-review.ts';

/** An HTTP request as every platform can give it: header names lower-case, the body as raw bytes. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: Buffer | undefined;
  /** The body already parsed as JSON by the platform (functions-framework does), to skip a second parse. */
  parsedBody?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Twice the API server's own 3 MiB request limit, as Istio allows. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface HandlerOptions extends ReviewSettings {
  /** Called once per answered review (logging, metrics). */
  onReview?: (outcome: ReviewOutcome, durationMs: number) => void;
  now?: () => number;
}

/**
 * The platform-neutral webhook: `POST /inject[/...]` and `GET /healthz`. Problems with the HTTP request
 * itself get an HTTP status and a one-line reason; problems with the review get an AdmissionReview
 * answer (HTTP 200, allowed: false), which the API server shows the user.
 */
export function createHandler(options: HandlerOptions): (req: HttpRequest) => Promise<HttpResponse> {
  const now = options.now ?? performance.now.bind(performance);
  return async (req) => {
    const start = now();
    if (req.path === '/healthz' || req.path === '/ready') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return text(405, 'method not allowed; use GET', { allow: 'GET, HEAD' });
      return text(200, 'ok');
    }
    if (req.path !== '/inject' && !req.path.startsWith('/inject/')) {
      return text(404, `no route for ${req.path}; the webhook is at /inject`);
    }
    if (req.method !== 'POST')
      return text(405, `method ${req.method} not allowed; use POST`, { allow: 'POST' });
    const body = req.body ?? Buffer.alloc(0);
    if (body.length > MAX_BODY_BYTES)
      return text(413, `request body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
    if (body.length === 0) return text(400, 'no body found');
    const type = req.headers['content-type'] ?? '';
    if (!isJsonContentType(type))
      return text(415, `invalid Content-Type ${JSON.stringify(type)}, want "application/json"`);

    let result: Awaited<ReturnType<typeof handleReview>>;
    try {
      const review = req.parsedBody !== undefined ? req.parsedBody : JSON.parse(body.toString('utf8'));
      result = await handleReview(review, req.path, options);
    } catch (err) {
      // Only JSON.parse throws here: handleReview answers every other failure itself.
      result = unreadableReview(`request body is not JSON: ${(err as Error).message}`);
    }
    const { review, outcome } = result;
    options.onReview?.(outcome, now() - start);
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
