import { useLocalStack } from '../support/local-process';

const credential = 'e2e-boards-credential-0123456789abcdef';

/**
 * The walkthrough of docs/boards.md through `npm start` over HTTP: connect production at the stack's
 * Pinterest emulator, POST /boards/sync (the local API serves Lambda's Invoke API, so the job runs in
 * the stack's background), poll the job until it succeeds, then find the Zen boards by name.
 */
describe('end to end: syncing production boards through the local stack', () => {
  const stack = useLocalStack('mdz-boards-', { LOCAL_OPERATOR_CREDENTIAL: credential, POWERTOOLS_LOG_LEVEL: 'INFO' });
  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };
  const api = (path: string, init: RequestInit = {}) => fetch(`${stack.urls.api}${path}`, { ...init, headers: operator });

  async function control(action: string, body: unknown = {}): Promise<unknown> {
    const res = await fetch(`${new URL(stack.urls.pinterestAuthorize).origin}/_emulator/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json();
  }

  async function connectProduction(): Promise<void> {
    await control('set-consent-mode', { mode: 'approve' });
    const link = await api('/oauth/start', { method: 'POST', body: '{"environment":"production"}' });
    expect(link.status).toBe(201);
    const { url } = (await link.json()) as { url: string };
    const opened = await fetch(url, { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const back = (await fetch(opened.headers.get('location') ?? '', { redirect: 'manual' })).headers.get('location') ?? '';
    expect((await fetch(back, { headers: { cookie } })).status).toBe(200);
    const account = (await (await api('/account')).json()) as { environments: { production: { status: string; accountId: string } } };
    if (account.environments.production.status === 'pending_confirmation') {
      const confirmed = await api('/account/confirm', { method: 'POST', body: JSON.stringify({ environment: 'production', accountId: account.environments.production.accountId }) });
      expect(confirmed.status).toBe(200);
    }
    const after = (await (await api('/account')).json()) as { environments: { production: { status: string } } };
    expect(after.environments.production.status).toBe('connected');
  }

  it('connects production, syncs its boards (3 pages, 596 boards) and finds the Zen boards by name', async () => {
    await connectProduction();

    const started = await api('/boards/sync', { method: 'POST', body: '{"environment":"production"}' });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { jobId: string; status: string; started: boolean };
    expect(job).toMatchObject({ status: 'running', started: true });
    expect(started.headers.get('location')).toBe(`/boards/sync/${job.jobId}`);

    let view: { status: string; pagesRead: number; boardsSeen: number; finishedAt: string | null } | undefined;
    const deadline = Date.now() + 20_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await api(`/boards/sync/${job.jobId}`);
      expect(res.status).toBe(200);
      view = (await res.json()) as typeof view;
    } while (view?.status === 'running' && Date.now() < deadline);
    // 600 boards at the emulator, 4 of them secret (the publisher does not ask for boards:read_secret).
    expect(view).toMatchObject({ status: 'succeeded', pagesRead: 3, boardsSeen: 596 });
    expect(view?.finishedAt).not.toBeNull();

    const { requests } = (await control('requests')) as { requests: Array<{ host: string; method: string; path: string; query: Record<string, string> }> };
    const lists = requests.filter((r) => r.host === 'production' && r.method === 'GET' && r.path === '/v5/boards');
    expect(lists.map((r) => r.query.page_size)).toEqual(['250', '250', '250']);

    const found = async (q: string) => {
      const res = await api(`/boards?environment=production&q=${encodeURIComponent(q)}&limit=100`);
      expect(res.status).toBe(200);
      return (await res.json()) as { syncedAt: string | null; items: Array<{ id: string; name: string }>; nextCursor?: string };
    };
    const zen = await found('zen');
    expect(zen.syncedAt).toBe(view?.finishedAt);
    expect(zen.nextCursor).toBeUndefined();
    expect(zen.items.map((b) => b.name)).toContain('Zen Garden Ideas');
    expect(zen.items.length).toBeGreaterThan(10);
    expect(zen.items.every((b) => b.name.toLowerCase().includes('zen'))).toBe(true);
    expect((await found('ZEN')).items).toEqual(zen.items);

    // The stack's request log (INFO) shows the job's three calls to Pinterest's board list.
    expect(stack.output().match(/→ Pinterest production GET \/boards 200/g) ?? []).toHaveLength(3);
  }, 45_000);
});
