import { callFunction } from '../support/http';
import { createLink, setUpConnectFlow } from '../support/oauth-flow';
import { uniquePrefix } from '../support/aws';
import { routes } from '../../shared/routes';

/**
 * Per-client limits on the public routes that write: counted per client address (a keyed hash of
 * API Gateway's sourceIp), refused with 429 and Retry-After once over, recorded in the security log's
 * `rateLimit` field. Each test uses an address of its own.
 */

setUpConnectFlow();

function address(): string {
  return `192.0.2.${String(Math.floor(Math.random() * 250) + 1)}`;
}

const limited = routes.filter((r) => r.clientLimit !== undefined);

describe('per-client limits on public routes that write', () => {
  it('covers exactly the public routes that write: the start link, the callback and the support form', () => {
    expect(limited.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /oauth/start', 'GET /oauth/callback', 'POST /support']);
  });

  it.each(limited.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: the request over the limit gets a 429 page with Retry-After and changes nothing', async (_key, route) => {
    const sourceIp = address();
    const agent = uniquePrefix('limit');
    const max = route.clientLimit?.max ?? 0;
    // Each request is refused for its input (400) until the limit refuses it first: the OAuth routes
    // without their parameters, the support form with an invalid address (a browser's form post).
    const form = route.method === 'POST' ? { body: 'email=not-an-address&topic=support&message=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : { headers: {} };
    const call = () => callFunction(route.fn, { method: route.method, url: route.path, sourceIp, ...form, headers: { ...form.headers, 'user-agent': agent } });
    for (let i = 0; i < max; i += 1) expect((await call()).statusCode).toBe(400);
    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(route.clientLimit?.windowSeconds ?? 0);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.text).toContain('Too many requests');
    // Another client is not affected.
    expect((await callFunction(route.fn, { method: route.method, url: route.path, sourceIp: address(), ...form })).statusCode).toBe(400);

    const audit = await callFunction('getAudit', { method: 'GET', url: '/audit?kind=http_request&limit=100' });
    const mine = (audit.json() as { items: Array<{ userAgent?: string; status: number; outcome: string; rateLimit?: { limited: boolean; remaining?: number }; clientHash?: string }> }).items.filter(
      (e) => e.userAgent === agent,
    );
    expect(mine).toHaveLength(max + 1);
    expect(mine[0]).toMatchObject({ status: 429, outcome: 'rate_limited', rateLimit: { limited: true, remaining: 0 } });
    expect(mine.at(-1)).toMatchObject({ rateLimit: { limited: false, remaining: max - 1 } });
    // The address itself is stored nowhere in the entry.
    expect(JSON.stringify(mine)).not.toContain(sourceIp);
  });

  it('a refused start link is not spent: the same link still works from another address', async () => {
    const sourceIp = address();
    const link = (await createLink('sandbox')).json() as { url: string };
    const target = new URL(link.url);
    const route = limited[0];
    const max = route?.clientLimit?.max ?? 0;
    for (let i = 0; i < max; i += 1) await callFunction('openOAuthLink', { method: 'GET', url: '/oauth/start', sourceIp });
    const refused = await callFunction('openOAuthLink', { method: 'GET', url: `${target.pathname}${target.search}`, sourceIp });
    expect(refused.statusCode).toBe(429);
    const opened = await callFunction('openOAuthLink', { method: 'GET', url: `${target.pathname}${target.search}`, sourceIp: address() });
    expect(opened.statusCode).toBe(302);
  });

  it('ignores X-Forwarded-For: the client is the address API Gateway saw', async () => {
    const sourceIp = address();
    const route = limited[1];
    if (route === undefined) throw new Error('no limited route');
    const max = route.clientLimit?.max ?? 0;
    for (let i = 0; i <= max; i += 1) {
      const res = await callFunction(route.fn, { method: 'GET', url: route.path, sourceIp, headers: { 'x-forwarded-for': `198.51.100.${String(i + 1)}` } });
      expect(res.statusCode).toBe(i < max ? 400 : 429);
    }
  });
});
