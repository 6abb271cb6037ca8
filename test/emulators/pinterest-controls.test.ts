import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPinterestEmulator } from '../../local/emulators/pinterest';
import { FakeClock, FORM, MIRA, OTHER, REDIRECT_URI, basic, type TokenBody, useHarness, jsonOf } from './pinterest-harness';

/** The Pinterest emulator's test controls, injected faults, common headers and persistence. */

const clock = new FakeClock();
const h = useHarness(clock);

describe('grant controls', () => {
  it('revokeGrant: refresh gets 283 and existing access tokens get 401 code 2', async () => {
    const tokens = await h.connect('sandbox');
    const production = await h.connect('production');
    h.emulator.controls.revokeGrant('sandbox', MIRA);
    expect(await jsonOf(await h.refresh('sandbox', tokens.refresh_token ?? ''))).toEqual({ code: 283, message: 'The authorization grant is invalid' });
    expect(await jsonOf(await h.userAccount('sandbox', tokens.access_token))).toEqual({ code: 2, message: 'Authentication failed.' });
    expect((await h.userAccount('production', production.access_token)).status).toBe(200);
  });

  it('expireAccessTokens: the access token gets 401 code 2, and a refresh brings a working one', async () => {
    const tokens = await h.connect('sandbox');
    h.emulator.controls.expireAccessTokens('sandbox', MIRA);
    expect((await h.userAccount('sandbox', tokens.access_token)).status).toBe(401);
    const refreshed = (await (await h.refresh('sandbox', tokens.refresh_token ?? '')).json()) as TokenBody;
    expect((await h.userAccount('sandbox', refreshed.access_token)).status).toBe(200);
  });

  it('issueTokens connects an account without a browser, in that environment only', async () => {
    const issued = h.emulator.controls.issueTokens('production', OTHER, ['user_accounts:read']);
    expect((await jsonOf(await h.userAccount('production', issued.accessToken))).id).toBe(OTHER);
    expect((await h.userAccount('sandbox', issued.accessToken)).status).toBe(401);
    expect((await h.refresh('production', issued.refreshToken)).status).toBe(200);
  });

  it('requests() records what the client sent, including headers and the raw body', async () => {
    const code = await h.code();
    await h.exchange('sandbox', code);
    const sent = h.emulator.controls.requests().find((r) => r.path === '/v5/oauth/token');
    expect(sent).toMatchObject({ host: 'sandbox', method: 'POST', query: {} });
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.headers.authorization).toMatch(/^Basic /);
    expect(new URLSearchParams(sent?.body).get('code')).toBe(code);
    const authorize = h.emulator.controls.requests().find((r) => r.host === 'www');
    expect(authorize?.query.redirect_uri).toBe(REDIRECT_URI);
  });
});

describe('faults', () => {
  it('a status fault answers once with that status, then the endpoint works again', async () => {
    h.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/oauth/token', kind: 'status', status: 500 });
    const code = await h.code();
    const failed = await h.exchange('sandbox', code);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ code: 500, message: 'Internal Server Error' });
    expect((await h.exchange('sandbox', code)).status).toBe(200);
  });

  it('a delay fault slows exactly `times` requests and then lets them through normally', async () => {
    const tokens = await h.connect('sandbox');
    h.emulator.controls.injectFault({ host: 'any', path: '/v5/*', kind: 'delay', ms: 150, times: 2 });
    const timed = async (): Promise<number> => {
      const started = Date.now();
      expect((await h.userAccount('sandbox', tokens.access_token)).status).toBe(200);
      return Date.now() - started;
    };
    expect(await timed()).toBeGreaterThanOrEqual(140);
    expect(await timed()).toBeGreaterThanOrEqual(140);
    expect(await timed()).toBeLessThan(140);
  });

  it('a refresh whose client timed out during a delay fault with ifAbandoned: drop is not processed: the refresh token is not rotated', async () => {
    const issued = h.emulator.controls.issueTokens('sandbox', MIRA, ['user_accounts:read']);
    h.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/oauth/token', kind: 'delay', ms: 300, ifAbandoned: 'drop' });
    const abandoned = fetch(`${h.emulator.urls.sandbox}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: issued.refreshToken }).toString(),
      signal: AbortSignal.timeout(100),
    });
    await expect(abandoned).rejects.toMatchObject({ name: 'TimeoutError' });
    // Past the end of the delay: the emulator has looked at the request again and dropped it.
    await sleep(400);
    expect(h.emulator.controls.requests().filter((r) => r.path === '/v5/oauth/token')).toHaveLength(1);
    const refreshed = await h.refresh('sandbox', issued.refreshToken);
    expect(refreshed.status).toBe(200);
    expect((await jsonOf(refreshed)).refresh_token).toMatch(/^pinr/);
  });

  it('a delayed refresh whose client waits is processed normally and rotates the refresh token', async () => {
    const issued = h.emulator.controls.issueTokens('sandbox', MIRA, ['user_accounts:read']);
    h.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/oauth/token', kind: 'delay', ms: 200 });
    const started = Date.now();
    const refreshed = await h.refresh('sandbox', issued.refreshToken);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as TokenBody;
    expect(body.refresh_token).not.toBe(issued.refreshToken);
    expect((await jsonOf(await h.refresh('sandbox', issued.refreshToken))).code).toBe(283);
    expect((await h.refresh('sandbox', body.refresh_token ?? '')).status).toBe(200);
  });

  it('a rate_limit fault answers 429 code 8 with the rate-limit headers at 0 remaining', async () => {
    const tokens = await h.connect('sandbox');
    h.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'rate_limit' });
    const res = await h.userAccount('sandbox', tokens.access_token);
    expect(res.status).toBe(429);
    expect((await jsonOf(res)).code).toBe(8);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('a malformed_json fault answers 200 with JSON that does not parse', async () => {
    const tokens = await h.connect('sandbox');
    h.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'malformed_json' });
    const res = await h.userAccount('sandbox', tokens.access_token);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it('an omit_refresh_token fault leaves the refresh fields out; the old refresh token stays valid', async () => {
    h.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'omit_refresh_token' });
    const exchanged = await h.connect('sandbox');
    expect(Object.keys(exchanged).filter((k) => k.startsWith('refresh_token'))).toEqual([]);
    const issued = h.emulator.controls.issueTokens('sandbox', MIRA, ['user_accounts:read']);
    h.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'omit_refresh_token' });
    const refreshed = await jsonOf(await h.refresh('sandbox', issued.refreshToken));
    expect(refreshed.access_token).toMatch(/^pina_/);
    expect(refreshed.refresh_token).toBeUndefined();
    expect((await h.refresh('sandbox', issued.refreshToken)).status).toBe(200);
  });

  it('a drop_connection fault makes fetch reject', async () => {
    h.emulator.controls.injectFault({ host: 'production', path: '/v5/oauth/token', kind: 'drop_connection' });
    await expect(h.exchange('production', await h.code())).rejects.toThrow();
  });

  it('a drop_connection fault with afterProcessing consumes the code before dropping the answer', async () => {
    h.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'drop_connection', afterProcessing: true });
    const code = await h.code();
    await expect(h.exchange('sandbox', code)).rejects.toThrow();
    expect((await jsonOf(await h.exchange('sandbox', code))).code).toBe(283);
  });

  it('faults match only their host, method and path; clearFaults removes them', async () => {
    const tokens = await h.connect('sandbox');
    h.emulator.controls.injectFault({ host: 'production', path: '*', kind: 'status', status: 503, times: 5 });
    h.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/user_account', kind: 'status', status: 503 });
    expect((await h.userAccount('sandbox', tokens.access_token)).status).toBe(200);
    expect((await h.userAccount('production', tokens.access_token)).status).toBe(503);
    h.emulator.controls.clearFaults();
    expect((await h.userAccount('production', tokens.access_token)).status).toBe(401);
  });
});

describe('common headers', () => {
  it('every API answer carries x-pinterest-rid; API calls carry x-ratelimit-* counting down', async () => {
    const tokens = await h.connect('sandbox');
    const first = await h.userAccount('sandbox', tokens.access_token);
    const second = await h.userAccount('sandbox', tokens.access_token);
    for (const res of [first, second]) {
      expect(res.headers.get('x-pinterest-rid')).toMatch(/^[0-9a-f]{16}$/);
      expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    }
    expect(first.headers.get('x-pinterest-rid')).not.toBe(second.headers.get('x-pinterest-rid'));
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(Number(first.headers.get('x-ratelimit-remaining')) - 1);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(86_400);
    const unauthorized = await h.userAccount('sandbox', 'pina_nope');
    expect(unauthorized.headers.get('x-pinterest-rid')).not.toBeNull();
  });

  it('the token endpoint answers with x-ratelimit-* headers too', async () => {
    const res = await h.exchange('production', await h.code());
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('999');
    expect(res.headers.get('x-ratelimit-reset')).toBe('86400');
  });

  it('an unknown route answers 404 {"code":404,"message":"Not found"} as JSON', async () => {
    const res = await fetch(`${h.emulator.urls.production}/nothing/here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-pinterest-rid')).not.toBeNull();
    expect(await res.json()).toEqual({ code: 404, message: 'Not found' });
  });
});

describe('HTTP controls', () => {
  it('POST /_emulator/set-consent-mode switches the consent mode', async () => {
    const res = await h.control('set-consent-mode', { mode: 'deny' });
    expect(res.status).toBe(200);
    expect((await h.authorize({ scope: 'user_accounts:read' })).headers.get('location')).toContain('error=access_denied');
  });

  it('issue-tokens and inject-fault work over HTTP; bad input gets 400 code 1, unknown actions 404', async () => {
    const issued = await jsonOf(await h.control('issue-tokens', { environment: 'sandbox', userId: MIRA, scopes: 'user_accounts:read' }));
    const accessToken = String(issued.accessToken);
    expect((await h.userAccount('sandbox', accessToken)).status).toBe(200);
    const fault = await jsonOf(await h.control('inject-fault', { host: 'sandbox', path: '*', kind: 'status', status: 502 }));
    expect(fault.faultId).toEqual(expect.any(String));
    expect((await h.userAccount('sandbox', accessToken)).status).toBe(502);
    expect((await jsonOf(await h.control('set-tier', { tier: 'gold' }))).code).toBe(1);
    expect((await h.control('no-such-action', {})).status).toBe(404);
    expect(h.emulator.controls.requests().some((r) => r.path.startsWith('/_emulator/'))).toBe(false);
  });
});

describe('persistence', () => {
  it('a second emulator on the same data file accepts the first one’s tokens', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinterest-emulator-'));
    const dataFile = path.join(dir, 'pinterest.json');
    try {
      const first = await startPinterestEmulator({ dataFile, clock: clock.read });
      const tokens = first.controls.issueTokens('sandbox', MIRA, ['user_accounts:read']);
      first.controls.registerRedirectUri('http://127.0.0.1:5000/cb');
      await first.close();
      expect(readFileSync(dataFile, 'utf8')).not.toContain(tokens.accessToken);
      const second = await startPinterestEmulator({ dataFile, clock: clock.read });
      try {
        const res = await fetch(`${second.urls.sandbox}/user_account`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
        expect(res.status).toBe(200);
        expect(second.app.redirectUris).toContain('http://127.0.0.1:5000/cb');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
