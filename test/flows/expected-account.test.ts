import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { clients, names, uniquePrefix } from '../support/aws';
import { callFunction } from '../support/http';
import { authorize, callback, callbackLog, connect, createLink, openLink, setUpConnectFlow, tokenSecretCount } from '../support/oauth-flow';

// This test process is configured for one expected account, before any handler reads its settings.
const MIRA = '1000000000000000001';
const OTHER = '1000000000000000002';
process.env.PINTEREST_EXPECTED_ACCOUNT_ID = MIRA;
const flow = setUpConnectFlow();

async function sandboxAccount() {
  const res = await callFunction('getAccount', { method: 'GET', url: '/account' });
  return (res.json() as { environments: { sandbox: Record<string, unknown> } }).environments.sandbox;
}

describe('connect Pinterest with PINTEREST_EXPECTED_ACCOUNT_ID', () => {
  beforeAll(async () => {
    for (const sk of ['CURRENT', 'PINNED']) {
      await clients.dynamo.send(new DeleteCommand({ TableName: names.workflow, Key: { pk: 'ACCOUNT#sandbox', sk } }));
    }
  });

  it('connects the expected account directly, confirmed, without a pin of its own', async () => {
    flow.emulator.controls.setConsentingUser(MIRA);
    const res = await connect('sandbox');
    expect(res.statusCode).toBe(200);
    expect(res.text).not.toContain('Confirm it is the intended account');
    expect(await sandboxAccount()).toMatchObject({ status: 'connected', accountId: MIRA, confirmed: true });
    const pinned = await clients.dynamo.send(new GetCommand({ TableName: names.workflow, Key: { pk: 'ACCOUNT#sandbox', sk: 'PINNED' } }));
    expect(pinned.Item).toBeUndefined();
  });

  it('refuses any other account before storing anything, and says why in the log', async () => {
    const before = await sandboxAccount();
    const secrets = await tokenSecretCount('sandbox');
    flow.emulator.controls.setConsentingUser(OTHER);
    const agent = uniquePrefix('other');
    const link = (await createLink('sandbox')).json() as { url: string };
    const { location, cookie } = await openLink(link.url);
    const res = await callback(await authorize(location), cookie, agent);
    expect(res.statusCode).toBe(403);
    expect(res.text).toContain('@someone_else');
    expect(await sandboxAccount()).toEqual(before);
    expect(await tokenSecretCount('sandbox')).toBe(secrets);
    expect(await callbackLog(agent)).toEqual([
      expect.objectContaining({ outcome: 'denied', errorCode: 'wrong_account', detail: expect.objectContaining({ accountId: OTHER, expectedSource: 'configured' }) as unknown }),
    ]);
  });
});
