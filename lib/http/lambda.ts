import { isObject } from '../json.ts';
import { decodePath } from './decode-path.ts';
import type { HttpRequest, HttpResponse } from './handle.ts';

/** API Gateway REST API (and HTTP API payload 1.0) proxy event: the fields the webhook reads. */
export interface RestApiEvent {
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** Lambda Function URL and API Gateway HTTP API (payload 2.0) event: the fields the webhook reads. */
export interface HttpApiEvent {
  version: '2.0';
  rawPath: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string }; stage?: string };
}

/** Both payload formats accept this answer; the body is text, so it is never base64. */
export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/**
 * The Lambda handler over the platform-neutral one: reads a REST API (1.0), HTTP API (2.0) or Function
 * URL event into an HttpRequest and the answer back. Any other event (a direct invoke, a queue) gets a
 * 400 naming what was expected.
 */
export function lambdaHandler(
  handle: (req: HttpRequest) => Promise<HttpResponse>,
): (event: unknown) => Promise<LambdaHttpResult> {
  return async (event) => {
    const req = toHttpRequest(event);
    const out = req
      ? await handle(req)
      : {
          status: 400,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'not an HTTP event: want an API Gateway REST or HTTP API event or a Function URL request\n',
        };
    return { statusCode: out.status, headers: out.headers, body: out.body, isBase64Encoded: false };
  };
}

function toHttpRequest(event: unknown): HttpRequest | undefined {
  if (!isObject(event)) return undefined;
  if (typeof event.httpMethod === 'string' && typeof event.path === 'string') {
    const e = event as unknown as RestApiEvent;
    const headers = lowerCaseKeys(e.headers ?? {});
    // When present, multiValueHeaders holds every value of a repeated header; headers only the last.
    for (const [name, values] of Object.entries(e.multiValueHeaders ?? {})) {
      if (values?.length) headers[name.toLowerCase()] = values.join(', ');
    }
    return {
      method: e.httpMethod,
      path: decodePath(e.path),
      headers,
      body: bodyOf(e.body, e.isBase64Encoded),
    };
  }
  const http = isObject(event.requestContext) ? event.requestContext.http : undefined;
  if (typeof event.rawPath === 'string' && isObject(http) && typeof http.method === 'string') {
    const e = event as unknown as HttpApiEvent;
    return {
      method: e.requestContext.http.method,
      path: decodePath(withoutStage(e.rawPath, e.requestContext.stage)),
      headers: lowerCaseKeys(e.headers ?? {}),
      body: bodyOf(e.body, e.isBase64Encoded),
    };
  }
  return undefined;
}

/** An HTTP API stage other than `$default` prefixes rawPath with its name; the routes do not have it. */
function withoutStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  return rawPath === prefix || rawPath.startsWith(`${prefix}/`)
    ? rawPath.slice(prefix.length) || '/'
    : rawPath;
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function bodyOf(body: string | null | undefined, base64: boolean | undefined): Buffer | undefined {
  if (body === null || body === undefined) return undefined;
  return Buffer.from(body, base64 ? 'base64' : 'utf8');
}
