import { routes } from '../../shared/routes';
import { useLocalStack } from '../support/local-process';

/**
 * The per-client limit in the local stack over HTTP: the client is the socket's address, whatever
 * X-Forwarded-For claims, so changing that header does not earn more requests.
 */

describe('per-client limit through npm start', () => {
  const stack = useLocalStack('mdz-limit-', {});

  it('refuses the callback after its limit even when every request claims another X-Forwarded-For', async () => {
    const max = routes.find((r) => r.path === '/oauth/callback')?.clientLimit?.max ?? 0;
    expect(max).toBeGreaterThan(0);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i <= max; i += 1) {
      last = await fetch(`${stack.urls.api}/oauth/callback?state=s${String(i)}`, { headers: { 'x-forwarded-for': `203.0.113.${String(i + 1)}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array.from({ length: max }, () => 400), 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last?.text()).toContain('Too many requests');
  });
});
