import { handlerFromEnv } from '../lib/http/from-env.ts';

const handle = handlerFromEnv();

/** The parts of a Lambda Function URL / API Gateway HTTP API (payload 2.0) event the webhook reads. */
export interface HttpEventV2 {
  rawPath?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

/** AWS Lambda handler for Function URLs and HTTP APIs (payload format 2.0). */
export async function handler(event: HttpEventV2) {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const body =
    event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const out = await handle({
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? '/',
    headers,
    body,
  });
  return { statusCode: out.status, headers: out.headers, body: out.body };
}
