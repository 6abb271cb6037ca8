import type { AccessTier, PinterestEnvironment } from './types';

/**
 * Fixed-window request counters per rate-limit category (`org_read`, `org_write`): Trial counts per app
 * per day, Standard per user per app per minute. Pinterest's universal Standard limit (100/s) is not
 * modelled. Counters live in memory only; a restart starts fresh windows.
 */

export type RateCategory = 'org_read' | 'org_write';

interface Limit {
  limit: number;
  windowS: number;
}

const LIMITS: Record<AccessTier, Record<RateCategory, Limit>> = {
  trial: { org_read: { limit: 1000, windowS: 86_400 }, org_write: { limit: 300, windowS: 86_400 } },
  standard: { org_read: { limit: 1000, windowS: 60 }, org_write: { limit: 100, windowS: 60 } },
};

export interface RateSubject {
  environment: PinterestEnvironment;
  tier: AccessTier;
  category: RateCategory;
  clientId: string;
  /** The token's user; absent for app-authenticated calls (the token endpoint). */
  userId?: string;
}

export interface RateStatus {
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets. */
  resetS: number;
  exceeded: boolean;
}

interface Window {
  startMs: number;
  count: number;
}

function keyOf(subject: RateSubject): string {
  const who = subject.tier === 'trial' ? subject.clientId : `${subject.clientId}/${subject.userId ?? '-'}`;
  return [subject.environment, subject.tier, subject.category, who].join('|');
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  /** Counts one request (even a refused one) and reports the window after it. */
  take(subject: RateSubject, nowMs: number): RateStatus {
    return this.status(subject, nowMs, true);
  }

  /** Reports the window without counting (for an injected 429). */
  peek(subject: RateSubject, nowMs: number): RateStatus {
    return this.status(subject, nowMs, false);
  }

  clear(): void {
    this.windows.clear();
  }

  private status(subject: RateSubject, nowMs: number, count: boolean): RateStatus {
    const { limit, windowS } = LIMITS[subject.tier][subject.category];
    const key = keyOf(subject);
    let window = this.windows.get(key);
    if (window === undefined || nowMs >= window.startMs + windowS * 1000) {
      window = { startMs: nowMs, count: 0 };
      if (count) this.windows.set(key, window);
    }
    if (count) window.count += 1;
    const resetS = Math.max(0, Math.ceil((window.startMs + windowS * 1000 - nowMs) / 1000));
    return { limit, remaining: Math.max(0, limit - window.count), resetS, exceeded: window.count > limit };
  }
}

export function rateLimitHeaders(status: RateStatus): Record<string, string> {
  return {
    'x-ratelimit-limit': String(status.limit),
    'x-ratelimit-remaining': String(status.remaining),
    'x-ratelimit-reset': String(status.resetS),
  };
}
