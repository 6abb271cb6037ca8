import { CLIENT_ID, FakeClock, FORM, MIRA, OTHER, REDIRECT_URI, basic, redirectParams, specProperties, type TokenBody, useHarness, jsonOf } from './pinterest-harness';

/** The Pinterest emulator's OAuth flow, driven over HTTP as the product and a browser would. */

const clock = new FakeClock();
const h = useHarness(clock);

async function expectError(res: Response, status: number, code: number, message?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await jsonOf(res);
  expect(body.code).toBe(code);
  if (message !== undefined) expect(body).toEqual({ code, message });
}

describe('authorize page', () => {
  it('approve mode redirects at once to the redirect URI with a code and the state', async () => {
    const params = redirectParams(await h.authorize({ scope: 'user_accounts:read', state: 'xyz' }));
    expect(params.get('code')).toMatch(/^[A-Za-z0-9]{20,}$/);
    expect(params.get('state')).toBe('xyz');
  });

  it('deny mode redirects with error=access_denied and the state, without a code', async () => {
    h.emulator.controls.setConsentMode('deny');
    const params = redirectParams(await h.authorize({ scope: 'user_accounts:read', state: 's1' }));
    expect(Object.fromEntries(params)).toEqual({ error: 'access_denied', state: 's1' });
  });

  it('manual mode shows an escaped consent page naming the app, the user and the scopes', async () => {
    h.emulator.controls.addUser({ id: '1000000000000000009', username: 'a<b>&"c', accountType: 'PINNER' });
    h.emulator.controls.setConsentingUser('1000000000000000009');
    h.emulator.controls.setConsentMode('manual');
    const res = await h.authorize({ scope: 'boards:read, pins:write' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain(CLIENT_ID);
    expect(page).toContain('@a&lt;b&gt;&amp;&quot;c');
    expect(page).not.toContain('a<b>');
    expect(page).toContain('boards:read');
    expect(page).toContain('pins:write');
    expect(page).toMatch(/name="decision" value="allow"/);
    expect(page).toMatch(/name="decision" value="deny"/);
  });

  async function decide(decision: string, state = 'st'): Promise<{ res: Response; decisionId: string }> {
    h.emulator.controls.setConsentMode('manual');
    const page = await (await h.authorize({ scope: 'user_accounts:read', state })).text();
    const decisionId = /name="decision_id" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const action = /action="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(action).toBe(`${h.emulator.urls.www}/oauth/decision`);
    const body = new URLSearchParams({ decision_id: decisionId, decision }).toString();
    const res = await fetch(action, { method: 'POST', headers: { 'content-type': FORM }, body, redirect: 'manual' });
    return { res, decisionId };
  }

  it('posting Allow redirects with a working code; the decision id cannot be used twice', async () => {
    const { res, decisionId } = await decide('allow', 'a&b');
    const params = redirectParams(res);
    expect(params.get('state')).toBe('a&b');
    expect((await h.exchange('sandbox', params.get('code') ?? '')).status).toBe(200);
    const again = await fetch(`${h.emulator.urls.www}/oauth/decision`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({ decision_id: decisionId, decision: 'allow' }).toString(),
      redirect: 'manual',
    });
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('posting Deny redirects with error=access_denied', async () => {
    const params = redirectParams((await decide('deny')).res);
    expect(Object.fromEntries(params)).toEqual({ error: 'access_denied', state: 'st' });
  });

  it('an unknown client_id gets a 400 page and never a redirect', async () => {
    const res = await h.authorize({ client_id: '999', scope: 'user_accounts:read' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it.each([
    ['an unregistered URI', 'https://evil.example/callback'],
    ['a trailing slash', `${REDIRECT_URI}/`],
    ['another port', 'http://127.0.0.1:4000/oauth/callback'],
    ['another scheme', 'https://127.0.0.1:3999/oauth/callback'],
    ['upper-case path', 'http://127.0.0.1:3999/OAuth/callback'],
    ['an added query', `${REDIRECT_URI}?x=1`],
    ['localhost for 127.0.0.1', 'http://localhost:3999/oauth/callback'],
    ['a missing redirect_uri', undefined],
  ])('a redirect_uri with %s gets a 400 page and never a redirect', async (_label, redirectUri) => {
    const res = await h.authorize({ redirect_uri: redirectUri, scope: 'user_accounts:read', state: 's' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a response_type other than code redirects with unsupported_response_type', async () => {
    const params = redirectParams(await h.authorize({ response_type: 'token', scope: 'user_accounts:read', state: 's' }));
    expect(Object.fromEntries(params)).toEqual({ error: 'unsupported_response_type', state: 's' });
  });

  it.each([['boards:read,pins:fly'], ['boards:readx'], [''], [undefined]])('scope %p redirects with invalid_scope', async (scope) => {
    const params = redirectParams(await h.authorize({ scope, state: 'k' }));
    expect(Object.fromEntries(params)).toEqual({ error: 'invalid_scope', state: 'k' });
  });

  it.each([['boards:read,pins:read,user_accounts:read'], ['boards:read pins:read user_accounts:read'], ['boards:read, pins:read  user_accounts:read']])(
    'scopes separated as %p are all granted',
    async (scope) => {
      const tokens = await h.connect('sandbox', scope);
      expect(tokens.scope.split(' ').sort()).toEqual(['boards:read', 'pins:read', 'user_accounts:read']);
    },
  );

  it('the state comes back exactly, including characters that need URL encoding', async () => {
    const state = 'a b+c&d=e/f?g#h%20i é✓ "q" <x>';
    expect(redirectParams(await h.authorize({ scope: 'user_accounts:read', state })).get('state')).toBe(state);
  });

  it('without a state the redirect carries no state parameter', async () => {
    expect(redirectParams(await h.authorize({ scope: 'user_accounts:read' })).has('state')).toBe(false);
  });

  it('a registered redirect URI that has a query keeps it and gets the code appended with &', async () => {
    const withQuery = 'http://127.0.0.1:3999/cb?tenant=a%20b';
    h.emulator.controls.registerRedirectUri(withQuery);
    const res = await h.authorize({ redirect_uri: withQuery, scope: 'user_accounts:read', state: 's' });
    expect(res.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:3999\/cb\?tenant=a%20b&code=[A-Za-z0-9]+&state=s$/);
  });
});

describe('token endpoint: code exchange', () => {
  it('returns every documented field, named as in the OpenAPI description', async () => {
    const res = await h.exchange('sandbox', await h.code('user_accounts:read,boards:read'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenBody;
    expect(body).toEqual({
      access_token: expect.stringMatching(/^pina_[A-Za-z0-9]+$/),
      refresh_token: expect.stringMatching(/^pinr[A-Za-z0-9]+$/),
      token_type: 'bearer',
      expires_in: 2592000,
      refresh_token_expires_in: 5184000,
      refresh_token_expires_at: clock.seconds + 5184000,
      scope: 'boards:read user_accounts:read',
      response_type: 'authorization_code',
    });
    const spec = specProperties('OauthAccessTokenResponseCode');
    expect(spec.properties).toEqual(expect.arrayContaining(Object.keys(body)));
    for (const field of spec.required) expect(body).toHaveProperty(field);
  });

  it('a code works once: the second exchange gets 400 code 283', async () => {
    const code = await h.code();
    expect((await h.exchange('sandbox', code)).status).toBe(200);
    await expectError(await h.exchange('sandbox', code), 400, 283, 'The authorization grant is invalid');
  });

  it('a code expires after 10 minutes', async () => {
    const early = await h.code();
    const late = await h.code();
    clock.advance(10 * 60 * 1000 - 1000);
    expect((await h.exchange('sandbox', early)).status).toBe(200);
    clock.advance(1000);
    await expectError(await h.exchange('sandbox', late), 400, 283);
  });

  it('a redirect_uri that differs from the authorize request gets 400 code 283', async () => {
    await expectError(await h.exchange('sandbox', await h.code(), `${REDIRECT_URI}/`), 400, 283);
  });

  it('an unknown code gets 400 code 283', async () => {
    await expectError(await h.exchange('sandbox', 'not-a-code'), 400, 283);
  });

  it.each([
    ['a wrong secret', basic(CLIENT_ID, 'wrong')],
    ['another client id', basic('1500000000999')],
    ['a base64-encoded trailing newline', `Basic ${Buffer.from(`${CLIENT_ID}:emulator-client-secret-0001\n`).toString('base64')}`],
    ['credentials in a Bearer header', 'Bearer pina_x'],
    ['no Authorization header', null],
  ])('%s gets 401 code 2', async (_label, authorization) => {
    const res = await h.token('sandbox', { grant_type: 'authorization_code', code: await h.code(), redirect_uri: REDIRECT_URI }, { authorization });
    await expectError(res, 401, 2, 'Authentication failed.');
  });

  it('a JSON body instead of a form gets a 4xx and no tokens', async () => {
    const res = await h.token('sandbox', { grant_type: 'authorization_code', code: await h.code(), redirect_uri: REDIRECT_URI }, { contentType: 'application/json' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.json()).toEqual({ code: expect.any(Number), message: expect.any(String) });
  });

  it('an unsupported grant type gets 400 code 1', async () => {
    await expectError(await h.token('sandbox', { grant_type: 'password' }), 400, 1);
  });
});

describe('environments', () => {
  it('a code exchanged on the sandbox yields a token production refuses with 401 code 2', async () => {
    const tokens = await h.connect('sandbox');
    expect((await h.userAccount('sandbox', tokens.access_token)).status).toBe(200);
    await expectError(await h.userAccount('production', tokens.access_token), 401, 2, 'Authentication failed.');
    await expectError(await h.refresh('production', tokens.refresh_token ?? ''), 400, 283);
  });

  it('the returned scope includes earlier grants in the same environment only', async () => {
    await h.connect('sandbox', 'boards:read');
    expect((await h.connect('sandbox', 'user_accounts:read')).scope).toBe('boards:read user_accounts:read');
    expect((await h.connect('production', 'user_accounts:read')).scope).toBe('user_accounts:read');
  });
});

describe('token endpoint: refresh', () => {
  it('returns a new access token and a new refresh token; the old refresh token then gets 283', async () => {
    const first = await h.connect('production');
    clock.advance(60_000);
    const res = await h.refresh('production', first.refresh_token ?? '');
    expect(res.status).toBe(200);
    const second = (await res.json()) as TokenBody;
    expect(second).toMatchObject({ token_type: 'bearer', expires_in: 2592000, refresh_token_expires_in: 5184000, scope: 'user_accounts:read', response_type: 'refresh_token' });
    expect(second.refresh_token_expires_at).toBe(clock.seconds + 5184000);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).toMatch(/^pinr/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await expectError(await h.refresh('production', first.refresh_token ?? ''), 400, 283);
    expect((await h.userAccount('production', first.access_token)).status).toBe(200);
    expect((await h.userAccount('production', second.access_token)).status).toBe(200);
    expect((await h.refresh('production', second.refresh_token ?? '')).status).toBe(200);
  });

  it('a scope subset narrows the new access token; a scope outside the grant gets 283', async () => {
    const tokens = await h.connect('sandbox', 'boards:read,user_accounts:read');
    const narrowed = (await (await h.refresh('sandbox', tokens.refresh_token ?? '', 'boards:read')).json()) as TokenBody;
    expect(narrowed.scope).toBe('boards:read');
    expect((await h.userAccount('sandbox', narrowed.access_token)).status).toBe(403);
    // The rotated refresh token still carries the whole grant.
    const widened = (await (await h.refresh('sandbox', narrowed.refresh_token ?? '', 'boards:read, user_accounts:read')).json()) as TokenBody;
    expect(widened.scope).toBe('boards:read user_accounts:read');
    await expectError(await h.refresh('sandbox', widened.refresh_token ?? '', 'pins:write'), 400, 283);
  });

  it('access tokens expire after 30 days and refresh tokens after 60', async () => {
    const tokens = await h.connect('sandbox');
    clock.advance(2_592_000_000);
    await expectError(await h.userAccount('sandbox', tokens.access_token), 401, 2);
    clock.advance(2_592_000_000);
    await expectError(await h.refresh('sandbox', tokens.refresh_token ?? ''), 400, 283);
  });

  it('a refresh without refresh_token is refused with a 4xx', async () => {
    const res = await h.token('sandbox', { grant_type: 'refresh_token' });
    expect(res.status).toBe(400);
  });
});

describe('user account', () => {
  it('answers the token user’s Account with the spec’s fields', async () => {
    const res = await h.userAccount('sandbox', (await h.connect('sandbox')).access_token);
    const body = await jsonOf(res);
    expect(body).toMatchObject({ id: MIRA, username: 'miradigitalzen', account_type: 'BUSINESS', business_name: 'MiraDigitalZen' });
    expect(Object.keys(body).sort()).toEqual(specProperties('Account').properties.sort());
  });

  it('without user_accounts:read answers 403 with Pinterest’s message', async () => {
    const res = await h.userAccount('sandbox', (await h.connect('sandbox', 'boards:read')).access_token);
    await expectError(res, 403, 403, 'Not authorized to access the user account.');
  });

  it('switching the consenting user yields a token for the other account', async () => {
    h.emulator.controls.setConsentingUser(OTHER);
    const body = await jsonOf(await h.userAccount('sandbox', (await h.connect('sandbox')).access_token));
    expect(body).toMatchObject({ id: OTHER, username: 'someone_else', account_type: 'PINNER', business_name: null });
  });

  it('reset makes the default (first) user the consenting one again', async () => {
    h.emulator.controls.setConsentingUser(OTHER);
    h.emulator.controls.reset();
    h.emulator.controls.setConsentMode('approve');
    const body = await jsonOf(await h.userAccount('sandbox', (await h.connect('sandbox')).access_token));
    expect(body).toMatchObject({ id: MIRA, username: 'miradigitalzen' });
  });

  it('a missing or unknown bearer token gets 401 code 2', async () => {
    await expectError(await fetch(`${h.emulator.urls.sandbox}/user_account`), 401, 2, 'Authentication failed.');
    await expectError(await h.userAccount('sandbox', 'pina_unknown'), 401, 2);
  });
});
