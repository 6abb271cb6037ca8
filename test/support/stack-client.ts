import type { Started } from './local-process';

/**
 * The operator's side of a running `npm start` (test/support/local-process.ts) over HTTP: the API with
 * the operator credential, the Pinterest emulator's controls, and connecting the sandbox as a person
 * would (consent page approved, link opened, callback followed with the browser's cookie, account
 * confirmed).
 */
export function stackClient(stack: Started, credential: string) {
  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };
  const api = (path: string, init: RequestInit = {}) => fetch(`${stack.urls.api}${path}`, { ...init, headers: operator });
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Record<string, unknown> };
  };
  async function control(action: string, body: unknown = {}): Promise<unknown> {
    const res = await fetch(`${new URL(stack.urls.pinterestAuthorize).origin}/_emulator/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json();
  }
  async function connectSandbox(): Promise<void> {
    await control('set-consent-mode', { mode: 'approve' });
    const link = await send('POST', '/oauth/start', { environment: 'sandbox' });
    expect(link.status).toBe(201);
    const opened = await fetch(String(link.json.url), { redirect: 'manual' });
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const back = (await fetch(opened.headers.get('location') ?? '', { redirect: 'manual' })).headers.get('location') ?? '';
    expect((await fetch(back, { headers: { cookie } })).status).toBe(200);
    const account = (await send('GET', '/account')).json as { environments: { sandbox: { status: string; accountId: string } } };
    if (account.environments.sandbox.status === 'pending_confirmation') {
      expect((await send('POST', '/account/confirm', { environment: 'sandbox', accountId: account.environments.sandbox.accountId })).status).toBe(200);
    }
  }
  return { api, send, control, connectSandbox };
}
