import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { SecretStore } from '../../shared/adapters/secret-store';
import { FakeClock } from '../support/fake-clock';
import { clients, names } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { authorize, callback, createLink, openLink, setUpConnectFlow } from '../support/oauth-flow';

// Every log line of this file is captured, at the most verbose level.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const flow = setUpConnectFlow();
const SENTINEL = 'SENTINELtokenLEAKcheck';

const output: string[] = [];
const capture = (chunk: string | Uint8Array) => {
  output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  return true;
};

async function allItems(table: string): Promise<string> {
  const { Items = [] } = await clients.dynamo.send(new ScanCommand({ TableName: table }));
  return JSON.stringify(Items);
}

const responseText = (res: TestResponse) => JSON.stringify({ headers: res.headers, cookies: res.cookies, body: res.text });

describe('no token, code or state leaks anywhere but Secrets Manager', () => {
  it('runs the whole connect flow and finds the secrets only in the vault', async () => {
    // Every token the emulator issues from now on carries this sentinel after its prefix.
    flow.emulator.controls.setTokenTag(SENTINEL);
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const responses: TestResponse[] = [];
    let code: string;
    let state: string;
    let ticket: string;
    let nonce: string;
    try {
      const link = await createLink('sandbox');
      responses.push(link);
      ticket = new URL((link.json() as { url: string }).url).searchParams.get('ticket') ?? '';
      const opened = await openLink((link.json() as { url: string }).url);
      responses.push(opened.res);
      nonce = opened.cookie.split('=')[1] ?? '';
      const params = await authorize(opened.location);
      code = params.get('code') ?? '';
      state = params.get('state') ?? '';
      responses.push(await callback(params, opened.cookie));
      responses.push(await callFunction('getAccount', { method: 'GET', url: '/account' }));
      responses.push(await callFunction('getAudit', { method: 'GET', url: '/audit?limit=100' }));
      // A failing call too: errors must not carry secrets either.
      flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'status', status: 500 });
      const second = await openLink((( await createLink('sandbox')).json() as { url: string }).url);
      responses.push(await callback(await authorize(second.location), second.cookie));
      flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'status', status: 500 });
      const third = await openLink((( await createLink('sandbox')).json() as { url: string }).url);
      responses.push(await callback(await authorize(third.location), third.cookie));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // The tokens Pinterest issued, read back from the vault (the only place they may be).
    const account = (responses[3]?.json() as { environments: { sandbox: { accountId: string } } }).environments.sandbox;
    const stored = await clients.dynamo.send(new ScanCommand({ TableName: names.workflow, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'ACCOUNT#sandbox' } }));
    const secretName = z.string().parse((stored.Items ?? []).find((i) => i.sk === 'CURRENT')?.secretName);
    const tokens = await new SecretStore(clients.secrets, new FakeClock(), 0).get(secretName, z.object({ accessToken: z.string(), refreshToken: z.string() }));
    expect(account.accountId).toBe('1000000000000000001');
    expect(tokens?.accessToken.startsWith(`pina_${SENTINEL}`)).toBe(true);
    expect(tokens?.refreshToken.startsWith(`pinr${SENTINEL}`)).toBe(true);

    const secrets = { sentinel: SENTINEL, accessToken: tokens?.accessToken ?? '', refreshToken: tokens?.refreshToken ?? '', code, state, ticket, nonce, clientSecret: flow.emulator.app.clientSecret };
    const places = {
      logs: output.join(''),
      responses: responses.map(responseText).join('\n'),
      stateTable: await allItems(names.state),
      workflowTable: await allItems(names.workflow),
      auditTable: await allItems(names.audit),
    };
    expect(places.logs.length).toBeGreaterThan(1000); // the capture really saw the flow's log lines
    // By design the ticket is in the link (response 0), and the state and the nonce cookie are in the
    // redirect to Pinterest (response 1); nowhere else.
    const except = (i: number) => responses.filter((_, j) => j !== i).map(responseText).join('\n');
    const carriedBy: Record<string, number> = { ticket: 0, state: 1, nonce: 1 };
    for (const [secret, value] of Object.entries(secrets)) {
      expect(value.length).toBeGreaterThan(10);
      const carrier = carriedBy[secret];
      const where = carrier === undefined ? places : { ...places, responses: except(carrier) };
      for (const [place, text] of Object.entries(where)) {
        expect({ secret, place, leaked: text.includes(value) }).toEqual({ secret, place, leaked: false });
      }
    }
    // The URL's query (code, state) never reaches the security log; only their keyed hashes do.
    expect(places.auditTable).toContain('codeHash');
    expect(places.auditTable).toContain('stateHash');
  });
});
