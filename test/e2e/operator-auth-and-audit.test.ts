import { useLocalStack } from '../support/local-process';

const credential = 'e2e-operator-credential-0123456789abcdef';

interface AuditPage {
  items: Array<{ id: string; time: string; kind: string; path?: string; status?: number; outcome: string; userAgent?: string; clientHash?: string; errorCode?: string }>;
  nextCursor?: string;
}

describe('end to end: the local stack over HTTP', () => {
  const stack = useLocalStack('mdz-e2e-', { LOCAL_OPERATOR_CREDENTIAL: credential });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.urls.api}${path}`, { headers: { 'user-agent': 'e2e-agent/1.0', ...headers } });

  it('serves the public routes, guards /audit like API Gateway, and shows the earlier calls in the security log', async () => {
    expect((await get('/health')).status).toBe(200);
    const privacy = await get('/privacy?utm_source=e2e');
    expect(privacy.status).toBe(200);
    expect(await privacy.text()).toContain('MiraDigitalZen Publisher Pinterest Privacy Policy');

    const missing = await get('/audit');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });

    const wrong = await get('/audit', { authorization: 'Bearer wrong-credential-0123456789abcdefghij' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ message: 'Forbidden' });

    const right = await get('/audit', { authorization: `Bearer ${credential}` });
    expect(right.status).toBe(200);
    const page = (await right.json()) as AuditPage;
    const privacyView = page.items.find((e) => e.kind === 'http_request' && e.path === '/privacy');
    expect(privacyView).toMatchObject({ status: 200, outcome: 'ok', userAgent: 'e2e-agent/1.0' });
    expect(privacyView?.clientHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.items.find((e) => e.kind === 'auth_denied')).toMatchObject({ path: '/audit', outcome: 'denied', errorCode: 'wrong_credential' });
    // /health writes nothing; the query string of /privacy never reaches the log; no raw address is stored.
    expect(page.items.some((e) => e.path === '/health')).toBe(false);
    expect(JSON.stringify(page)).not.toContain('utm_source');
    expect(JSON.stringify(page)).not.toContain('127.0.0.1');
  });

  it('filters by kind and answers bad filters with a clear 400', async () => {
    const auth = { authorization: `Bearer ${credential}` };
    const denied = (await (await get('/audit?kind=auth_denied', auth)).json()) as AuditPage;
    expect(denied.items.length).toBeGreaterThan(0);
    expect(denied.items.every((e) => e.kind === 'auth_denied')).toBe(true);
    const bad = await get('/audit?kind=everything', auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining('kind must be one of') as unknown } });
    const backwards = await get('/audit?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', auth);
    expect(backwards.status).toBe(400);
  });

  it('pages the log newest first with nextCursor, without skipping or repeating an entry, and ends with no cursor', async () => {
    const auth = { authorization: `Bearer ${credential}` };
    const whole = (await (await get('/audit?limit=100', auth)).json()) as AuditPage;
    expect(whole.nextCursor).toBeUndefined();
    const paged: AuditPage['items'] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get(`/audit?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`, auth);
      expect(res.status).toBe(200);
      const page = (await res.json()) as AuditPage;
      paged.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 100);
    expect(cursor).toBeUndefined();
    // Each /audit call logs itself above the cursor, so the paged listing holds every earlier entry once.
    const ids = paged.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(whole.items.map((e) => e.id)));
    expect(paged.map((e) => e.time)).toEqual(paged.map((e) => e.time).sort().reverse());
  });

  it('answers unknown routes and methods as API Gateway does', async () => {
    const res = await fetch(`${stack.urls.api}/audit`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });
});
