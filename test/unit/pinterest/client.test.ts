import { z } from 'zod';
import { PinterestClient, type TokenSource } from '../../../shared/adapters/pinterest/client';
import { PinterestApiError, PinterestNetworkError, PinterestResponseError } from '../../../shared/adapters/pinterest/errors';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../shared/adapters/pinterest/http';

interface Sent {
  url: string;
  request: HttpRequest;
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    headers: { get: (name: string) => lower[name.toLowerCase()] ?? null },
    text: () => Promise.resolve(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/** A transport that answers from a queue and records what was sent. */
function scripted(...answers: Array<HttpResponse | Error | DOMException>): { transport: HttpTransport; sent: Sent[] } {
  const sent: Sent[] = [];
  const transport: HttpTransport = (url, request) => {
    sent.push({ url, request });
    const next = answers.shift();
    if (next === undefined) return Promise.reject(new Error('no scripted answer left'));
    return 'status' in next ? Promise.resolve(next) : Promise.reject(next);
  };
  return { transport, sent };
}

const baseUrls = { sandbox: 'https://sandbox.test/v5', production: 'https://prod.test/v5/' };
const app = { clientId: '123', clientSecret: '456' };
const nodeError = (code: string) => Object.assign(new Error(code), { code });
const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: nodeError(code) });

describe('PinterestClient core', () => {
  it('sends bearer calls to the environment base with query parameters and JSON', async () => {
    const { transport, sent } = scripted(reply(200, { ok: true }));
    const client = new PinterestClient({ baseUrls, transport });
    const result = await client.call('production', {
      method: 'POST',
      path: '/pins',
      auth: { bearer: 'pina_abc' },
      query: { ad_account_id: undefined, page_size: 25 },
      json: { board_id: '1' },
      schema: z.object({ ok: z.boolean() }),
      freshConnection: true,
    });
    expect(result.data).toEqual({ ok: true });
    expect(sent[0]?.url).toBe('https://prod.test/v5/pins?page_size=25');
    expect(sent[0]?.request.headers).toMatchObject({ authorization: 'Bearer pina_abc', 'content-type': 'application/json' });
    expect(sent[0]?.request.body).toBe('{"board_id":"1"}');
    expect(sent[0]?.request.freshConnection).toBe(true);
  });

  it('exchanges a code with HTTP Basic client auth and a form body', async () => {
    const token = { access_token: 'pina_x', token_type: 'bearer', expires_in: 2592000, scope: 'boards:read', refresh_token: 'pinry', refresh_token_expires_in: 5184000 };
    const { transport, sent } = scripted(reply(200, token));
    const client = new PinterestClient({ baseUrls, transport });
    const result = await client.exchangeCode('sandbox', app, { code: 'c o/de', redirectUri: 'https://x.test/cb?a=1' });
    expect(result.data.refresh_token).toBe('pinry');
    expect(sent[0]?.url).toBe('https://sandbox.test/v5/oauth/token');
    // base64('123:456') is MTIzOjQ1Ng==: client id and secret, with no trailing newline encoded.
    expect(sent[0]?.request.headers.authorization).toBe('Basic MTIzOjQ1Ng==');
    expect(sent[0]?.request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(sent[0]?.request.body)).toEqual(
      new URLSearchParams({ grant_type: 'authorization_code', code: 'c o/de', redirect_uri: 'https://x.test/cb?a=1' }),
    );
  });

  it('turns an error answer into a typed error with code, message, status, request id and rate limits', async () => {
    const { transport } = scripted(
      reply(429, { code: 8, message: 'This request exceeded a rate limit.' }, { 'x-pinterest-rid': 'rid-1', 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '42' }),
    );
    const client = new PinterestClient({ baseUrls, transport });
    const error = await client.userAccount('sandbox', 'pina_t').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinterestApiError);
    expect(error).toMatchObject({ status: 429, pinterestCode: 8, requestId: 'rid-1', kind: 'rate_limited', rateLimit: { limit: 300, remaining: 0, resetSeconds: 42 } });
    expect((error as PinterestApiError).retryAfterSeconds).toBe(42);
  });

  it.each([
    [401, { code: 2, message: 'Authentication failed.' }, 'unauthorized'],
    [400, { code: 283, message: 'The authorization grant is invalid' }, 'invalid_grant'],
    [429, { code: 8, message: "You've hit a block (Pins) we have in place to combat spam" }, 'spam_blocked'],
    [403, { code: 29, message: 'Apps with Trial access may not create Pins in production' }, 'forbidden'],
    [404, { code: 50, message: 'Pin not found.' }, 'not_found'],
    [400, { code: 1, message: "'abc' does not match '^\\d+$'" }, 'invalid_request'],
    [503, 'Service Unavailable', 'server_error'],
  ])('classifies HTTP %s %j as %s', async (status, body, kind) => {
    const { transport } = scripted(reply(status, body));
    const error = await new PinterestClient({ baseUrls, transport }).userAccount('production', 't').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind, status });
  });

  it('reports a 2xx body that is not JSON or not the promised shape', async () => {
    const { transport } = scripted(reply(200, '{"access_token":'), reply(200, { id: 'not-numeric', username: 'u' }));
    const client = new PinterestClient({ baseUrls, transport });
    await expect(client.refresh('sandbox', app, 'pinr1')).rejects.toBeInstanceOf(PinterestResponseError);
    await expect(client.userAccount('sandbox', 't')).rejects.toThrow(/id/);
  });

  it.each([
    ['ECONNREFUSED', true],
    ['ENOTFOUND', true],
    ['EAI_AGAIN', true],
    ['ECONNECTTIMEOUT', true], // the node transport's connect timeout
    ['ECONNRESET', false],
    ['EPIPE', false],
    ['ETIMEDOUT', false], // a TCP timeout can strike an established connection too
  ])('tells whether a network failure (%s) happened before sending: %s', async (code, beforeSend) => {
    // As node:http raises it (code on the error) and as fetch wraps it (code on the cause).
    const { transport } = scripted(nodeError(code), fetchFailed(code));
    const client = new PinterestClient({ baseUrls, transport });
    for (let i = 0; i < 2; i++) {
      const error = await client.userAccount('sandbox', 't').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PinterestNetworkError);
      expect(error).toMatchObject({ beforeSend, reason: code });
    }
  });

  it('treats a response timeout as possibly processed and gives every call a timeout signal', async () => {
    const { transport, sent } = scripted(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    const error = await new PinterestClient({ baseUrls, transport, timeoutMs: 1234 }).userAccount('sandbox', 't').catch((e: unknown) => e);
    expect(error).toMatchObject({ beforeSend: false, reason: 'TimeoutError' });
    expect(sent[0]?.request.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('withToken: the only retry', () => {
  function tokens(renewed = 'pina_new'): TokenSource & { renewals: string[] } {
    const renewals: string[] = [];
    return {
      renewals,
      current: () => Promise.resolve('pina_old'),
      renewAfterUnauthorized: (refused) => {
        renewals.push(refused);
        return Promise.resolve(renewed);
      },
    };
  }
  const unauthorized = () => reply(401, { code: 2, message: 'Authentication failed.' });

  it('repeats a call exactly once after a 401 code 2, with the renewed token', async () => {
    const { transport, sent } = scripted(unauthorized(), reply(201, { id: '1' }));
    const client = new PinterestClient({ baseUrls, transport });
    const source = tokens();
    const result = await client.withToken(source, (token) =>
      client.call('sandbox', { method: 'POST', path: '/pins', auth: { bearer: token }, json: {}, schema: z.object({ id: z.string() }) }),
    );
    expect(result.data.id).toBe('1');
    expect(source.renewals).toEqual(['pina_old']);
    expect(sent.map((s) => s.request.headers.authorization)).toEqual(['Bearer pina_old', 'Bearer pina_new']);
  });

  it('gives up after a second 401', async () => {
    const { transport, sent } = scripted(unauthorized(), unauthorized());
    const client = new PinterestClient({ baseUrls, transport });
    await expect(client.withToken(tokens(), (t) => client.userAccount('sandbox', t))).rejects.toMatchObject({ status: 401 });
    expect(sent).toHaveLength(2);
  });

  it.each([
    ['a 429', () => reply(429, { code: 8, message: 'rate limit' })],
    ['a 500', () => reply(500, { code: 0, message: 'Something went wrong on our end' })],
    ['a 401 with another code', () => reply(401, { code: 3, message: 'no' })],
    ['a dropped connection', () => fetchFailed('ECONNRESET')],
  ])('never repeats after %s', async (_case, answer) => {
    const { transport, sent } = scripted(answer());
    const client = new PinterestClient({ baseUrls, transport });
    const source = tokens();
    await expect(client.withToken(source, (t) => client.userAccount('sandbox', t))).rejects.toBeDefined();
    expect(sent).toHaveLength(1);
    expect(source.renewals).toEqual([]);
  });
});
