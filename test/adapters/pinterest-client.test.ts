import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { PinterestApiError, PinterestNetworkError, PinterestResponseError } from '../../shared/adapters/pinterest/errors';
import { nodeTransport } from '../../shared/adapters/pinterest/http';
import { PinterestApi } from '../../shared/adapters/pinterest/resources';
import { silentServer } from '../support/loopback';

const redirectUri = 'http://127.0.0.1:3999/oauth/callback';

const pin = (boardId: string, title: string) => ({ board_id: boardId, title, media_source: { source_type: 'image_url', url: 'https://images.example.com/p.png' } }) as const;

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

  it('reports a refused Pin creation (the host stopped listening) as not sent, so it may be sent again', async () => {
    const token = (await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).data.access_token;
    const api = new PinterestApi(client);
    const board = await api.createBoard('sandbox', token, { name: `Refused ${Date.now()}` });
    emulator.controls.injectFault({ host: 'sandbox', kind: 'refuse_connection', ms: 300 });
    await expect(api.createPin('sandbox', token, pin(board.data.id, 'refused'))).rejects.toMatchObject({ beforeSend: true, reason: 'ECONNREFUSED' });
  });

  it('reports a connect timeout as not sent: TLS handshake never answered, on loopback', async () => {
    // The emulator speaks plain http, and a plain TCP connect on loopback always completes at once
    // (the kernel answers for the listen backlog), so the stand-in is a server that accepts TCP and
    // never answers the ClientHello: the https connection never becomes secure.
    const silent = await silentServer();
    try {
      const base = `https://127.0.0.1:${silent.port}/v5`;
      const stalled = new PinterestApi(new PinterestClient({ baseUrls: { sandbox: base, production: base }, transport: nodeTransport(100), timeoutMs: 5000 }));
      const error = await stalled.createPin('sandbox', 'pina_x', pin('1', 'never sent')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PinterestNetworkError);
      expect(error).toMatchObject({ beforeSend: true, reason: 'ECONNECTTIMEOUT', code: 'not_sent' });
      expect(silent.received().toString('latin1')).not.toContain('never sent');
    } finally {
      await silent.close();
    }
  });

  it('reports a Pin creation that timed out or lost its answer as possibly processed: the Pin exists', async () => {
    const token = (await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).data.access_token;
    const api = new PinterestApi(client);
    const board = await api.createBoard('sandbox', token, { name: `Lost answers ${Date.now()}` });
    emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/pins', kind: 'delay', ms: 300 });
    await expect(api.createPin('sandbox', token, pin(board.data.id, 'slow'), 100)).rejects.toMatchObject({ beforeSend: false, reason: 'TimeoutError', code: 'outcome_unknown' });
    emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/pins', kind: 'create_then_drop' });
    await expect(api.createPin('sandbox', token, pin(board.data.id, 'dropped'))).rejects.toMatchObject({ beforeSend: false, code: 'outcome_unknown' });
    // The emulator finishes the slow one after the client gave up, as Pinterest may.
    const titles = async () => (await api.listBoardPins('sandbox', token, board.data.id)).data.items.map((p) => p.title).sort();
    for (let i = 0; i < 40 && (await titles()).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await titles()).toEqual(['dropped', 'slow']);
  });

  it('sends Pin creation on a fresh connection and other calls on the keep-alive pool (default transport)', async () => {
    const token = (await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).data.access_token;
    const api = new PinterestApi(client);
    const board = await api.createBoard('sandbox', token, { name: `Fresh ${Date.now()}` });
    await api.createPin('sandbox', token, pin(board.data.id, 'fresh'));
    const logged = emulator.controls.requests();
    const last = (method: string, path: string) => logged.filter((r) => r.method === method && r.path === path).at(-1)?.headers.connection;
    expect(last('POST', '/v5/pins')).toBe('close');
    expect(last('POST', '/v5/boards')).toBe('keep-alive');
    expect(last('POST', '/v5/oauth/token')).toBe('keep-alive');
  });

  it('does not count a slow answer on an established connection as a connect timeout', async () => {
    const quickConnect = new PinterestClient({ baseUrls: { sandbox: emulator.urls.sandbox, production: emulator.urls.production }, transport: nodeTransport(50), timeoutMs: 2000 });
    const token = (await quickConnect.exchangeCode('sandbox', app(), { code: await code(), redirectUri })).data.access_token;
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'delay', ms: 300 });
    await expect(quickConnect.userAccount('sandbox', token)).resolves.toMatchObject({ status: 200 });
  });

  it('accepts a token answer without a refresh token (the caller keeps the old one)', async () => {
    const exchanged = await client.exchangeCode('sandbox', app(), { code: await code(), redirectUri });
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'omit_refresh_token' });
    const refreshed = await client.refresh('sandbox', app(), exchanged.data.refresh_token ?? '');
    expect(refreshed.data.refresh_token).toBeUndefined();
    expect(refreshed.data.access_token).toMatch(/^pina_/);
  });
});
