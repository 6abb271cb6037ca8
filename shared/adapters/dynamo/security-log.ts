import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { keyedHash } from '../../domain/keyed-hash';
import {
  boundedUserAgent,
  pathOnly,
  securityEventSchema,
  type NewSecurityEvent,
  type SecurityEvent,
  type SecurityEventKind,
} from '../../domain/security-event';
import type { Clock } from '../../domain/time';
import type { DynamoTable, Page } from './table';

/**
 * The append-only security log in the audit table. Items are keyed by UTC day (`LOG#2026-11-29`) and
 * time, so a time range is a few partition queries, newest first; the `byKind` index serves one kind.
 * Every entry expires after the configured retention.
 */

const DAY_MS = 86_400_000;
const storedSchema = securityEventSchema.extend({ pk: z.string(), sk: z.string() });

export interface AuditQuery {
  from: Date;
  to: Date;
  kind?: SecurityEventKind;
  limit: number;
  cursor?: string;
}

const dayOf = (iso: string) => iso.slice(0, 10);

export class SecurityLog {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    private readonly hashingKey: () => Promise<Buffer>,
    private readonly retentionDays: number,
  ) {}

  /** Appends one entry; the client address is stored only as a keyed hash. */
  async write(event: NewSecurityEvent): Promise<SecurityEvent> {
    const time = this.clock.now().toISOString();
    const id = randomUUID();
    const { clientAddress, ...rest } = event;
    const entry: SecurityEvent = securityEventSchema.parse({
      ...rest,
      id,
      time,
      ...(rest.path === undefined ? {} : { path: pathOnly(rest.path) }),
      ...(rest.userAgent === undefined ? {} : { userAgent: boundedUserAgent(rest.userAgent) }),
      ...(clientAddress === undefined ? {} : { clientHash: keyedHash(await this.hashingKey(), 'client-address', clientAddress) }),
    });
    const sortKey = `${time}#${id}`;
    await this.table.create({
      ...entry,
      pk: `LOG#${dayOf(time)}`,
      sk: sortKey,
      kindKey: `KIND#${entry.kind}`,
      kindTime: sortKey,
      expiresAt: this.table.ttlIn(this.retentionDays * 86_400),
    });
    return entry;
  }

  /** Entries in [from, to], newest first, optionally of one kind, paginated by an opaque cursor. */
  async list(query: AuditQuery): Promise<Page<SecurityEvent>> {
    const fromKey = query.from.toISOString();
    const toKey = `${query.to.toISOString()}#\uffff`;
    // Parsing with the event schema (which has no key fields) strips pk, sk and index keys.
    const clean = (items: Array<z.infer<typeof storedSchema>>) => items.map((item) => securityEventSchema.parse(item));
    if (query.kind !== undefined) {
      const page = await this.table.query(
        {
          index: 'byKind',
          partition: { name: 'kindKey', value: `KIND#${query.kind}` },
          sortBetween: { name: 'kindTime', from: fromKey, to: toKey },
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        },
        storedSchema,
      );
      return { items: clean(page.items), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
    }
    return this.listAcrossDays(query, fromKey, toKey, clean);
  }

  /** Walks day partitions from the newest; the cursor carries the day and that day's own cursor. */
  private async listAcrossDays(
    query: AuditQuery,
    fromKey: string,
    toKey: string,
    clean: (items: Array<z.infer<typeof storedSchema>>) => SecurityEvent[],
  ): Promise<Page<SecurityEvent>> {
    const position = decodePosition(query.cursor, dayOf(query.to.toISOString()));
    const firstDay = dayOf(fromKey);
    const items: SecurityEvent[] = [];
    let day = position.day;
    let dayCursor = position.dayCursor;
    while (day >= firstDay && items.length < query.limit) {
      const page = await this.table.query(
        {
          partition: { name: 'pk', value: `LOG#${day}` },
          sortBetween: { name: 'sk', from: fromKey, to: toKey },
          limit: query.limit - items.length,
          ...(dayCursor === undefined ? {} : { cursor: dayCursor }),
        },
        storedSchema,
      );
      items.push(...clean(page.items));
      if (page.cursor !== undefined) {
        dayCursor = page.cursor;
        if (items.length >= query.limit) return { items, cursor: encodePosition(day, dayCursor) };
        continue;
      }
      dayCursor = undefined;
      day = new Date(Date.parse(`${day}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
    }
    return day >= firstDay ? { items, cursor: encodePosition(day, undefined) } : { items };
  }
}

/** A calendar day that exists (`2026-11-99` matches the pattern but is no day). */
const realDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((day) => {
    const date = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
  });

const positionSchema = z.object({ day: realDay, dayCursor: z.string().min(1).max(2048).optional() });

function encodePosition(day: string, dayCursor: string | undefined): string {
  return Buffer.from(JSON.stringify({ day, ...(dayCursor === undefined ? {} : { dayCursor }) })).toString('base64url');
}

function decodePosition(cursor: string | undefined, newestDay: string): { day: string; dayCursor?: string } {
  if (cursor === undefined) return { day: newestDay };
  try {
    const parsed = positionSchema.strict().parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.day > newestDay) throw new Error('cursor outside the range');
    return parsed;
  } catch {
    throw new ValidationError('The cursor is not valid for this listing', [{ path: 'query.cursor', message: 'invalid' }]);
  }
}
