import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalStack } from '../support/local-process';

const credential = 'e2e-connect-credential-0123456789abcdef';

describe('end to end: connecting Pinterest through the local stack over HTTP', () => {
  const stack = useLocalStack('mdz-connect-', { LOCAL_OPERATOR_CREDENTIAL: credential });

  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };

  async function tickets(): Promise<number> {
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: 'mdz-state', FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': 'OAUTH_TICKET#' } }));
    return Items.length;
  }

  it('refuses POST /oauth/start without a credential (401) and writes no state', async () => {
    const before = await tickets();
    const res = await fetch(`${stack.urls.api}/oauth/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"environment":"sandbox"}' });
    expect(res.status).toBe(401);
    const wrong = await fetch(`${stack.urls.api}/oauth/start`, { method: 'POST', headers: { ...operator, authorization: 'Bearer nope-nope-nope-nope-nope-nope-nope-nope' }, body: '{"environment":"sandbox"}' });
    expect(wrong.status).toBe(403);
    expect(await tickets()).toBe(before);
  });

  it('connects: link → cookie and redirect → consent page → Allow → callback → pending account → confirm', async () => {
    const link = await fetch(`${stack.urls.api}/oauth/start`, { method: 'POST', headers: operator, body: '{"environment":"sandbox"}' });
    expect(link.status).toBe(201);
    const { url } = (await link.json()) as { url: string };
    expect(url.startsWith(`${stack.urls.api}/oauth/start?ticket=`)).toBe(true);

    const opened = await fetch(url, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const authorizeUrl = opened.headers.get('location') ?? '';
    expect(authorizeUrl.startsWith(`${stack.urls.pinterestAuthorize}?`)).toBe(true);

    // The emulator's consent page, as a person would see it, then the Allow button's form post.
    const consent = await fetch(authorizeUrl);
    const html = await consent.text();
    expect(html).toContain('miradigitalzen');
    const decisionId = /name="decision_id" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(html).toContain('name="decision" value="allow"');
    const allowed = await fetch(action.replace(/&amp;/g, '&'), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision_id: decisionId, decision: 'allow' }),
    });
    expect(allowed.status).toBe(302);
    const back = allowed.headers.get('location') ?? '';
    expect(back.startsWith(`${stack.urls.api}/oauth/callback?`)).toBe(true);

    const page = await fetch(back, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('@miradigitalzen');

    const account = (await (await fetch(`${stack.urls.api}/account`, { headers: operator })).json()) as { environments: { sandbox: { status: string; accountId: string } } };
    expect(account.environments.sandbox.status).toBe('pending_confirmation');
    const confirm = await fetch(`${stack.urls.api}/account/confirm`, { method: 'POST', headers: operator, body: JSON.stringify({ environment: 'sandbox', accountId: account.environments.sandbox.accountId }) });
    expect(confirm.status).toBe(200);
    expect(await confirm.json()).toMatchObject({ status: 'connected', confirmed: true });
  });
});
