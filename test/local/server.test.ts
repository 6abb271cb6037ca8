import { request } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { invoke } from '../../local/lambda-runtime';
import type * as LambdaRuntime from '../../local/lambda-runtime';
import { startApiServer, type LocalServer } from '../../local/server';

/**
 * The local stand-in for API Gateway, over real HTTP, with the real handlers (the global setup's
 * emulators and bindings are in this process's environment). The runtime's `invoke` is wrapped in a
 * jest.fn that still calls the real one, so a test can make one invocation crash.
 */
jest.mock('../../local/lambda-runtime', () => {
  const actual = jest.requireActual<typeof LambdaRuntime>('../../local/lambda-runtime');
  return { ...actual, invoke: jest.fn(actual.invoke) };
});

const invokeSpy = jest.mocked(invoke);

const credential = 'test-operator-credential-0123456789abcdef';
const operator = { authorization: `Bearer ${credential}` };
const MB = 1024 * 1024;

let api: LocalServer;

beforeAll(async () => {
  api = await startApiServer(0);
});

afterAll(async () => {
  await api.close();
});

beforeEach(() => {
  invokeSpy.mockClear();
});

/** Runs `fn` with console.error silenced (the server logs why a function failed), handing it the spy. */
async function quietly<T>(fn: (logged: jest.SpiedFunction<typeof console.error>) => Promise<T>): Promise<T> {
  const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return await fn(logged);
  } finally {
    logged.mockRestore();
  }
}

async function send(path: string, init: RequestInit = {}) {
  const res = await fetch(`${api.url}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  return { res, status: res.status, text, json: (): unknown => JSON.parse(text) };
}

/**
 * A request with repeated header lines (fetch would merge them into one): Node's http client sends
 * one line per array value.
 */
function sendRaw(path: string, headers: Record<string, string | string[]>): Promise<{ status: number; text: string }> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The events the function `fn` was invoked with. */
function eventsOf(fn: string): APIGatewayProxyEventV2[] {
  return invokeSpy.mock.calls.filter(([name]) => name === fn).map(([, event]) => event as APIGatewayProxyEventV2);
}

/** API Gateway's own answers: a JSON `{"message": …}` body, nothing else of the function's. */
function expectGatewayAnswer(answer: Awaited<ReturnType<typeof send>>, status: number, message: string): void {
  expect(answer.status).toBe(status);
  expect(answer.text).toBe(JSON.stringify({ message }));
  expect(answer.res.headers.get('content-type')).toBe('application/json');
  expect(answer.res.headers.get('content-length')).toBe(String(Buffer.byteLength(answer.text)));
}

describe('local API server', () => {
  it('listens on 127.0.0.1 with a free port', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.url).not.toBe('http://127.0.0.1:0');
  });

  it('answers a routed request with the function’s answer', async () => {
    const health = await send('/health');
    expect(health.status).toBe(200);
    expect(health.res.headers.get('apigw-requestid')).toBeTruthy();
  });

  describe('API Gateway’s own answers', () => {
    it('answers 404 {"message":"Not Found"} for an unknown path', async () => {
      expectGatewayAnswer(await send('/nowhere'), 404, 'Not Found');
      expectGatewayAnswer(await send('/health/extra'), 404, 'Not Found');
      expectGatewayAnswer(await send('/'), 404, 'Not Found');
      expect(invokeSpy).not.toHaveBeenCalled();
    });

    it('answers 404 {"message":"Not Found"} for a known path with the wrong method', async () => {
      expectGatewayAnswer(await send('/health', { method: 'DELETE' }), 404, 'Not Found');
      expectGatewayAnswer(await send('/health', { method: 'POST', body: '{}' }), 404, 'Not Found');
      expectGatewayAnswer(await send('/oauth/start', { method: 'PUT', headers: operator, body: '{}' }), 404, 'Not Found');
      expectGatewayAnswer(await send('/account/confirm', { headers: operator }), 404, 'Not Found');
      expect(invokeSpy).not.toHaveBeenCalled();
    });

    it('answers 413 {"message":"Request Entity Too Large"} for a body over 10 MB, without invoking the function', async () => {
      const body = 'a'.repeat(10 * MB + MB / 2);
      const answer = await send('/oauth/start', {
        method: 'POST',
        headers: { ...operator, 'content-type': 'application/json' },
        body,
      });
      expectGatewayAnswer(answer, 413, 'Request Entity Too Large');
      expect(invokeSpy).not.toHaveBeenCalled();
    });

    it('passes a body of exactly 10 MB on to the function (which refuses it itself)', async () => {
      const answer = await send('/oauth/start', {
        method: 'POST',
        headers: { ...operator, 'content-type': 'application/json' },
        body: 'a'.repeat(10 * MB),
      });
      // The function's own error answer (its JSON `error` shape), not the gateway's `{"message": …}`.
      expect(answer.status).toBe(413);
      expect(answer.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      expect(answer.res.headers.get('apigw-requestid')).toBeTruthy();
    });

    it('answers 500 {"message":"Internal Server Error"} when the function crashes, hiding the reason', async () => {
      await quietly(async (logged) => {
        invokeSpy.mockRejectedValueOnce(new Error('boom: secret detail'));
        const answer = await send('/health');
        expectGatewayAnswer(answer, 500, 'Internal Server Error');
        expect(answer.text).not.toContain('boom');
        expect(invokeSpy).toHaveBeenCalledWith('getHealth', expect.objectContaining({ rawPath: '/health' }));
        expect(logged).toHaveBeenCalled();
      });
      // Only that one invocation crashed.
      expect((await send('/health')).status).toBe(200);
    });

    it('answers 500 {"message":"Internal Server Error"} when the authorizer crashes', async () => {
      await quietly(async (logged) => {
        invokeSpy.mockRejectedValueOnce(new Error('authorizer down'));
        // A header value the gate has not cached yet, so the authorizer is really asked.
        const answer = await send('/account', { headers: { authorization: 'Bearer never-seen-credential-0123456789abcdef' } });
        expectGatewayAnswer(answer, 500, 'Internal Server Error');
        expect(invokeSpy).toHaveBeenCalledTimes(1);
        expect(invokeSpy).toHaveBeenCalledWith('authorizeOperator', expect.objectContaining({ type: 'REQUEST' }));
        expect(logged).toHaveBeenCalled();
      });
    });
  });

  describe('apigw-requestid', () => {
    it('is on every routed answer and equals the requestId of the function’s JSON error', async () => {
      const answer = await send('/privacy?format=pdf');
      expect(answer.status).toBe(400);
      const header = answer.res.headers.get('apigw-requestid');
      expect(header).toBeTruthy();
      const body = answer.json() as { error: { requestId: string } };
      expect(body.error.requestId).toBe(header);
    });

    it('is new for each request', async () => {
      const ids = await Promise.all(
        [1, 2, 3].map(async () => (await send('/privacy?format=pdf')).res.headers.get('apigw-requestid')),
      );
      expect(new Set(ids).size).toBe(3);
    });
  });

  describe('operator routes (the authorizer)', () => {
    it('answers 401 {"message":"Unauthorized"} without an Authorization header', async () => {
      expectGatewayAnswer(await send('/account'), 401, 'Unauthorized');
      expectGatewayAnswer(await send('/account', { headers: { authorization: '' } }), 401, 'Unauthorized');
      expect(invokeSpy).not.toHaveBeenCalled();
    });

    it('answers 403 {"message":"Forbidden"} for a wrong bearer', async () => {
      expectGatewayAnswer(
        await send('/account', { headers: { authorization: 'Bearer wrong-operator-credential-0123456789abcdef' } }),
        403,
        'Forbidden',
      );
    });

    it('lets the seeded operator credential through to the function (200 for GET /account)', async () => {
      const answer = await send('/account', { headers: operator });
      expect(answer.status).toBe(200);
      expect(answer.res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.json()).toHaveProperty('environments');
      expect(answer.res.headers.get('apigw-requestid')).toBeTruthy();
    });
  });

  describe('repeated headers and query keys, as API Gateway passes them', () => {
    it('joins repeated Authorization headers with a comma: the authorizer sees both and refuses them', async () => {
      const answer = await sendRaw('/account', { authorization: [`Bearer ${credential}`, 'Bearer someone-else-0123456789abcdef0123'] });
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.text)).toEqual({ message: 'Forbidden' });
      const [asked] = invokeSpy.mock.calls.filter(([name]) => name === 'authorizeOperator').map(([, event]) => event as APIGatewayRequestAuthorizerEventV2);
      expect(asked?.identitySource).toEqual([`Bearer ${credential},Bearer someone-else-0123456789abcdef0123`]);
      expect(asked?.headers?.authorization).toBe(`Bearer ${credential},Bearer someone-else-0123456789abcdef0123`);
      expect(eventsOf('getAccount')).toEqual([]);
    });

    it('refuses the right credential sent twice (the identity is then "Bearer x,Bearer x")', async () => {
      const answer = await sendRaw('/account', { authorization: [`Bearer ${credential}`, `Bearer ${credential}`] });
      expect(answer.status).toBe(403);
      expect(eventsOf('getAccount')).toEqual([]);
    });

    it('joins every other repeated header with "," (not Node\u2019s ", ") and keeps every Cookie line in `cookies`', async () => {
      const answer = await sendRaw('/health', {
        'x-repeated': ['a', 'b'],
        'user-agent': ['first/1', 'second/2'],
        'content-type': ['text/plain', 'application/json'],
        cookie: ['a=1; b=2', 'c=3'],
      });
      expect(answer.status).toBe(200);
      const [event] = eventsOf('getHealth');
      expect(event?.headers['x-repeated']).toBe('a,b');
      expect(event?.headers['user-agent']).toBe('first/1,second/2');
      expect(event?.headers['content-type']).toBe('text/plain,application/json');
      expect(event?.headers.cookie).toBeUndefined();
      expect(event?.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    });

    it('passes query keys such as __proto__, constructor and toString as plain own keys', async () => {
      const answer = await send('/health?__proto__=x&constructor=c&toString=t&hasOwnProperty=h');
      // GET /health takes no query: the function's own validation answer, not a crash.
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({ error: { requestId: answer.res.headers.get('apigw-requestid') } });
      const [event] = eventsOf('getHealth');
      const query = event?.queryStringParameters ?? {};
      expect(Object.getPrototypeOf(query)).toBeNull();
      expect(Object.entries(query)).toEqual([
        ['__proto__', 'x'],
        ['constructor', 'c'],
        ['toString', 't'],
        ['hasOwnProperty', 'h'],
      ]);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });
  });

  describe('local control routes', () => {
    it('answers 404 naming the schedule for POST /__local/schedules/{unknown}', async () => {
      const answer = await send('/__local/schedules/does-not-exist', { method: 'POST' });
      expect(answer.status).toBe(404);
      expect(answer.json()).toEqual({ message: 'no schedule named does-not-exist (schedules: refresh-tokens, resume-board-sync, sweep-publishing, reconcile)' });
    });

    it('answers any other method on a control path like an unknown route', async () => {
      expectGatewayAnswer(await send('/__local/schedules/x'), 404, 'Not Found');
      expectGatewayAnswer(await send('/__local/nothing', { method: 'POST' }), 404, 'Not Found');
    });
  });

  it('delivers a handler’s cookie as Set-Cookie (connect link → GET /oauth/start → 302)', async () => {
    const created = await send('/oauth/start', {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/json' },
      body: JSON.stringify({ environment: 'sandbox' }),
    });
    expect(created.status).toBe(201);
    const link = new URL((created.json() as { url: string }).url);
    expect(link.pathname).toBe('/oauth/start');
    expect(link.searchParams.get('ticket')).toBeTruthy();

    // PUBLIC_BASE_URL (global setup) is not this server: send the link's path and query here.
    const opened = await send(`${link.pathname}${link.search}`);
    expect(opened.status).toBe(302);
    const cookies = opened.res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^__Secure-mdz_oauth_nonce=/);
    expect(opened.res.headers.get('set-cookie')).toMatch(/^__Secure-mdz_oauth_nonce=/);
    const authorizeUrl = process.env.PINTEREST_AUTHORIZE_URL ?? '';
    expect(authorizeUrl).not.toBe('');
    expect(opened.res.headers.get('location')?.startsWith(`${authorizeUrl}?`)).toBe(true);
    expect(opened.res.headers.get('apigw-requestid')).toBeTruthy();
  });
});
