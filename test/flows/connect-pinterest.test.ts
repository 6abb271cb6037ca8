import { z } from 'zod';
import { DeleteCommand, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { SecretStore } from '../../shared/adapters/secret-store';
import { FakeClock } from '../support/fake-clock';
import { clients, names } from '../support/aws';
import { callFunction } from '../support/http';
import { PUBLIC_BASE_URL, REDIRECT_URI, authorize, callback, callbackLog, connect, createLink, openLink, setUpConnectFlow, tokenSecretCount } from '../support/oauth-flow';
import { uniquePrefix } from '../support/aws';

const flow = setUpConnectFlow();
const MIRA = '1000000000000000001';
const OTHER = '1000000000000000002';

async function account() {
  const res = await callFunction('getAccount', { method: 'GET', url: '/account' });
  return res.json() as { accessTier: string; environments: Record<string, Record<string, unknown>> };
}

async function resetAccounts() {
  for (const env of ['sandbox', 'production']) {
    for (const sk of ['CURRENT', 'PINNED']) {
      await clients.dynamo.send(new DeleteCommand({ TableName: names.workflow, Key: { pk: `ACCOUNT#${env}`, sk } }));
    }
  }
}

/** Moves every live item with this key prefix past its expiry, as if TTL had not removed it yet. */
async function ageAll(prefix: string) {
  const { Items = [] } = await clients.dynamo.send(
    new ScanCommand({ TableName: names.state, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': prefix } }),
  );
  for (const item of Items) {
    const key = z.object({ pk: z.string(), sk: z.string() }).parse(item);
    await clients.dynamo.send(
      new UpdateCommand({ TableName: names.state, Key: key, UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
  }
}

async function storedSecretName(env: string): Promise<string> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: names.workflow, Key: { pk: `ACCOUNT#${env}`, sk: 'CURRENT' } }));
  return z.string().parse(Item?.secretName);
}

const tokenCalls = () => flow.emulator.controls.requests().filter((r) => r.path === '/v5/oauth/token').length;

describe('connect Pinterest: start link and authorize redirect', () => {
  it('answers a single-use link on PUBLIC_BASE_URL that expires', async () => {
    const res = await createLink('sandbox');
    expect(res.statusCode).toBe(201);
    const body = res.json() as { url: string; expiresAt: string };
    expect(body.url).toMatch(new RegExp(`^${PUBLIC_BASE_URL}/oauth/start\\?ticket=[A-Za-z0-9_-]{43}$`));
    const minutes = (Date.parse(body.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(4);
    expect(minutes).toBeLessThanOrEqual(5);
  });

  it('sets an HttpOnly, Secure, SameSite=Lax nonce cookie and redirects to the authorize page with the exact parameters', async () => {
    const link = (await createLink('production')).json() as { url: string };
    const { res, location } = await openLink(link.url);
    expect(res.statusCode).toBe(302);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.cookies).toHaveLength(1);
    expect(res.cookies[0]).toMatch(/^__Secure-mdz_oauth_nonce=[A-Za-z0-9_-]{43}; Path=\/oauth\/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/);
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe(flow.emulator.urls.authorize);
    expect(url.searchParams.get('client_id')).toBe(flow.emulator.app.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe('boards:read,boards:write,pins:read,pins:write,user_accounts:read');
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(url.searchParams.has('code_challenge')).toBe(false);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'redirect_uri', 'response_type', 'scope', 'state']);
  });

  it('refuses a reused ticket and an unknown one with a 400 page', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    expect((await openLink(link.url)).res.statusCode).toBe(302);
    const again = await openLink(link.url);
    expect(again.res.statusCode).toBe(400);
    expect(again.res.text).toContain('was already used, or has expired');
    expect(again.res.cookies).toEqual([]);
    expect((await openLink(`${PUBLIC_BASE_URL}/oauth/start?ticket=made-up`)).res.statusCode).toBe(400);
    expect((await openLink(`${PUBLIC_BASE_URL}/oauth/start`)).res.statusCode).toBe(400);
  });

  it('refuses an expired ticket that is still in the table', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    await ageAll('OAUTH_TICKET#');
    const res = await openLink(link.url);
    expect(res.res.statusCode).toBe(400);
    expect(res.res.cookies).toEqual([]);
  });

  it('refuses a bad environment with a clear 400', async () => {
    const res = await createLink('staging');
    expect(res.statusCode).toBe(400);
    expect(res.text).toContain('environment must be sandbox or production');
  });
});

describe('connect Pinterest: callback', () => {
  beforeEach(async () => {
    await resetAccounts();
    flow.emulator.controls.clearFaults();
    flow.emulator.controls.setConsentingUser(MIRA);
  });

  it('connects, stores the account pending confirmation, and never echoes code or state', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    const agent = uniquePrefix('ok');
    const res = await callback(params, cookie, agent);
    expect(res.statusCode).toBe(200);
    expect(res.text).toContain('@miradigitalzen');
    const [entry] = await callbackLog(agent);
    expect(entry).toMatchObject({ outcome: 'ok', userAgent: agent, detail: { environment: 'sandbox', accountId: MIRA, status: 'pending_confirmation', scopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'] } });
    expect(entry?.detail?.codeHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(entry?.detail?.stateHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.text).not.toContain(params.get('code') ?? 'x');
    expect(res.text).not.toContain(params.get('state') ?? 'x');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers.location).toBeUndefined();
    expect(res.cookies[0]).toContain('Max-Age=0');
    const view = await account();
    expect(view.environments.sandbox).toMatchObject({ status: 'pending_confirmation', accountId: MIRA, username: 'miradigitalzen', confirmed: false, missingScopes: [] });
    expect(view.environments.production).toMatchObject({ status: 'not_connected' });
  });

  it('sends the token endpoint exactly the redirect URI of the authorize call', async () => {
    await connect('sandbox');
    const authorizeCall = flow.emulator.controls.requests().filter((r) => r.path.startsWith('/oauth')).at(-1);
    const tokenCall = flow.emulator.controls.requests().filter((r) => r.path === '/v5/oauth/token').at(-1);
    const sentRedirect = new URLSearchParams(tokenCall?.body).get('redirect_uri');
    expect(sentRedirect).toBe(REDIRECT_URI);
    expect(authorizeCall?.query.redirect_uri).toBe(REDIRECT_URI);
  });

  it('refuses a reused state, calling the token endpoint once', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    const before = tokenCalls();
    expect((await callback(params, cookie)).statusCode).toBe(200);
    const agent = uniquePrefix('replay');
    const replay = await callback(params, cookie, agent);
    expect(replay.statusCode).toBe(400);
    expect(replay.text).toContain('already used, or has expired');
    expect(tokenCalls() - before).toBe(1);
    expect(await callbackLog(agent)).toEqual([expect.objectContaining({ outcome: 'client_error', errorCode: 'unknown_state' })]);
  });

  it('lets exactly one of two parallel callbacks with one state reach the token endpoint', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    const before = tokenCalls();
    const results = await Promise.all([callback(params, cookie), callback(params, cookie)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    expect(tokenCalls() - before).toBe(1);
  });

  it.each([
    ['missing state', (p: URLSearchParams) => new URLSearchParams({ code: p.get('code') ?? '' })],
    ['unknown state', (p: URLSearchParams) => new URLSearchParams({ code: p.get('code') ?? '', state: 'a'.repeat(43) })],
  ])('refuses a %s with a 400 page and no token call', async (_case, mutate) => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    const before = tokenCalls();
    const agent = uniquePrefix('state');
    expect((await callback(mutate(params), cookie, agent)).statusCode).toBe(400);
    expect(tokenCalls()).toBe(before);
    expect((await callbackLog(agent)).map((e) => e.errorCode)).toEqual([mutate(params).has('state') ? 'unknown_state' : 'missing_state']);
  });

  it('refuses an expired state that is still in the table (TTL deletes late)', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    await ageAll('OAUTH_STATE#');
    const before = tokenCalls();
    expect((await callback(params, cookie)).statusCode).toBe(400);
    expect(tokenCalls()).toBe(before);
  });

  it.each([
    ['a missing cookie', undefined],
    ['another browser\'s cookie', '__Secure-mdz_oauth_nonce=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['two nonce cookies', '__Secure-mdz_oauth_nonce=a; __Secure-mdz_oauth_nonce=b'],
  ])('refuses a callback with %s, without calling the token endpoint', async (_case, cookie) => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location } = await openLink(link.url);
    const params = await authorize(location);
    const before = tokenCalls();
    const agent = uniquePrefix('browser');
    const res = await callback(params, cookie, agent);
    expect(res.statusCode).toBe(400);
    expect(res.text).toContain('started in another browser');
    expect(tokenCalls()).toBe(before);
    expect((await account()).environments.sandbox).toMatchObject({ status: 'not_connected' });
    expect(await callbackLog(agent)).toEqual([expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_browser', detail: expect.objectContaining({ stateHash: expect.any(String), codeHash: expect.any(String) }) as unknown })]);
  });

  it('leaves the state for the right browser after a wrong-browser callback, which then connects', async () => {
    await resetAccounts();
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    const agent = uniquePrefix('leaked');
    // Someone holding the leaked callback URL opens it first, with their own cookie or none.
    const [name] = cookie.split('=');
    expect((await callback(params, `${name ?? ''}=${'B'.repeat(43)}`, agent)).statusCode).toBe(400);
    expect((await callback(params, undefined, agent)).statusCode).toBe(400);
    expect(await callbackLog(agent)).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_browser', detail: expect.objectContaining({ stateKept: true }) as unknown }),
      expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_browser', detail: expect.objectContaining({ stateKept: true }) as unknown }),
    ]);
    // The real browser still completes its sign-in, once.
    const real = await callback(params, cookie);
    expect(real.statusCode).toBe(200);
    expect(real.text).toContain('Pinterest connected');
    expect((await account()).environments.sandbox).toMatchObject({ status: 'pending_confirmation', accountId: MIRA });
    expect((await callback(params, cookie)).text).toContain('already used');
  });

  it('records error=access_denied, shows a clear page and never calls the token endpoint', async () => {
    flow.emulator.controls.setConsentMode('deny');
    try {
      const link = (await createLink('sandbox')).json() as { url: string };
      const { location, cookie } = await openLink(link.url);
      const res = await fetch(location, { redirect: 'manual' });
      const params = new URL(res.headers.get('location') ?? '').searchParams;
      params.set('error_description', '<script>alert(1)</script>');
      const before = tokenCalls();
      const agent = uniquePrefix('deny');
      const page = await callback(params, cookie, agent);
      expect(page.statusCode).toBe(200);
      expect(page.text).toContain('Pinterest connection declined');
      expect(await callbackLog(agent)).toEqual([
        expect.objectContaining({ errorCode: 'authorization_declined', userAgent: agent, detail: expect.objectContaining({ error: 'access_denied', errorDescription: '<script>alert(1)</script>', environment: 'sandbox' }) }),
      ]);
      expect(page.text).toContain('&lt;script&gt;');
      expect(page.text).not.toContain('<script>');
      expect(tokenCalls()).toBe(before);
    } finally {
      flow.emulator.controls.setConsentMode('approve');
    }
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 } as const],
    ['malformed JSON', { kind: 'malformed_json' } as const],
    ['no refresh token', { kind: 'omit_refresh_token' } as const],
  ])('stores nothing and shows a clear page when the token endpoint answers %s', async (_case, fault) => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', ...fault });
    const secretsBefore = await tokenSecretCount('sandbox');
    const res = await callback(params, cookie);
    expect(res.statusCode).toBe(502);
    expect(await tokenSecretCount('sandbox')).toBe(secretsBefore);
    expect(res.text).toContain('Pinterest could not complete the connection');
    expect(res.text).toContain('Nothing was stored');
    expect((await account()).environments.sandbox).toMatchObject({ status: 'not_connected' });
  });

  it('stores nothing and shows a clear page when the token endpoint does not answer in time', async () => {
    // The real handler, client and transport, with the callback's per-call budget (8 s in the wiring)
    // shortened at the client so the test need not wait it out: the use case's own value is recorded.
    const exchange = PinterestClient.prototype.exchangeCode;
    const budgets: Array<number | undefined> = [];
    const shortened = jest.spyOn(PinterestClient.prototype, 'exchangeCode').mockImplementation(function (this: PinterestClient, environment, app, grant, timeoutMs) {
      budgets.push(timeoutMs);
      return exchange.call(this, environment, app, grant, 200);
    });
    try {
      const link = (await createLink('sandbox')).json() as { url: string };
      const { location, cookie } = await openLink(link.url);
      const params = await authorize(location);
      flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'delay', ms: 2000 });
      const secretsBefore = await tokenSecretCount('sandbox');
      const agent = uniquePrefix('slow');
      const started = Date.now();
      const res = await callback(params, cookie, agent);
      expect(Date.now() - started).toBeLessThan(2000); // it gave up; it did not wait for the answer
      expect(budgets).toEqual([expect.any(Number)]); // the use case gives the exchange a budget of its own
      expect(res.statusCode).toBe(502);
      expect(res.text).toContain('Pinterest could not complete the connection');
      expect(res.text).toContain('Nothing was stored');
      expect(await tokenSecretCount('sandbox')).toBe(secretsBefore);
      expect((await account()).environments.sandbox).toMatchObject({ status: 'not_connected' });
      expect(await callbackLog(agent)).toEqual([expect.objectContaining({ errorCode: 'pinterest_failed', detail: expect.objectContaining({ reason: expect.stringContaining('TimeoutError') }) as unknown })]);
    } finally {
      shortened.mockRestore();
    }
  });

  it('refuses a replayed code: the second exchange fails and nothing changes', async () => {
    await connect('sandbox');
    const tokenCall = flow.emulator.controls.requests().filter((r) => r.path === '/v5/oauth/token').at(-1);
    const usedCode = new URLSearchParams(tokenCall?.body).get('code') ?? '';
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const fresh = await authorize(location);
    fresh.set('code', usedCode);
    const res = await callback(fresh, cookie);
    expect(res.statusCode).toBe(502);
    expect(res.text).toContain('invalid_grant');
  });

  it('refuses an account other than the confirmed one, storing nothing', async () => {
    await connect('sandbox');
    const confirm = await callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox', accountId: MIRA }) });
    expect(confirm.statusCode).toBe(200);
    const before = (await account()).environments.sandbox;
    flow.emulator.controls.setConsentingUser(OTHER);
    const secretsBefore = await tokenSecretCount('sandbox');
    const res = await connect('sandbox');
    expect(res.statusCode).toBe(403);
    expect(await tokenSecretCount('sandbox')).toBe(secretsBefore);
    expect(res.text).toContain('@someone_else');
    expect((await account()).environments.sandbox).toEqual(before);
  });

  it('refuses to confirm with a stale account id', async () => {
    await connect('sandbox');
    const res = await callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox', accountId: OTHER }) });
    expect(res.statusCode).toBe(409);
    expect(res.text).toContain('not 1000000000000000002');
    expect((await account()).environments.sandbox).toMatchObject({ status: 'pending_confirmation' });
  });

  it('tells the losers of concurrent confirmations, in words, that the account is already confirmed', async () => {
    await connect('sandbox');
    const confirm = () =>
      callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox', accountId: MIRA }) });
    const answers = await Promise.all(Array.from({ length: 5 }, confirm));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    for (const lost of answers.filter((a) => a.statusCode !== 200)) {
      expect(lost.statusCode).toBe(409);
      const { error } = lost.json() as { error: { message: string; currentState?: string } };
      // Either it lost the race itself, or it read the account after the winner's write.
      expect(error.message).toMatch(/confirmed by another request at the same moment|is connected, not waiting for confirmation/);
      expect(error.message).not.toMatch(/record/i);
      expect(error.currentState).toBe('connected');
    }
    expect((await account()).environments.sandbox).toMatchObject({ status: 'connected', confirmed: true });
  });

  it('reconnecting after confirmation keeps the account connected and replaces its secret', async () => {
    await connect('sandbox');
    await callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox', accountId: MIRA }) });
    const first = await storedSecretName('sandbox');
    const res = await connect('sandbox');
    expect(res.statusCode).toBe(200);
    expect((await account()).environments.sandbox).toMatchObject({ status: 'connected', confirmed: true });
    const second = await storedSecretName('sandbox');
    expect(second).not.toBe(first);
    expect(second).toMatch(new RegExp(`^${names.secretPrefix}tokens/sandbox/${MIRA}/[0-9a-f-]{36}$`));
    const vault = new SecretStore(clients.secrets, new FakeClock(), 0);
    const tokens = z.object({ accessToken: z.string(), refreshToken: z.string() });
    expect(await vault.get(first, tokens)).toBeUndefined(); // force-deleted, name free at once
    expect((await vault.get(second, tokens))?.accessToken).toMatch(/^pina_/);
  });

  it('names missing scopes and blocks with missing_scopes', async () => {
    // Pinterest answers every scope the user ever granted the app: start from a user with no grant.
    flow.emulator.controls.reset();
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const narrowed = new URL(location);
    narrowed.searchParams.set('scope', 'boards:read,user_accounts:read');
    const res = await callback(await authorize(narrowed.toString()), cookie);
    expect(res.statusCode).toBe(200);
    expect(res.text).toContain('did not grant boards:write, pins:read, pins:write');
    expect((await account()).environments.sandbox).toMatchObject({ status: 'missing_scopes', missingScopes: ['boards:write', 'pins:read', 'pins:write'] });
  });

  it('connects sandbox and production side by side', async () => {
    expect((await connect('sandbox')).statusCode).toBe(200);
    expect((await connect('production')).statusCode).toBe(200);
    const view = await account();
    expect(view.accessTier).toBe('trial');
    expect(view.environments.sandbox).toMatchObject({ status: 'pending_confirmation', accountId: MIRA, publishing: 'allowed_by_tier' });
    expect(view.environments.production).toMatchObject({ status: 'pending_confirmation', accountId: MIRA, publishing: 'refused_by_tier' });
    expect(JSON.stringify(view)).not.toMatch(/pina_|pinr/);
  });

  it('has no open redirect: the callback never redirects, whatever the parameters', async () => {
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const params = await authorize(location);
    for (const name of ['redirect_uri', 'next', 'return_to', 'url']) params.set(name, 'https://evil.example/');
    const res = await callback(params, cookie);
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).not.toContain('evil.example');
  });
});
