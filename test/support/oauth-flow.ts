import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { clients, names } from './aws';
import { callFunction, type TestResponse } from './http';

/**
 * Drives the connect flow through the real handlers (API Gateway v2 events) against a Pinterest
 * emulator of the test file's own. Call `setUpConnectFlow()` at the top of a test file: it points
 * this test process's settings at the emulator before the handlers first read them.
 */

export const PUBLIC_BASE_URL = 'https://publisher.example.test';
export const REDIRECT_URI = `${PUBLIC_BASE_URL}/oauth/callback`;

export interface Flow {
  emulator: PinterestEmulator;
}

export function setUpConnectFlow(): Flow {
  const flow = {} as Flow;
  beforeAll(async () => {
    flow.emulator = await startPinterestEmulator({ app: { redirectUris: [REDIRECT_URI] }, consentMode: 'approve' });
    process.env.PUBLIC_BASE_URL = PUBLIC_BASE_URL;
    process.env.PINTEREST_AUTHORIZE_URL = flow.emulator.urls.authorize;
    process.env.PINTEREST_API_BASE_SANDBOX = flow.emulator.urls.sandbox;
    process.env.PINTEREST_API_BASE_PRODUCTION = flow.emulator.urls.production;
  });
  afterAll(async () => {
    await flow.emulator.close();
  });
  return flow;
}

export async function createLink(environment: string): Promise<TestResponse> {
  return callFunction('createOAuthLink', {
    method: 'POST',
    url: '/oauth/start',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ environment }),
  });
}

/** Opens a start link: answers the 302's location and the nonce cookie (`name=value`). */
export async function openLink(url: string): Promise<{ res: TestResponse; location: string; cookie: string }> {
  const u = new URL(url);
  const res = await callFunction('openOAuthLink', { method: 'GET', url: `${u.pathname}${u.search}` });
  return { res, location: res.headers.location ?? '', cookie: (res.cookies[0] ?? '').split(';')[0] ?? '' };
}

/** Follows the authorize URL at the emulator (consent answered automatically) to our redirect URI. */
export async function authorize(location: string): Promise<URLSearchParams> {
  const res = await fetch(location, { redirect: 'manual' });
  const to = res.headers.get('location') ?? '';
  if (!to.startsWith(REDIRECT_URI)) throw new Error(`authorize answered ${res.status} ${to}`);
  return new URL(to).searchParams;
}

export async function callback(params: URLSearchParams | string, cookie?: string, userAgent?: string): Promise<TestResponse> {
  return callFunction('oauthCallback', {
    method: 'GET',
    url: `/oauth/callback?${params.toString()}`,
    headers: { ...(cookie === undefined ? {} : { cookie }), ...(userAgent === undefined ? {} : { 'user-agent': userAgent }) },
  });
}

/** The security log's `oauth_callback` entries written for requests with this user agent. */
export async function callbackLog(userAgent: string): Promise<Array<{ outcome: string; errorCode?: string; userAgent?: string; detail?: Record<string, unknown> }>> {
  const res = await callFunction('getAudit', { method: 'GET', url: '/audit?kind=oauth_callback&limit=100' });
  const body = res.json() as { items: Array<{ outcome: string; errorCode?: string; userAgent?: string; detail?: Record<string, unknown> }> };
  return body.items.filter((e) => e.userAgent === userAgent);
}

/** How many token secrets exist under this deployment's prefix for an environment. */
export async function tokenSecretCount(environment: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await clients.secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${names.secretPrefix}tokens/${environment}/`] }], MaxResults: 100, NextToken: token }),
    );
    count += page.SecretList?.length ?? 0;
    token = page.NextToken;
  } while (token !== undefined);
  return count;
}

/** The whole flow for one environment, returning the callback's answer. */
export async function connect(environment: 'sandbox' | 'production'): Promise<TestResponse> {
  const link = (await createLink(environment)).json() as { url: string };
  const { location, cookie } = await openLink(link.url);
  return callback(await authorize(location), cookie);
}
