import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalStack } from '../support/local-process';

const credential = 'e2e-refresh-credential-0123456789abcdef';
const repoRoot = join(__dirname, '../..');

describe('end to end: the refresh-tokens schedule of the local stack', () => {
  const stack = useLocalStack('mdz-refresh-', { LOCAL_OPERATOR_CREDENTIAL: credential, POWERTOOLS_LOG_LEVEL: 'INFO', LOG_FORMAT: 'json' });
  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };

  /** A control of the stack's Pinterest emulator, over HTTP. */
  async function control(action: string, body: unknown = {}): Promise<unknown> {
    const res = await fetch(`${new URL(stack.urls.pinterestAuthorize).origin}/_emulator/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json();
  }

  async function refreshCalls(): Promise<number> {
    const { requests } = (await control('requests')) as { requests: Array<{ path: string; body: string }> };
    return requests.filter((r) => r.path === '/v5/oauth/token' && r.body.includes('grant_type=refresh_token')).length;
  }

  /** `npm run schedule -- refresh-tokens`, then the run's log line with its outcome. */
  async function runSchedule(): Promise<Record<string, string>> {
    const finished = () => stack.output().split('\n').filter((line) => line.includes('refresh-tokens finished'));
    const before = finished().length;
    const { stdout } = await promisify(execFile)(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/trigger-schedule.ts', 'refresh-tokens'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: new URL(stack.urls.api).port },
    });
    expect(stdout.trim()).toBe('schedule refresh-tokens triggered');
    const deadline = Date.now() + 15_000;
    while (finished().length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const line = finished().at(before) ?? '';
    return (JSON.parse(line.slice(line.indexOf('{'))) as { outcome: Record<string, string> }).outcome;
  }

  it('refreshes a connected account only when due, when triggered with npm run schedule', async () => {
    await control('set-consent-mode', { mode: 'approve' });
    const { url } = (await (await fetch(`${stack.urls.api}/oauth/start`, { method: 'POST', headers: operator, body: '{"environment":"sandbox"}' })).json()) as { url: string };
    const opened = await fetch(url, { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const back = (await fetch(opened.headers.get('location') ?? '', { redirect: 'manual' })).headers.get('location') ?? '';
    expect((await fetch(back, { headers: { cookie } })).status).toBe(200);

    // Fresh tokens (30 days): the run refreshes nothing.
    expect(await runSchedule()).toEqual({ sandbox: 'not_due', production: 'not_connected' });
    expect(await refreshCalls()).toBe(0);

    // Four days left on the access token, as if weeks had passed: the next run refreshes once.
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.urls.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    await dynamo.send(
      new UpdateCommand({
        TableName: 'mdz-workflow',
        Key: { pk: 'ACCOUNT#sandbox', sk: 'CURRENT' },
        UpdateExpression: 'SET accessTokenExpiresAt = :soon',
        ExpressionAttributeValues: { ':soon': new Date(Date.now() + 4 * 86_400_000).toISOString() },
      }),
    );
    expect(await runSchedule()).toEqual({ sandbox: 'refreshed', production: 'not_connected' });
    expect(await refreshCalls()).toBe(1);

    const account = (await (await fetch(`${stack.urls.api}/account`, { headers: operator })).json()) as { environments: { sandbox: { lastRefreshAt: string | null; accessTokenExpiresAt: string } } };
    expect(account.environments.sandbox.lastRefreshAt).not.toBeNull();
    expect(Date.parse(account.environments.sandbox.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const audit = (await (await fetch(`${stack.urls.api}/audit?kind=account&limit=100`, { headers: operator })).json()) as { items: Array<{ detail?: { step?: string } }> };
    expect(audit.items.filter((e) => e.detail?.step === 'refreshed')).toHaveLength(1);
  });
});
