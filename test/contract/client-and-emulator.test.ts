import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { PinterestClient } from '../../shared/adapters/pinterest/client';
import { expectConforms, loadContract, type ContractIssue } from '../support/contract';
import { recordingTransport, type Exchange } from '../support/recording-transport';

/**
 * Holds both sides to Pinterest's OpenAPI description: every request the product's client sends and
 * every answer the emulator gives, in the scenarios the product uses (success and error paths).
 */

const redirectUri = 'http://127.0.0.1:3999/oauth/callback';

function issuesOf(exchange: Exchange): ContractIssue[] {
  const contract = loadContract();
  const url = new URL(exchange.url);
  const path = url.pathname.replace(/^.*?\/v5/, '');
  const contentType = exchange.request.headers['content-type'];
  const request = contract.validateRequest({
    method: exchange.request.method,
    path,
    query: url.searchParams,
    ...(contentType === undefined ? {} : { contentType }),
    ...(exchange.request.body === undefined ? {} : { body: contentType?.includes('json') === true ? (JSON.parse(exchange.request.body) as unknown) : exchange.request.body }),
  });
  const response = contract.validateResponse({
    method: exchange.request.method,
    path,
    status: exchange.status,
    body: JSON.parse(exchange.body) as unknown,
    ...(exchange.contentType === null ? {} : { contentType: exchange.contentType }),
  });
  return [...request, ...response];
}

describe('contract: the client and the emulator against the OpenAPI description', () => {
  let emulator: PinterestEmulator;
  const recorder = recordingTransport();
  let client: PinterestClient;
  const app = () => ({ clientId: emulator.app.clientId, clientSecret: emulator.app.clientSecret });

  async function code(): Promise<string> {
    const url = new URL(emulator.urls.authorize);
    url.search = new URLSearchParams({ client_id: emulator.app.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'boards:read,boards:write,pins:read,pins:write,user_accounts:read', state: 's' }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
  }

  beforeAll(async () => {
    emulator = await startPinterestEmulator({ app: { redirectUris: [redirectUri] }, consentMode: 'approve' });
    client = new PinterestClient({ baseUrls: { sandbox: emulator.urls.sandbox, production: emulator.urls.production }, transport: recorder.transport });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    recorder.exchanges.length = 0;
  });
  afterEach(() => {
    expect(recorder.exchanges.length).toBeGreaterThan(0);
    for (const exchange of recorder.exchanges) expectConforms(issuesOf(exchange));
  });

  it('code exchange, account and refresh conform on both environments', async () => {
    for (const env of ['sandbox', 'production'] as const) {
      const tokens = await client.exchangeCode(env, app(), { code: await code(), redirectUri });
      await client.userAccount(env, tokens.data.access_token);
      await client.refresh(env, app(), tokens.data.refresh_token ?? '');
    }
  });

  it('error answers conform: bad client, replayed code, bad token, missing scope, rate limit', async () => {
    const c = await code();
    await client.exchangeCode('sandbox', { ...app(), clientSecret: 'nope' }, { code: c, redirectUri }).catch(() => undefined);
    await client.exchangeCode('sandbox', app(), { code: c, redirectUri });
    await client.exchangeCode('sandbox', app(), { code: c, redirectUri }).catch(() => undefined);
    await client.userAccount('sandbox', 'pina_not_a_token').catch(() => undefined);
    const narrow = emulator.controls.issueTokens('production', '1000000000000000002', ['boards:read']);
    await client.userAccount('production', narrow.accessToken).catch(() => undefined);
    emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'rate_limit' });
    await client.userAccount('sandbox', narrow.accessToken).catch(() => undefined);
    expect(recorder.exchanges.map((e) => e.status)).toEqual([401, 200, 400, 401, 403, 429]);
  });
});
