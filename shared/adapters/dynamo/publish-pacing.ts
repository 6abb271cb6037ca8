import * as z from '../../zod';
import type { PinterestEnvironment } from '../../domain/pinterest';
import type { Clock } from '../../domain/time';
import type { PacingPort, PacingVerdict } from '../../use-cases/publish-ports';
import { StaleRecordError, type DynamoTable } from './table';

/**
 * One counter per environment in the state table (`PACING#<env>` / `PIN_WRITES`), shared by every
 * function that writes Pins: the time of the last Pin write and which record it was for, and how many
 * writes today (UTC). A reservation is one conditional UpdateItem: it succeeds only if the minimum gap
 * has passed and today's count is under the cap, so two functions can never both take the same slot.
 */

const key = (env: PinterestEnvironment) => ({ pk: `PACING#${env}`, sk: 'PIN_WRITES' });
const counterSchema = z.object({ day: z.optional(z.string()), count: z.optional(z.number()), lastWriteAt: z.optional(z.number()), lastPinId: z.optional(z.string()) });

const DAY_MS = 86_400_000;

export class PublishPacing implements PacingPort {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    private readonly settings: { minGapSeconds: number; dailyCap: number },
  ) {}

  async reserve(env: PinterestEnvironment, pinId: string): Promise<PacingVerdict> {
    const now = this.clock.now().getTime();
    const today = new Date(now).toISOString().slice(0, 10);
    const gapStart = now - this.settings.minGapSeconds * 1000;
    // The counter outlives the day it counts, so a read near midnight still sees it.
    const expiresAt = this.table.ttlIn(2 * 86_400);
    const nowSeconds = Math.floor(now / 1000);
    const names = { '#day': 'day', '#count': 'count', '#last': 'lastWriteAt', '#pin': 'lastPinId', '#ttl': 'expiresAt' };
    if (this.settings.dailyCap > 0) {
      try {
        await this.table.update(key(env), {
          update: 'SET #last = :now, #pin = :pin, #ttl = :ttl ADD #count :one',
          condition: '#day = :today AND #count < :cap AND #last <= :gapStart AND #ttl > :nowSeconds',
          names,
          values: { ':now': now, ':pin': pinId, ':ttl': expiresAt, ':one': 1, ':today': today, ':cap': this.settings.dailyCap, ':gapStart': gapStart, ':nowSeconds': nowSeconds },
        });
        return { allowed: true };
      } catch (error) {
        if (!(error instanceof StaleRecordError)) throw error;
      }
      try {
        // The first write of a new day (or ever).
        await this.table.update(key(env), {
          update: 'SET #day = :today, #count = :one, #last = :now, #pin = :pin, #ttl = :ttl',
          // An expired counter (TTL deletes late) counts as none.
          condition: '#ttl <= :nowSeconds OR ((attribute_not_exists(#day) OR #day < :today) AND (attribute_not_exists(#last) OR #last <= :gapStart))',
          names,
          values: { ':now': now, ':pin': pinId, ':ttl': expiresAt, ':one': 1, ':today': today, ':gapStart': gapStart, ':nowSeconds': nowSeconds },
        });
        return { allowed: true };
      } catch (error) {
        if (!(error instanceof StaleRecordError)) throw error;
      }
    }
    const counter = (await this.table.get(key(env), counterSchema)) ?? {};
    return this.refusal(now, today, counter);
  }

  async refund(env: PinterestEnvironment, pinId: string): Promise<void> {
    const today = this.clock.now().toISOString().slice(0, 10);
    try {
      await this.table.update(key(env), {
        update: 'ADD #count :minusOne',
        condition: '#day = :today AND #count > :zero AND #pin = :pin',
        names: { '#day': 'day', '#count': 'count', '#pin': 'lastPinId' },
        values: { ':minusOne': -1, ':today': today, ':zero': 0, ':pin': pinId },
      });
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
      // Another write took the counter on, or the day turned: nothing to give back.
    }
  }

  private refusal(now: number, today: string, counter: z.infer<typeof counterSchema>): PacingVerdict {
    if (this.settings.dailyCap <= 0 || (counter.day === today && (counter.count ?? 0) >= this.settings.dailyCap)) {
      const midnight = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
      return { allowed: false, reason: 'daily_cap', retryAfterSeconds: Math.max(1, Math.ceil((midnight - now) / 1000)), cap: this.settings.dailyCap };
    }
    const wait = (counter.lastWriteAt ?? now) + this.settings.minGapSeconds * 1000 - now;
    return { allowed: false, reason: 'gap', retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)), ...(counter.lastPinId === undefined ? {} : { holder: counter.lastPinId }) };
  }
}
