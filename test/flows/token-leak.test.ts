// Every log line of this file is captured, at the most verbose level (set before any module makes the logger).
import '../support/log-everything';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { invoke } from '../../local/lambda-runtime';
import { PinterestApi } from '../../shared/adapters/pinterest/resources';
import { SecretStore } from '../../shared/adapters/secret-store';
import { ReauthorizationRequiredError, withPinterestToken } from '../../shared/use-cases/token-source';
import { pinterest } from '../../shared/wiring-pinterest';
import { tokenDeps } from '../../shared/wiring-tokens';
import { FakeClock } from '../support/fake-clock';
import { clients, names } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { authorize, callback, connect, createLink, openLink } from '../support/oauth-flow';
import { MIRA, disconnect, operatorMails, patchAccount, setUpTokenFlow } from '../support/token-flow';

// A workflow and audit table and an operator address of this file's own (accounts are keyed by
// environment only: a shared table would let another file's connection stand in for this one's).
const flow = setUpTokenFlow('leak');
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
    const stored = await clients.dynamo.send(new ScanCommand({ TableName: flow.tables.workflow, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'ACCOUNT#sandbox' } }));
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
      workflowTable: await allItems(flow.tables.workflow),
      auditTable: await allItems(flow.tables.audit),
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
  it('finds no token in any log line, answer, DynamoDB item or mail through connect, refresh, 401 retry, revocation, reconnect and disconnect', async () => {
    flow.emulator.controls.setTokenTag(SENTINEL);
    const started = flow.emulator.controls.requests().length;
    const mailsBefore = (await operatorMails(flow)).length;
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const answers: string[] = [];
    const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const boards = () => withPinterestToken(tokenDeps(), 'sandbox', (token) => new PinterestApi(pinterest()).listBoards('sandbox', token));
    output.length = 0;
    try {
      const connected = await connect('sandbox');
      answers.push(responseText(connected));
      answers.push(responseText(await callFunction('confirmAccount', { method: 'POST', url: '/account/confirm', ...json({ environment: 'sandbox', accountId: MIRA }) })));
      expect(connected.statusCode).toBe(200);

      // The daily schedule, through its handler, once a refresh is due (the access token nearly over).
      await patchAccount(flow, { accessTokenExpiresAt: new Date(Date.now() + 86_400_000).toISOString() });
      const scheduled = await invoke('refreshTokens', {});
      answers.push(JSON.stringify(scheduled));
      expect(scheduled).toMatchObject({ sandbox: 'refreshed' });

      // A call whose token Pinterest refuses: one refresh, one retry, through the real wiring.
      flow.emulator.controls.expireAccessTokens('sandbox', MIRA);
      answers.push(JSON.stringify(await boards()));

      // The grant revoked: reauthorization required, the operator mailed.
      flow.emulator.controls.revokeGrant('sandbox', MIRA);
      const refused = await boards().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ReauthorizationRequiredError);
      answers.push(refused instanceof Error ? `${refused.message} ${JSON.stringify(refused)}` : '');

      answers.push(responseText(await connect('sandbox')));
      answers.push(responseText(await callFunction('getAccount', { method: 'GET', url: '/account' })));
      const disconnected = await disconnect('sandbox');
      expect(disconnected.statusCode).toBe(200);
      answers.push(responseText(disconnected));
      answers.push(responseText(await callFunction('getAudit', { method: 'GET', url: '/audit?limit=100' })));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // Every token this test's flow used, as Pinterest received it: bearer tokens, refresh tokens, codes.
    const requests = flow.emulator.controls.requests().slice(started);
    const tokens = new Set<string>();
    for (const request of requests) {
      const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (bearer !== undefined) tokens.add(bearer);
      const form = new URLSearchParams(request.path === '/v5/oauth/token' ? request.body : '');
      for (const name of ['refresh_token', 'code']) {
        const value = form.get(name);
        if (value !== null) tokens.add(value);
      }
    }
    const refreshes = requests.filter((r) => r.path === '/v5/oauth/token' && r.body.includes('grant_type=refresh_token'));
    expect(refreshes).toHaveLength(3); // the schedule's, the 401 retry's, and the one the revocation refused
    expect([...tokens].filter((t) => t.includes(SENTINEL)).length).toBeGreaterThanOrEqual(6);

    const mails = (await operatorMails(flow)).slice(mailsBefore);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringContaining('revoked')]);
    const places = {
      logs: output.join(''),
      answers: answers.join('\n'),
      stateTable: await allItems(names.state),
      workflowTable: await allItems(flow.tables.workflow),
      auditTable: await allItems(flow.tables.audit),
      mails: JSON.stringify(mails),
    };
    expect(places.logs).toContain('refresh-tokens finished'); // the capture saw the schedule's log lines
    expect(places.logs).toContain('pinterest call');
    expect(places.auditTable).toContain('reauthorization_required');
    for (const value of [SENTINEL, ...tokens]) {
      for (const [place, text] of Object.entries(places)) {
        expect({ token: value.slice(0, 8), place, leaked: text.includes(value) }).toEqual({ token: value.slice(0, 8), place, leaked: false });
      }
    }
  });
});
