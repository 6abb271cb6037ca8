import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Builds API Gateway HTTP API payload-format-2.0 events and reads results back, the way API Gateway
 * does. The local server and the handler tests share it, so handlers are tested with the events they
 * will receive in AWS.
 */

export interface HttpRequestInput {
  method: string;
  /** Path with an optional query string: `/pins?status=draft`. */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: string | Buffer;
  sourceIp?: string;
  requestId?: string;
  routeKey?: string;
  pathParameters?: Record<string, string>;
  now?: Date;
}

const textual = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+(json|xml))/i;

function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()] ?? 'Jan'}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * A map with no prototype: keys taken from the request (`__proto__`, `constructor`, `toString`) are
 * plain own keys in it, as in the event Lambda parses from JSON, and cannot reach Object.prototype.
 */
function dictionary(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Repeated query keys are joined with commas, as API Gateway does. */
function parseQuery(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const out = dictionary();
  for (const [key, value] of new URLSearchParams(raw)) {
    const seen = out[key];
    out[key] = seen === undefined ? value : `${seen},${value}`;
  }
  return out;
}

export function buildHttpApiEvent(input: HttpRequestInput): APIGatewayProxyEventV2 {
  const now = input.now ?? new Date();
  const queryAt = input.url.indexOf('?');
  const rawPath = queryAt === -1 ? input.url : input.url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : input.url.slice(queryAt + 1);
  const headers = dictionary();
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const values = Array.isArray(value) ? value : [value];
    if (key === 'cookie') {
      cookies = [...(cookies ?? []), ...values.flatMap((v) => v.split(/;\s*/)).filter((c) => c !== '')];
      continue;
    }
    const seen = headers[key];
    headers[key] = seen === undefined ? values.join(',') : `${seen},${values.join(',')}`;
  }
  const method = input.method.toUpperCase();
  const bodyBuffer = input.body === undefined ? undefined : Buffer.from(input.body);
  const isText = textual.test(headers['content-type'] ?? 'text/plain');
  const requestId = input.requestId ?? randomUUID();
  const routeKey = input.routeKey ?? '$default';
  const host = headers.host ?? '127.0.0.1';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: bodyBuffer !== undefined && !isText,
  };
  if (cookies !== undefined) event.cookies = cookies;
  const queryStringParameters = parseQuery(rawQueryString);
  if (queryStringParameters !== undefined) event.queryStringParameters = queryStringParameters;
  if (input.pathParameters !== undefined && Object.keys(input.pathParameters).length > 0) {
    event.pathParameters = Object.assign(dictionary(), input.pathParameters);
  }
  if (bodyBuffer !== undefined && bodyBuffer.length > 0) {
    event.body = isText ? bodyBuffer.toString('utf8') : bodyBuffer.toString('base64');
  }
  return event;
}

export interface HttpResponseOutput {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/** Reads a handler's result as API Gateway would (a bare string or object becomes a 200 JSON body). */
export function readHttpApiResult(result: unknown): HttpResponseOutput {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const structured = result as APIGatewayProxyStructuredResultV2;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const raw = structured.body ?? '';
  return {
    statusCode: structured.statusCode ?? 200,
    headers,
    cookies: structured.cookies ?? [],
    body: structured.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
  };
}
