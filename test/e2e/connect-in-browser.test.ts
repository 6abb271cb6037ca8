import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { browserArtifacts, useBrowser } from '../support/browser';
import { useLocalStack } from '../support/local-process';

/**
 * docs/connecting-pinterest.md, "In a browser", in a real Chromium against `npm start`'s script:
 * the operator's calls go over fetch (as curl would), the pages a person sees are opened, clicked and
 * kept as screenshots in test-artifacts/browser/.
 */

const credential = 'e2e-browser-connect-credential-0123456789';
const accountId = '1000000000000000001';
const NONCE_COOKIE = '__Secure-mdz_oauth_nonce';

describe('end to end: connecting Pinterest in a real browser through the local stack', () => {
  const stack = useLocalStack('mdz-browser-', { LOCAL_OPERATOR_CREDENTIAL: credential });
  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };

  const browser = useBrowser({ width: 900, height: 700 });

  async function newPage(): Promise<Page> {
    return browser.context().newPage();
  }

  async function snapshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(browserArtifacts, `${name}.png`), fullPage: true });
  }

  async function nonceCookies() {
    return (await browser.context().cookies()).filter((cookie) => cookie.name === NONCE_COOKIE);
  }

  async function connectLink(): Promise<string> {
    const res = await fetch(`${stack.urls.api}/oauth/start`, { method: 'POST', headers: operator, body: '{"environment":"sandbox"}' });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    expect(url.startsWith(`${stack.urls.api}/oauth/start?ticket=`)).toBe(true);
    return url;
  }

  it('connects: link → consent page → Allow → "Pinterest connected" → pending account → confirm; a used link shows the refusal page', async () => {
    // 1. The operator asks for a connect link.
    const url = await connectLink();

    // 2. Opening it sets the nonce cookie and redirects (302) to the emulator's consent page.
    const page = await newPage();
    const redirects: number[] = [];
    page.on('response', (response) => {
      if (response.url() === url) redirects.push(response.status());
    });
    const consent = await page.goto(url);
    expect(redirects).toEqual([302]);
    expect(consent?.status()).toBe(200);
    expect(page.url().startsWith(`${stack.urls.pinterestAuthorize}?`)).toBe(true);
    const clientId = new URL(page.url()).searchParams.get('client_id') ?? '';
    expect(clientId).toMatch(/^\d+$/);
    await snapshot(page, '01-consent');

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`App ${clientId} wants to access your Pinterest account`);
    await expect(page.locator('body').textContent()).resolves.toContain('You are logged in as @miradigitalzen.');
    const allow = page.getByRole('button', { name: 'Allow', exact: true });
    await expect(allow.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Deny', exact: true }).isVisible()).resolves.toBe(true);

    // The browser keeps the nonce cookie for 127.0.0.1: Secure and HttpOnly, scoped to the callback.
    const before = await nonceCookies();
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ domain: '127.0.0.1', path: '/oauth/callback', secure: true, httpOnly: true, sameSite: 'Lax' });
    expect(before[0]?.value).not.toBe('');

    // 3. Allow: the emulator redirects back to /oauth/callback.
    const callback = page.waitForResponse((response) => response.url().startsWith(`${stack.urls.api}/oauth/callback?`));
    await allow.click();
    const landed = await callback;
    await page.waitForLoadState('load');

    // 4. The callback's page names the account and asks for confirmation.
    expect(landed.status()).toBe(200);
    expect(page.url().startsWith(`${stack.urls.api}/oauth/callback?`)).toBe(true);
    await snapshot(page, '02-connected');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Pinterest connected');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(`Pinterest sandbox account @miradigitalzen (id ${accountId}) is connected.`);
    expect(text).toContain('POST /account/confirm');
    // Neither the code nor the state is shown on the page.
    const params = new URL(page.url()).searchParams;
    for (const name of ['code', 'state']) {
      const value = params.get(name) ?? '';
      expect(value).not.toBe('');
      expect(text).not.toContain(value);
    }
    await expect(nonceCookies()).resolves.toEqual([]);

    // 5. The operator checks and confirms the account.
    const account = (await (await fetch(`${stack.urls.api}/account`, { headers: operator })).json()) as { environments: { sandbox: { status: string; accountId: string; username: string } } };
    expect(account.environments.sandbox).toMatchObject({ status: 'pending_confirmation', accountId, username: 'miradigitalzen' });
    const confirm = await fetch(`${stack.urls.api}/account/confirm`, { method: 'POST', headers: operator, body: JSON.stringify({ environment: 'sandbox', accountId }) });
    expect(confirm.status).toBe(200);
    expect(await confirm.json()).toMatchObject({ status: 'connected', confirmed: true });

    // A used link, opened again (a second click, a browser's history): a plain refusal page, no cookie.
    const again = await newPage();
    const refused = await again.goto(url);
    expect(refused?.status()).toBe(400);
    expect(again.url()).toBe(url);
    await snapshot(again, '03-used-link');
    await expect(again.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This connect link cannot be used');
    await expect(nonceCookies()).resolves.toEqual([]);
  });
});
