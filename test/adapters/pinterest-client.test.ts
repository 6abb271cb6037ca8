import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { PinterestApiError, PinterestNetworkError, PinterestResponseError } from '../../shared/adapters/pinterest/errors';

const redirectUri = 'http://127.0.0.1:3999/oauth/callback';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

describe('PinterestClient against the Pinterest emulator (real transport)', () => {
  let emulator: PinterestEmulator;
  let client: PinterestClient;
  const app = () => ({ clientId: emulator.app.clientId, clientSecret: emulator.app.clientSecret });

  /** Consents (automatic mode) and returns a fresh authorization code. */
  async function code(scope = 'boards:read,boards:write,pins:read,pins:write,user_accounts:read'): Promise<string> {
    const url = new URL(emulator.urls.authorize);
    url.search = new URLSearchParams({ client_id: emulator.app.clientId, redirect_uri: redirectUri, response_type: 'code', scope, state: 's' }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
  }

  beforeAll(async () => {
    emulator = await startPinterestEmulator({ app: { redirectUris: [redirectUri] }, consentMode: 'approve' });
    client = new PinterestClient({ baseUrls: { sandbox: emulator.urls.sandbox, production: emulator.urls.production }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => {
    emulator.controls.clearFaults();
  });

  it('exchanges a code, reads the account and refreshes with a rotated refresh token', async () => {
    const exchanged = await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri });
    expect(exchanged.data.access_token).toMatch(/^pina_/);
    expect(exchanged.data.refresh_token).toMatch(/^pinr/);
    expect(exchanged.requestId).toEqual(expect.any(String));
    const account = await client.userAccount('sandbox', exchanged.data.access_token);
    expect(account.data).toMatchObject({ id: '1000000000000000001', username: 'miradigitalzen', account_type: 'BUSINESS' });
    expect(account.rateLimit.limit).toBeGreaterThan(0);
    const refreshed = await client.refresh('sandbox', app(), exchanged.data.refresh_token ?? '');
    expect(refreshed.data.refresh_token).not.toBe(exchanged.data.refresh_token);
    await expect(client.refresh('sandbox', app(), exchanged.data.refresh_token ?? '')).rejects.toMatchObject({ kind: 'invalid_grant', pinterestCode: 283 });
  });

  it('sends the redirect URI and form exactly, and the token works only in its environment', async () => {
    const exchanged = await client.exchangeCode('production', app(), { code: await code(), redirectUri });
    const sent = emulator.controls.requests().filter((r) => r.path === '/v5/oauth/token').at(-1);
    expect(new URLSearchParams(sent?.body).get('redirect_uri')).toBe(redirectUri);
    await expect(client.userAccount('sandbox', exchanged.data.access_token)).rejects.toMatchObject({ kind: 'unauthorized', status: 401, pinterestCode: 2 });
  });

  it('types the errors Pinterest answers: bad client credentials, replayed code', async () => {
    const c = await code();
    await expect(client.exchangeCode('sandbox', { ...app(), clientSecret: 'wrong' }, { code: c, redirectUri })).rejects.toMatchObject({ status: 401, pinterestCode: 2 });
    await client.exchangeCode('sandbox', app(), { code: c, redirectUri });
    const replay = await client.exchangeCode('sandbox', app(), { code: c, redirectUri }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(PinterestApiError);
    expect(replay).toMatchObject({ kind: 'invalid_grant', requestId: expect.any(String) as unknown });
  });

  it('reports a refused connection as not sent', async () => {
    const port = await closedPort();
    const offline = new PinterestClient({ baseUrls: { sandbox: `http://127.0.0.1:${port}/v5`, production: `http://127.0.0.1:${port}/v5` } });
    const error = await offline.userAccount('sandbox', 'pina_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinterestNetworkError);
    expect(error).toMatchObject({ beforeSend: true, reason: 'ECONNREFUSED' });
  });

  it('reports a dropped connection and a response timeout as possibly processed', async () => {
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'drop_connection' });
    await expect(client.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).rejects.toMatchObject({ beforeSend: false });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'delay', ms: 500 });
    await expect(client.exchangeCode('sandbox', app(), { code: await code(), redirectUri }, 100)).rejects.toMatchObject({ beforeSend: false, reason: 'TimeoutError' });
  });

  it('refuses a malformed 200 and surfaces a 429 with its reset', async () => {
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'malformed_json' });
    await expect(client.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).rejects.toBeInstanceOf(PinterestResponseError);
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'rate_limit' });
    const limited = await client.userAccount('sandbox', 'pina_anything').catch((e: unknown) => e);
    expect(limited).toMatchObject({ kind: 'rate_limited', status: 429, pinterestCode: 8 });
    expect((limited as PinterestApiError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('accepts a token answer without a refresh token (the caller keeps the old one)', async () => {
    const exchanged = await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'omit_refresh_token' });
    const refreshed = await client.refresh('sandbox', app(), exchanged.data.refresh_token ?? '');
    expect(refreshed.data.refresh_token).toBeUndefined();
    expect(refreshed.data.access_token).toMatch(/^pina_/);
  });
});
