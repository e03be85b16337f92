// Lambda events as AWS delivers them (shapes from the API Gateway and Lambda developer guides), for a
// kube-apiserver calling the webhook: every field present, not just the ones the handler reads.

export interface EventInput {
  method?: string;
  path: string;
  /** The query string, without `?` (the API server adds `timeout=10s` to every webhook call). */
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
}

const API_SERVER_HEADERS = {
  Accept: 'application/json, */*',
  'Content-Type': 'application/json',
  'User-Agent': 'kube-apiserver-admission',
};

function encodedBody(input: EventInput): string | undefined {
  if (input.body === undefined) return undefined;
  return input.base64 ? Buffer.from(input.body).toString('base64') : input.body;
}

/** API Gateway REST API, Lambda proxy integration (payload 1.0), stage `prod`, route `/inject/{proxy+}`. */
export function restApiEvent(input: EventInput) {
  const headers: Record<string, string> = {
    ...API_SERVER_HEADERS,
    'CloudFront-Forwarded-Proto': 'https',
    Host: 'r2d2xmpl42.execute-api.us-east-1.amazonaws.com',
    'X-Amzn-Trace-Id': 'Root=1-5e66d96f-7491f09xmpl79d18acf3d050',
    'X-Forwarded-For': '203.0.113.10',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...input.headers,
  };
  const body = encodedBody(input);
  return {
    resource: '/inject/{proxy+}',
    path: input.path,
    httpMethod: input.method ?? 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: input.path.replace(/^\/inject\/?/, '') },
    stageVariables: null,
    requestContext: {
      resourceId: '2gxmpl',
      resourcePath: '/inject/{proxy+}',
      httpMethod: input.method ?? 'POST',
      extendedRequestId: 'JJbxmplHYosFVYQ=',
      requestTime: '10/Mar/2020:00:03:59 +0000',
      path: `/prod${input.path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'prod',
      domainPrefix: 'r2d2xmpl42',
      requestTimeEpoch: 1583798639428,
      requestId: '77375676-xmpl-4b79-853a-f982474efe18',
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: '203.0.113.10',
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: 'kube-apiserver-admission',
        user: null,
      },
      domainName: 'r2d2xmpl42.execute-api.us-east-1.amazonaws.com',
      apiId: 'r2d2xmpl42',
    },
    body: body ?? null,
    isBase64Encoded: input.base64 ?? false,
  };
}

function v2Event(input: EventInput, routeKey: string, domainName: string, apiId: string) {
  const headers: Record<string, string> = {
    accept: API_SERVER_HEADERS.Accept,
    'content-type': API_SERVER_HEADERS['Content-Type'],
    'user-agent': API_SERVER_HEADERS['User-Agent'],
    'content-length': String(Buffer.byteLength(input.body ?? '')),
    host: domainName,
    'x-amzn-trace-id': 'Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e',
    'x-forwarded-for': '203.0.113.10',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  // HTTP APIs and Function URLs lower-case header names.
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = encodedBody(input);
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString: input.query ?? '',
    ...(input.query && { queryStringParameters: Object.fromEntries(new URLSearchParams(input.query)) }),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId,
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: input.method ?? 'POST',
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'kube-apiserver-admission',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey,
      stage: '$default',
      time: '10/Mar/2020:05:16:23 +0000',
      timeEpoch: 1583817383220,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: input.base64 ?? false,
  };
}

/** API Gateway HTTP API (payload 2.0), `$default` stage, route `POST /inject/{proxy+}`. */
export function httpApiEvent(input: EventInput) {
  const event = v2Event(
    input,
    'POST /inject/{proxy+}',
    'r3pmxmplak.execute-api.us-east-1.amazonaws.com',
    'r3pmxmplak',
  );
  return { ...event, pathParameters: { proxy: input.path.replace(/^\/inject\/?/, '') } };
}

/** Lambda Function URL (payload 2.0): route `$default`, domain `<url-id>.lambda-url.<region>.on.aws`. */
export function functionUrlEvent(input: EventInput) {
  return v2Event(
    input,
    '$default',
    'a7xmplbgr4lyy5ysr3pmxmplakkpoqbi.lambda-url.us-east-1.on.aws',
    'a7xmplbgr4lyy5ysr3pmxmplakkpoqbi',
  );
}

export const EVENT_SHAPES = {
  'REST API (payload 1.0)': restApiEvent,
  'HTTP API (payload 2.0)': httpApiEvent,
  'Function URL': functionUrlEvent,
} as const;
