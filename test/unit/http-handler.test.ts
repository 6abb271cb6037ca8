import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { buildHttpApiEvent, readHttpApiResult } from '../../local/api-event';
import { AppError, ConflictError, RateLimitedError } from '../../shared/domain/errors';
import { errorHandler, httpHandler, type HttpEvent, type HttpHandlerFn } from '../../shared/http/handler';
import type { HttpResult } from '../../shared/http/responses';
import type middy from '@middy/core';
import { jsonBody, noBodyOrEmptyObject } from '../../shared/http/input';
import { json } from '../../shared/http/responses';

const context = { awsRequestId: 'lambda-req-1', functionName: 'test' } as Context;

async function run(fn: HttpHandlerFn, body?: string, contentType = 'application/json') {
  const event = buildHttpApiEvent({
    method: 'POST',
    url: '/things',
    requestId: 'api-req-1',
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body }),
  });
  const result = readHttpApiResult(await httpHandler(fn, { securityLog: false })(event, context));
  return { ...result, text: result.body.toString('utf8') };
}

const thing = z.object({ title: z.string().min(1).max(100) });
const echo: HttpHandlerFn = (event) => Promise.resolve(json(201, jsonBody(event, thing)));

describe('the HTTP middleware stack', () => {
  it('turns an unexpected error into a generic 500 with the request id and nothing else', async () => {
    const secret = 'pina_SENTINELleak0123456789';
    const res = await run(() => Promise.reject(new Error(`database said ${secret} at /srv/app.ts:12`)));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.text)).toEqual({
      error: { code: 'internal_error', message: 'Internal error. Quote the request id to support.', requestId: 'api-req-1' },
    });
    expect(res.text).not.toContain(secret);
    expect(res.text).not.toContain('app.ts');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('hides a thrown non-Error value too', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const res = await run(() => Promise.reject({ token: 'pina_SENTINELobject0123456' }));
    expect(res.statusCode).toBe(500);
    expect(res.text).not.toContain('SENTINEL');
  });

  it('shows a client error with its stable code and the current state', async () => {
    const res = await run(() => Promise.reject(new ConflictError('The Pin is not approved', 'draft')));
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.text)).toEqual({
      error: { code: 'conflict', message: 'The Pin is not approved', currentState: 'draft', requestId: 'api-req-1' },
    });
  });

  it('answers 429 with Retry-After for a rate limit', async () => {
    const res = await run(() => Promise.reject(new RateLimitedError('Too many Pins today', 61.2)));
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('62');
  });

  it('answers a dependency failure 502 with the use case\'s message, never its cause\'s body', async () => {
    const cause = new Error('upstream said pina_SENTINELcause0123456789 at /srv/x.ts:1');
    const res = await run(() => Promise.reject(new AppError('dependency_failed', 'Pinterest sandbox failed (server_error (HTTP 503)): could not list the sections.', { cause })));
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.text)).toEqual({
      error: { code: 'dependency_failed', message: 'Pinterest sandbox failed (server_error (HTTP 503)): could not list the sections.', requestId: 'api-req-1' },
    });
    expect(res.text).not.toContain('SENTINEL');
  });

  it('accepts a valid JSON body', async () => {
    const res = await run(echo, '{"title":"Autumn"}');
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ title: 'Autumn' });
  });

  it.each([
    ['malformed JSON', '{"title":', 'application/json', 400, 'invalid_json', 'The body is not valid JSON'],
    ['a missing body', undefined, 'application/json', 400, 'validation_failed', 'A JSON body is required'],
    ['the wrong content type', 'title=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type', 'Content-Type: application/json'],
    ['an invalid field', '{"title":""}', 'application/json', 400, 'validation_failed', 'body.title'],
    ['an oversized body', JSON.stringify({ title: 'x'.repeat(70 * 1024) }), 'application/json', 413, 'payload_too_large', 'larger than'],
  ])('refuses %s with a clear 4xx', async (_case, body, contentType, status, code, message) => {
    const res = await run(echo, body, contentType);
    expect(res.statusCode).toBe(status);
    const payload = JSON.parse(res.text) as { error: { code: string; message: string } };
    expect(payload.error.code).toBe(code);
    expect(payload.error.message).toContain(message);
  });

  it('leaves a response an earlier middleware already set alone, and maps the error otherwise', async () => {
    const event = buildHttpApiEvent({ method: 'GET', url: '/x', requestId: 'api-req-2' });
    const set = json(202, { kept: true });
    const withResponse = { event, context, response: set, error: new Error('late failure'), internal: {} } as unknown as middy.Request<HttpEvent, HttpResult>;
    await errorHandler('json').onError?.(withResponse);
    expect(withResponse.response).toBe(set);
    const without = { event, context, response: undefined, error: new ConflictError('busy'), internal: {} } as unknown as middy.Request<HttpEvent, HttpResult>;
    await errorHandler('json').onError?.(without);
    expect(without.response?.statusCode).toBe(409);
  });
});

describe('noBodyOrEmptyObject (action routes without fields)', () => {
  const withBody = (body: string | undefined) => buildHttpApiEvent({ method: 'POST', url: '/x', ...(body === undefined ? {} : { body }) });

  it.each([undefined, '', '{}', '{ }', '{}\n', ' {\r\n} '])('accepts %j: no body, or an empty JSON object however spaced', (body) => {
    expect(() => {
      noBodyOrEmptyObject(withBody(body));
    }).not.toThrow();
  });

  it.each(['{"status":"closed"}', '[]', 'null', '"close"', 'not json', '{}{}'])('refuses %j with a 400 naming the body', (body) => {
    expect(() => {
      noBodyOrEmptyObject(withBody(body));
    }).toThrow(expect.objectContaining({ code: 'validation_failed', issues: [{ path: 'body', message: 'must be empty' }] }) as Error);
  });
});
