import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DeleteSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_APP } from '../../local/emulators/pinterest/constants';
import { secretStore } from '../../shared/wiring';
import { clients, uniquePrefix } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { setUpConnectFlow } from '../support/oauth-flow';

/**
 * A deployment whose hashing key secret is missing, empty or unusable answers the requests that need
 * the key with a 409 naming the secret and what to do, never a bare 500; a failed read is not kept, so
 * once the secret is right the next request works. (A container keeps the key once read, so this file
 * starts without one: its own secret prefix.)
 */

setUpConnectFlow();
const prefix = `${uniquePrefix('nokey')}/`;
const keySecret = `${prefix}keys/hashing-key`;

async function setKey(value: string | undefined): Promise<void> {
  await clients.secrets.send(new DeleteSecretCommand({ SecretId: keySecret, ForceDeleteWithoutRecovery: true })).catch((error: unknown) => {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  });
  if (value !== undefined) await clients.secrets.send(new CreateSecretCommand({ Name: keySecret, SecretString: value }));
  secretStore().clearCache();
}

function createLink(): Promise<TestResponse> {
  return callFunction('createOAuthLink', { method: 'POST', url: '/oauth/start', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'sandbox' }) });
}

beforeAll(async () => {
  process.env.SECRET_PREFIX = prefix;
  await clients.secrets.send(new CreateSecretCommand({ Name: `${prefix}app/pinterest-client`, SecretString: JSON.stringify({ clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret }) }));
});

describe('when the hashing key secret is missing or empty', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without a key', '{}'],
    ['with a key too short', JSON.stringify({ hashingKey: 'short' })],
  ])('a start link is refused with 409 naming the secret and what to do when it is %s', async (_, value) => {
    await setKey(value);
    const res = await createLink();
    expect(res.statusCode).toBe(409);
    const { error } = res.json() as { error: { code: string; message: string; requestId: string } };
    expect(error).toMatchObject({ code: 'not_configured', requestId: expect.any(String) as unknown });
    expect(error.message).toContain(keySecret);
    expect(error.message).toContain('npm run setup -- --region');
  });

  it('says how to restore a key marked for deletion (409, not a 500)', async () => {
    await setKey(JSON.stringify({ hashingKey: randomBytes(32).toString('base64') }));
    await clients.secrets.send(new DeleteSecretCommand({ SecretId: keySecret, RecoveryWindowInDays: 7 }));
    secretStore().clearCache();
    const res = await createLink();
    expect(res.statusCode).toBe(409);
    expect((res.json() as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'not_configured',
      message: `The hashing key secret ${keySecret} is marked for deletion: restore it (aws secretsmanager restore-secret --secret-id ${keySecret})`,
    });
  });

  it('works at once when the secret is right (a failed read is not kept)', async () => {
    await setKey(JSON.stringify({ hashingKey: randomBytes(32).toString('base64') }));
    expect((await createLink()).statusCode).toBe(201);
  });
});
