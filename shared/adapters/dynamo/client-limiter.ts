import { keyedHash } from '../../domain/keyed-hash';
import { epochSeconds, type Clock } from '../../domain/time';
import type { DynamoTable } from './table';

/** What one counted request learned: whether it is over the limit, and how it stands. */
export interface ClientLimitResult {
  limited: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * Per-client request counters in the state table: one counter per route, client and fixed window,
 * keyed by a keyed hash of the client address (the address itself is never stored) and expiring
 * when its window ends (or after the retention, if that is shorter). One conditional update per request, so concurrent requests count exactly.
 */
export class ClientLimiter {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    private readonly hashingKey: () => Promise<Buffer>,
    /** RETENTION_RATE_LIMIT_HOURS: no counter outlives it, whatever a window's length. */
    private readonly retentionSeconds: number,
  ) {}

  async hit(routeKey: string, clientAddress: string, limit: { max: number; windowSeconds: number }): Promise<ClientLimitResult> {
    const now = epochSeconds(this.clock.now());
    const windowStart = now - (now % limit.windowSeconds);
    const windowEnd = windowStart + limit.windowSeconds;
    const client = keyedHash(await this.hashingKey(), 'rate-limit-client', `${routeKey}\n${clientAddress}`);
    const expiresAt = Math.min(windowEnd, now + this.retentionSeconds);
    const count = await this.table.increment({ pk: `RATE#${client}`, sk: String(windowStart) }, 'count', 1, expiresAt);
    return {
      limited: count > limit.max,
      remaining: Math.max(0, limit.max - count),
      retryAfterSeconds: Math.max(1, windowEnd - now),
    };
  }
}
