import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, PutSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_APP } from '../../local/emulators/pinterest/constants';
import { secretStore } from '../../shared/wiring';
import { clients, uniquePrefix } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { authorize, openLink, setUpConnectFlow } from '../support/oauth-flow';

/**
 * Without the Pinterest app credentials nothing can connect: the operator's API says so with a 409
 * and how to fix it, the browser steps show a page saying the same, and nothing is spent or stored.
 * This file works under a secret prefix of its own, so removing the app secret cannot disturb the
 * test files running beside it.
 */

const flow = setUpConnectFlow();
const prefix = `${uniquePrefix('notconf')}/`;
const appSecret = `${prefix}app/pinterest-client`;
const agent = `not-configured-${prefix}`;

async function setApp(value: string | undefined): Promise<void> {
  try {
    await clients.secrets.send(new DeleteSecretCommand({ SecretId: appSecret, ForceDeleteWithoutRecovery: true }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (value !== undefined) await clients.secrets.send(new CreateSecretCommand({ Name: appSecret, SecretString: value }));
  secretStore().clearCache();
}

const goodApp = JSON.stringify({ clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret });

beforeAll(async () => {
  process.env.SECRET_PREFIX = prefix;
  await clients.secrets.send(new CreateSecretCommand({ Name: `${prefix}keys/hashing-key`, SecretString: JSON.stringify({ hashingKey: randomBytes(32).toString('base64') }) }));
});

function createLink(): Promise<TestResponse> {
  return callFunction('createOAuthLink', {
    method: 'POST',
    url: '/oauth/start',
    headers: { 'content-type': 'application/json', 'user-agent': agent },
    body: JSON.stringify({ environment: 'sandbox' }),
  });
}

async function startLog(): Promise<Array<{ outcome: string; detail?: { step?: string } }>> {
  const res = await callFunction('getAudit', { method: 'GET', url: '/audit?kind=oauth_start&limit=100' });
  return (res.json() as { items: Array<{ outcome: string; userAgent?: string; detail?: { step?: string } }> }).items.filter((e) => e.userAgent === agent);
}

function expectSetUpPage(res: TestResponse): void {
  expect(res.statusCode).toBe(409);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.text).toContain('<h1>Pinterest is not set up yet</h1>');
  expect(res.text).toContain(appSecret);
  expect(res.text).not.toContain('"error"');
}

describe('when the Pinterest app credentials are not set', () => {
  it.each([
    ['absent', undefined],
    ['an empty object', '{}'],
    ['empty values', JSON.stringify({ clientId: '', clientSecret: ' ' })],
    ['not JSON', 'client-id-and-secret'],
  ])('POST /oauth/start answers 409 saying how to set them when the secret is %s, and hands out no link', async (_label, value) => {
    await setApp(value);
    const res = await createLink();
    expect(res.statusCode).toBe(409);
    const body = res.json() as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('not_configured');
    expect(body.error.message).toContain(`the Secrets Manager secret ${appSecret}`);
    expect(body.error.message).toContain('PINTEREST_CLIENT_ID');
    expect(body.error.requestId).toBeTruthy();
    expect((await startLog()).filter((e) => e.detail?.step === 'link_created')).toEqual([]);
  });

  it('the start link shows an HTML page instead of redirecting, and still works once they are set', async () => {
    await setApp(goodApp);
    const { url } = (await createLink()).json() as { url: string };
    // The same check as above sees a link that was handed out.
    expect((await startLog()).filter((e) => e.detail?.step === 'link_created')).toHaveLength(1);
    await setApp(undefined);
    const refused = await openLink(url);
    expectSetUpPage(refused.res);
    expect(refused.res.cookies).toEqual([]);

    await setApp(goodApp);
    const opened = await openLink(url);
    expect(opened.res.statusCode).toBe(302);
    expect(opened.location.startsWith(flow.emulator.urls.authorize)).toBe(true);
  });

  it('the callback shows an HTML page and leaves the sign-in state unspent for a retry', async () => {
    await setApp(goodApp);
    const { url } = (await createLink()).json() as { url: string };
    const { location, cookie } = await openLink(url);
    const params = await authorize(location);
    // A code Pinterest will refuse: the retry below must reach the exchange without storing anything.
    params.set('code', 'not-a-real-code');
    const call = () => callFunction('oauthCallback', { method: 'GET', url: `/oauth/callback?${params.toString()}`, headers: { cookie } });

    await clients.secrets.send(new PutSecretValueCommand({ SecretId: appSecret, SecretString: '{}' }));
    secretStore().clearCache();
    expectSetUpPage(await call());

    await clients.secrets.send(new PutSecretValueCommand({ SecretId: appSecret, SecretString: goodApp }));
    const retried = await call();
    // The state was still there: this time the code reached Pinterest (which refused it).
    expect(retried.statusCode).toBe(502);
    expect(retried.text).toContain('token exchange failed');
  });
});
