import { isObject } from '../json.ts';
import { decodePath } from './decode-path.ts';
import type { HttpRequest, HttpResponse } from './handle.ts';

/** Both payload formats accept this answer; the body is text, so it is never base64. */
export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/**
 * The longest patch a Lambda answer can carry: a synchronous invocation's response is at most 6 MB
 * (6,291,456 bytes), and the patch travels as base64 inside the review's JSON inside the response's.
 */
export const LAMBDA_MAX_PATCH_BYTES = 6 * 1024 * 1024 - 16 * 1024;

/**
 * The Lambda handler over the platform-neutral one: reads a REST API (1.0), HTTP API (2.0) or Function
 * URL event into an HttpRequest and the answer back. Any other event (a direct invoke, a queue), or one
 * whose body or headers are not strings, gets a 400 naming what was expected: a thrown handler is a 502
 * from the platform, which the API server cannot tell from an outage.
 */
export function lambdaHandler(
  handle: (req: HttpRequest) => Promise<HttpResponse>,
): (event: unknown) => Promise<LambdaHttpResult> {
  return async (event) => {
    const req = toHttpRequest(event);
    let out: HttpResponse;
    if ('problem' in req) {
      out = {
        status: 400,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `not an HTTP event: ${req.problem}\n`,
      };
    } else {
      try {
        out = await handle(req);
      } catch (err) {
        // A bug, not the caller's input: answered, and said once on stderr (never the request itself).
        process.stderr.write(
          `${JSON.stringify({ severity: 'ERROR', message: `handler failed: ${(err as Error).message}` })}\n`,
        );
        out = {
          status: 500,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'internal error\n',
        };
      }
    }
    return { statusCode: out.status, headers: out.headers, body: out.body, isBase64Encoded: false };
  };
}

const NOT_HTTP = 'want an API Gateway REST or HTTP API event or a Function URL request';

function toHttpRequest(event: unknown): HttpRequest | { problem: string } {
  if (!isObject(event)) return { problem: NOT_HTTP };
  if (typeof event.httpMethod === 'string' && typeof event.path === 'string') {
    const headers = headersOf(event.headers);
    if ('problem' in headers) return headers;
    // When present, multiValueHeaders holds every value of a repeated header; headers only the last.
    const multi = event.multiValueHeaders;
    if (multi !== undefined && multi !== null && !isObject(multi))
      return { problem: 'multiValueHeaders must be a map of lists of strings' };
    for (const [name, values] of Object.entries(multi ?? {})) {
      if (values === undefined || values === null) continue;
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string'))
        return {
          problem: `multiValueHeaders ${JSON.stringify(name.toLowerCase())} must be a list of strings`,
        };
      if (values.length) headers.map[name.toLowerCase()] = values.join(', ');
    }
    const body = bodyOf(event.body, event.isBase64Encoded);
    if ('problem' in body) return body;
    return { method: event.httpMethod, path: decodePath(event.path), headers: headers.map, body: body.bytes };
  }
  const http = isObject(event.requestContext) ? event.requestContext.http : undefined;
  if (typeof event.rawPath === 'string' && isObject(http) && typeof http.method === 'string') {
    const stage = (event.requestContext as { stage?: unknown }).stage;
    if (stage !== undefined && stage !== null && typeof stage !== 'string')
      return { problem: 'requestContext.stage must be a string' };
    const headers = headersOf(event.headers);
    if ('problem' in headers) return headers;
    const body = bodyOf(event.body, event.isBase64Encoded);
    if ('problem' in body) return body;
    return {
      method: http.method,
      path: decodePath(withoutStage(event.rawPath, stage ?? undefined)),
      headers: headers.map,
      body: body.bytes,
    };
  }
  return { problem: NOT_HTTP };
}

/** An HTTP API stage other than `$default` prefixes rawPath with its name; the routes do not have it. */
function withoutStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  return rawPath === prefix || rawPath.startsWith(`${prefix}/`)
    ? rawPath.slice(prefix.length) || '/'
    : rawPath;
}

/** The headers with lower-case names; a value that is not a string (or absent) is refused, by name. */
function headersOf(headers: unknown): { map: Record<string, string | undefined> } | { problem: string } {
  if (headers === undefined || headers === null) return { map: {} };
  if (!isObject(headers)) return { problem: 'headers must be a map of strings' };
  const map: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string')
      return { problem: `header ${JSON.stringify(name.toLowerCase())} must be a string` };
    map[name.toLowerCase()] = value;
  }
  return { map };
}

function bodyOf(
  body: unknown,
  base64: unknown,
): { bytes: Buffer | string | undefined } | { problem: string } {
  if (base64 !== undefined && base64 !== null && typeof base64 !== 'boolean')
    return { problem: 'isBase64Encoded must be a boolean' };
  if (body === null || body === undefined) return { bytes: undefined };
  if (typeof body !== 'string') return { problem: `body must be a string (or null), not ${describe(body)}` };
  // Well-formed as a round trip through UTF-8 bytes makes it (a lone surrogate becomes U+FFFD), as the
  // other platforms' bodies are.
  return { bytes: base64 ? Buffer.from(body, 'base64') : body.toWellFormed() };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
