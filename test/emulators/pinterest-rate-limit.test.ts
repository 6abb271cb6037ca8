import { RateLimiter, type RateSubject } from '../../local/emulators/pinterest/rate-limit';

/**
 * The emulator's rate-limit windows (Trial: per app per day; Standard: per user per app per minute),
 * checked directly: 1000 HTTP calls would be slow.
 */

const START = Date.parse('2026-03-01T12:00:00.000Z');
const trialRead: RateSubject = { environment: 'sandbox', tier: 'trial', category: 'org_read', clientId: '1' };

describe('rate limiter', () => {
  it('Trial allows 1000 org_read requests per app per day, then refuses until the window resets', () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 1000; i++) expect(limiter.take(trialRead, START).exceeded).toBe(false);
    const refused = limiter.take(trialRead, START + 3_600_000);
    expect(refused).toEqual({ limit: 1000, remaining: 0, resetS: 82_800, exceeded: true });
    expect(limiter.take({ ...trialRead, environment: 'production' }, START).exceeded).toBe(false);
    expect(limiter.take(trialRead, START + 86_400_000)).toMatchObject({ remaining: 999, resetS: 86_400, exceeded: false });
  });

  it('Trial org_write allows 300 per day; Standard counts per user per minute', () => {
    const limiter = new RateLimiter();
    const write = { ...trialRead, category: 'org_write' as const };
    for (let i = 0; i < 300; i++) limiter.take(write, START);
    expect(limiter.take(write, START).exceeded).toBe(true);
    const standard: RateSubject = { ...trialRead, tier: 'standard', category: 'org_write', userId: '10' };
    for (let i = 0; i < 100; i++) limiter.take(standard, START);
    expect(limiter.take(standard, START)).toMatchObject({ limit: 100, exceeded: true, resetS: 60 });
    expect(limiter.take({ ...standard, userId: '11' }, START).exceeded).toBe(false);
    expect(limiter.take(standard, START + 60_000).exceeded).toBe(false);
  });
});
