import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildHttpApiEvent, readHttpApiResult } from '../../local/api-event';

/**
 * The payload 2.0 events the local API stand-in builds, and how it reads results back, checked against
 * API Gateway's documented behaviour for HTTP APIs.
 */

const now = new Date(Date.UTC(2024, 2, 5, 7, 8, 9, 123)); // 2024-03-05T07:08:09.123Z

describe('buildHttpApiEvent', () => {
  it('lower-cases header names and joins repeated values with commas', () => {
    const event = buildHttpApiEvent({
      method: 'GET',
      url: '/health',
      headers: { 'X-Forwarded-For': ['10.0.0.1', '10.0.0.2'], Accept: 'text/html', 'X-Empty': undefined, 'x-accept': 'a', 'X-ACCEPT': 'b' },
    });
    expect(event.headers).toEqual({ 'x-forwarded-for': '10.0.0.1,10.0.0.2', accept: 'text/html', 'x-accept': 'a,b' });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('moves Cookie headers into `cookies` (split on "; ") and leaves them out of `headers`', () => {
    const event = buildHttpApiEvent({
      method: 'GET',
      url: '/oauth/callback',
      headers: { Cookie: '__Secure-mdz_oauth_nonce=abc; theme=dark', 'user-agent': 'jest' },
    });
    expect(event.cookies).toEqual(['__Secure-mdz_oauth_nonce=abc', 'theme=dark']);
    expect(event.headers).toEqual({ 'user-agent': 'jest' });
    expect(event.headers.cookie).toBeUndefined();
  });

  it('collects every Cookie header (repeated or differently cased) into `cookies`', () => {
    const event = buildHttpApiEvent({ method: 'GET', url: '/', headers: { cookie: ['a=1; b=2', 'c=3'], COOKIE: 'd=4' } });
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3', 'd=4']);
    expect(event.headers).toEqual({});
  });

  it('has no `cookies` without a Cookie header', () => {
    expect(buildHttpApiEvent({ method: 'GET', url: '/' }).cookies).toBeUndefined();
  });

  it('joins repeated query keys with commas and keeps the raw path and query string', () => {
    const event = buildHttpApiEvent({ method: 'GET', url: '/pins?status=draft&status=approved&limit=5&q=a%20b' });
    expect(event.rawPath).toBe('/pins');
    expect(event.rawQueryString).toBe('status=draft&status=approved&limit=5&q=a%20b');
    expect(event.queryStringParameters).toEqual({ status: 'draft,approved', limit: '5', q: 'a b' });
    expect(event.requestContext.http.path).toBe('/pins');
  });

  it('has no `queryStringParameters` without a query', () => {
    const plain = buildHttpApiEvent({ method: 'GET', url: '/pins' });
    expect(plain.rawPath).toBe('/pins');
    expect(plain.rawQueryString).toBe('');
    expect(plain).not.toHaveProperty('queryStringParameters');
    const emptyQuery = buildHttpApiEvent({ method: 'GET', url: '/pins?' });
    expect(emptyQuery.rawPath).toBe('/pins');
    expect(emptyQuery.rawQueryString).toBe('');
    expect(emptyQuery).not.toHaveProperty('queryStringParameters');
  });

  it('fills requestContext.http, routeKey, requestId and API Gateway’s time for a fixed now', () => {
    const event = buildHttpApiEvent({
      method: 'post',
      url: '/oauth/start?x=1',
      headers: { 'User-Agent': 'curl/8.5.0', Host: 'api.example.test' },
      sourceIp: '203.0.113.9',
      requestId: 'req-123',
      routeKey: 'POST /oauth/start',
      now,
    });
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /oauth/start');
    expect(event.requestContext.routeKey).toBe('POST /oauth/start');
    expect(event.requestContext.requestId).toBe('req-123');
    expect(event.requestContext.http).toEqual({
      method: 'POST',
      path: '/oauth/start',
      protocol: 'HTTP/1.1',
      sourceIp: '203.0.113.9',
      userAgent: 'curl/8.5.0',
    });
    expect(event.requestContext.time).toBe('05/Mar/2024:07:08:09 +0000');
    expect(event.requestContext.timeEpoch).toBe(now.getTime());
    expect(event.requestContext.domainName).toBe('api.example.test');
    expect(event.requestContext.stage).toBe('$default');
  });

  it('formats the time in UTC with two-digit fields, whatever the month', () => {
    const time = (iso: string) => buildHttpApiEvent({ method: 'GET', url: '/', now: new Date(iso) }).requestContext.time;
    expect(time('2025-12-31T23:59:59.999Z')).toBe('31/Dec/2025:23:59:59 +0000');
    expect(time('2023-01-01T00:00:00.000Z')).toBe('01/Jan/2023:00:00:00 +0000');
    expect(time('2023-01-01T00:00:00.000Z')).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('defaults routeKey to $default, a fresh request id per event, and the loopback source', () => {
    const a = buildHttpApiEvent({ method: 'GET', url: '/' });
    const b = buildHttpApiEvent({ method: 'GET', url: '/' });
    expect(a.routeKey).toBe('$default');
    expect(a.requestContext.requestId).not.toBe('');
    expect(a.requestContext.requestId).not.toBe(b.requestContext.requestId);
    expect(a.requestContext.http.sourceIp).toBe('127.0.0.1');
    expect(a.requestContext.http.userAgent).toBe('');
  });

  it('keeps a JSON body as text (isBase64Encoded false)', () => {
    const body = JSON.stringify({ environment: 'sandbox', note: 'é ✓' });
    const event = buildHttpApiEvent({ method: 'POST', url: '/oauth/start', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body });
    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
  });

  it('keeps a text body given as bytes as text', () => {
    const event = buildHttpApiEvent({ method: 'POST', url: '/x', headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello ✓') });
    expect(event.body).toBe('hello ✓');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('base64-encodes a binary body (isBase64Encoded true) so that it round-trips byte for byte', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const event = buildHttpApiEvent({ method: 'PUT', url: '/media', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).toBe(bytes.toString('base64'));
    expect(Buffer.from(event.body ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('has no body and no base64 flag without a body', () => {
    const event = buildHttpApiEvent({ method: 'GET', url: '/health' });
    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes path parameters only when there are some', () => {
    expect(buildHttpApiEvent({ method: 'GET', url: '/pins/p1', pathParameters: { id: 'p1' } }).pathParameters).toEqual({ id: 'p1' });
    expect(buildHttpApiEvent({ method: 'GET', url: '/pins', pathParameters: {} })).not.toHaveProperty('pathParameters');
  });

  describe('keys named like Object.prototype members (__proto__, constructor, toString)', () => {
    const reserved = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

    afterEach(() => {
      // Nothing a request sent may end up on Object.prototype.
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('are plain own query keys of a prototype-less object, joined like any other when repeated', () => {
      const event = buildHttpApiEvent({
        method: 'GET',
        url: '/pins?__proto__=x&constructor=c&toString=t1&toString=t2&hasOwnProperty=h&valueOf=v&__proto__[polluted]=1&status=draft',
      });
      const query = event.queryStringParameters ?? {};
      expect(Object.getPrototypeOf(query)).toBeNull();
      expect(Object.keys(query)).toEqual([...reserved, '__proto__[polluted]', 'status']);
      expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toBe('x');
      expect(query.constructor).toBe('c');
      expect(query.toString).toBe('t1,t2');
      expect(query.hasOwnProperty).toBe('h');
      expect(query.valueOf).toBe('v');
      expect(query.status).toBe('draft');
      // As in the JSON event Lambda hands the handler, where these are ordinary keys too.
      expect(JSON.stringify(query)).toBe(
        '{"__proto__":"x","constructor":"c","toString":"t1,t2","hasOwnProperty":"h","valueOf":"v","__proto__[polluted]":"1","status":"draft"}',
      );
    });

    it('a query key that is only a reserved name does not crash and reads as sent', () => {
      for (const key of reserved) {
        const query = buildHttpApiEvent({ method: 'GET', url: `/pins?${key}=1` }).queryStringParameters ?? {};
        expect(Object.keys(query)).toEqual([key]);
        expect(Object.getOwnPropertyDescriptor(query, key)?.value).toBe('1');
      }
    });

    it('are plain own header names of a prototype-less object', () => {
      // Node hands the server its headers in a prototype-less object, so such names arrive as own keys.
      const headers = Object.assign(Object.create(null) as Record<string, string | string[]>, JSON.parse('{"__proto__":"x"}') as object, {
        constructor: 'c',
        toString: ['t1', 't2'],
      });
      const event = buildHttpApiEvent({ method: 'GET', url: '/health', headers });
      expect(Object.getPrototypeOf(event.headers)).toBeNull();
      expect(Object.keys(event.headers)).toEqual(['__proto__', 'constructor', 'tostring']);
      expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('x');
      expect(event.headers.constructor).toBe('c');
      expect(event.headers.tostring).toBe('t1,t2');
    });

    it('are plain own path parameters of a prototype-less object', () => {
      const pathParameters = JSON.parse('{"__proto__":"x","constructor":"c","id":"p1"}') as Record<string, string>;
      const event = buildHttpApiEvent({ method: 'GET', url: '/pins/p1', pathParameters });
      const params = event.pathParameters ?? {};
      expect(Object.getPrototypeOf(params)).toBeNull();
      expect(Object.keys(params)).toEqual(['__proto__', 'constructor', 'id']);
      expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toBe('x');
      expect(params.constructor).toBe('c');
      expect(params.id).toBe('p1');
    });
  });
});

describe('readHttpApiResult', () => {
  it('lower-cases a structured result’s headers and keeps its status, cookies and text body', () => {
    const out = readHttpApiResult({
      statusCode: 302,
      headers: { Location: 'https://example.test/', 'Cache-Control': 'no-store', 'X-Count': 3 },
      cookies: ['a=1; Path=/; HttpOnly', 'b=2'],
      body: 'redirecting ✓',
    });
    expect(out.statusCode).toBe(302);
    expect(out.headers).toEqual({ location: 'https://example.test/', 'cache-control': 'no-store', 'x-count': '3' });
    expect(out.cookies).toEqual(['a=1; Path=/; HttpOnly', 'b=2']);
    expect(out.body.toString('utf8')).toBe('redirecting ✓');
  });

  it('decodes a base64 body', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    const result: APIGatewayProxyStructuredResultV2 = {
      statusCode: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    };
    const out = readHttpApiResult(result);
    expect(out.body.equals(bytes)).toBe(true);
    expect(out.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers a structured result without headers, cookies or body with empty ones', () => {
    const out = readHttpApiResult({ statusCode: 204 });
    expect(out).toEqual({ statusCode: 204, headers: {}, cookies: [], body: Buffer.alloc(0) });
  });

  it('turns a bare string result into a 200 JSON answer with the string as body', () => {
    const out = readHttpApiResult('Hello from Lambda!');
    expect(out.statusCode).toBe(200);
    expect(out.headers).toEqual({ 'content-type': 'application/json' });
    expect(out.cookies).toEqual([]);
    expect(out.body.toString('utf8')).toBe('Hello from Lambda!');
  });

  it('turns an object without statusCode into a 200 JSON answer of that object', () => {
    const value = { message: 'Hello from Lambda!', body: 'not a proxy body', headers: { ignored: true } };
    const out = readHttpApiResult(value);
    expect(out.statusCode).toBe(200);
    expect(out.headers).toEqual({ 'content-type': 'application/json' });
    expect(out.cookies).toEqual([]);
    expect(JSON.parse(out.body.toString('utf8'))).toEqual(value);
  });

  it('round-trips with buildHttpApiEvent for a binary echo', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const event = buildHttpApiEvent({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    const out = readHttpApiResult({ statusCode: 200, body: event.body ?? '', isBase64Encoded: event.isBase64Encoded });
    expect(out.body.equals(bytes)).toBe(true);
  });
});
