import { randomUUID } from 'node:crypto';
import * as z from '../../zod';
import { ValidationError } from '../../domain/errors';
import { keyedHash } from '../../domain/keyed-hash';
import {
  boundedUserAgent,
  pathOnly,
  securityEventKinds,
  securityEventSchema,
  type NewSecurityEvent,
  type SecurityEvent,
  type SecurityEventKind,
} from '../../domain/security-event';
import type { Clock } from '../../domain/time';
import type { DynamoTable, Page } from './table';

/**
 * The append-only security log in the audit table. Every entry lives in one partition (`LOG`), sorted
 * by `<time>#<id>`, so any page of any time range is one Query, newest first; the `byKind` index (one
 * partition per kind, sorted the same way) serves one kind the same way. Every entry expires after the
 * configured retention. Why one partition: docs/architecture.md ("The security log is one partition").
 */

/** The partition of every entry (the base table's `pk`). */
export const LOG_PARTITION = 'LOG';
/** The most sequential Queries one page may take. */
const MAX_ROUNDS = 3;
/** Later rounds (only when entries past their expiry took up a read) read this many times more, up to MAX_READ. */
const WIDER_READ = 10;
const MAX_READ = 1000;

const storedSchema = z.extend(securityEventSchema, { pk: z.string(), sk: z.string() });
type StoredEvent = z.infer<typeof storedSchema>;

export interface AuditQuery {
  from: Date;
  to: Date;
  kind?: SecurityEventKind;
  limit: number;
  cursor?: string;
}

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
      pk: LOG_PARTITION,
      sk: sortKey,
      kindKey: `KIND#${entry.kind}`,
      kindTime: sortKey,
      expiresAt: this.table.ttlIn(this.retentionDays * 86_400),
    });
    return entry;
  }

  /**
   * Entries in [from, to], newest first, optionally of one kind, paginated by an opaque cursor. One
   * Query reads the page and one entry more, which says whether another page follows (so the last
   * page has no cursor); the cursor is the sort key of the page's last entry, unique even when
   * several entries share a millisecond, so pages never skip or repeat an entry.
   */
  async list(query: AuditQuery): Promise<Page<SecurityEvent>> {
    const fromKey = query.from.toISOString();
    const toKey = `${query.to.toISOString()}#\uffff`;
    const position = decodePosition(query.cursor, query.kind, toKey);
    const before = position?.before;
    // A position older than the range (its start moves with the retention window): nothing is left.
    if (before !== undefined && before < fromKey) return { items: [] };
    const source =
      query.kind === undefined
        ? { partition: { name: 'pk', value: LOG_PARTITION }, sortName: 'sk' }
        : { index: 'byKind', partition: { name: 'kindKey', value: `KIND#${query.kind}` }, sortName: 'kindTime' };
    const found: StoredEvent[] = [];
    let readCursor = position?.resume;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const needed = query.limit + 1 - found.length;
      // The range is inclusive, so the first read also returns the cursor's own entry again.
      const limit = round === 1 ? needed + (before === undefined ? 0 : 1) : Math.min(needed * WIDER_READ, MAX_READ);
      const page = await this.table.query(
        {
          ...(source.index === undefined ? {} : { index: source.index }),
          partition: source.partition,
          sortBetween: { name: source.sortName, from: fromKey, to: before ?? toKey },
          limit,
          ...(readCursor === undefined ? {} : { cursor: readCursor }),
        },
        storedSchema,
      );
      found.push(...page.items.filter((item) => before === undefined || item.sk < before));
      if (found.length > query.limit) {
        const items = found.slice(0, query.limit);
        return { items: clean(items), cursor: encodePosition({ kind: query.kind, before: items[items.length - 1]?.sk }) };
      }
      if (page.cursor === undefined) return { items: clean(found) };
      // Fewer live entries than read: some were past their expiry (TTL deletes late). Read on.
      readCursor = page.cursor;
    }
    // Still short after MAX_ROUNDS reads of expired entries: continue after the last entry read.
    return { items: clean(found), cursor: encodePosition({ kind: query.kind, resume: readCursor }) };
  }
}

/** Parsing with the event schema (which has no key fields) strips pk, sk and index keys. */
const clean = (items: StoredEvent[]): SecurityEvent[] => items.map((item) => securityEventSchema.parse(item));

/**
 * A sort key as the log writes it: a real instant in `toISOString()` form (`2026-02-30T…` matches the
 * pattern but is no instant), `#`, and the entry's UUID.
 */
const sortKeySchema = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  z.refine((key: string) => {
    const time = key.slice(0, 24);
    const date = new Date(time);
    return !Number.isNaN(date.getTime()) && date.toISOString() === time;
  }),
);

/**
 * Where the next page starts: before the sort key `before` (the previous page's last entry), or, after
 * a page cut short by expired entries, at `resume` (the table's own cursor). `kind` binds it to its
 * listing.
 */
const positionSchema = z
  .strictObject({
    kind: z.optional(z.enum(securityEventKinds)),
    before: z.optional(sortKeySchema),
    resume: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  })
  .check(z.refine((position) => (position.before === undefined) !== (position.resume === undefined)));
type Position = z.infer<typeof positionSchema>;

function encodePosition(position: { kind: SecurityEventKind | undefined; before?: string | undefined; resume?: string | undefined }): string {
  const defined = Object.fromEntries(Object.entries(position).filter(([, value]) => value !== undefined));
  return Buffer.from(JSON.stringify(defined)).toString('base64url');
}

function decodePosition(cursor: string | undefined, kind: SecurityEventKind | undefined, toKey: string): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    const position = positionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (position.kind !== kind) throw new Error('cursor of another listing');
    if (position.before !== undefined && position.before > toKey) throw new Error('cursor outside the range');
    return position;
  } catch {
    throw new ValidationError('The cursor is not valid for this listing', [{ path: 'query.cursor', message: 'invalid' }]);
  }
}
