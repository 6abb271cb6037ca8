import { z } from 'zod';
import { createDynamo } from '../../shared/adapters/aws/dynamo';
import { LOG_PARTITION, SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { ValidationError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import type { SecurityEvent, SecurityEventKind } from '../../shared/domain/security-event';
import { ensureTables } from '../../local/boot';
import { tables } from '../../shared/tables';
import { FakeClock } from '../support/fake-clock';
import { clients, names, uniquePrefix } from '../support/aws';

const key = Buffer.alloc(32, 3);
const DAY_MS = 86_400_000;
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Each test writes into its own far-future days so the shared audit table does not interfere. */
function setup(startIso: string) {
  const clock = new FakeClock(startIso);
  const table = new DynamoTable(clients.dynamo, names.audit, clock);
  const log = new SecurityLog(table, clock, () => Promise.resolve(key), 90);
  return { clock, log, table };
}

/** Every page of a listing, following the cursor; fails on a listing that does not end. */
async function allPages(log: SecurityLog, query: Omit<Parameters<SecurityLog['list']>[0], 'cursor'>) {
  const pages: Array<{ items: SecurityEvent[]; cursor?: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await log.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 50);
  expect(cursor).toBeUndefined();
  return pages;
}

describe('SecurityLog against dynalite', () => {
  it('stores the path without its query, a bounded user agent and only a keyed hash of the address', async () => {
    const { log, table } = setup('2091-03-01T10:00:00Z');
    const entry = await log.write({
      kind: 'http_request',
      outcome: 'ok',
      method: 'GET',
      path: '/oauth/callback?code=SENTINELcode&state=SENTINELstate',
      status: 200,
      userAgent: 'x'.repeat(2000),
      clientAddress: '203.0.113.9',
      requestId: 'req-1',
    });
    expect(entry.path).toBe('/oauth/callback');
    expect(entry.userAgent?.length).toBeLessThanOrEqual(513);
    expect(entry.clientHash).toBe(keyedHash(key, 'client-address', '203.0.113.9'));
    const stored = await table.get({ pk: LOG_PARTITION, sk: `${entry.time}#${entry.id}` }, z.looseObject({ expiresAt: z.number() }));
    expect(JSON.stringify(stored)).not.toContain('203.0.113.9');
    expect(JSON.stringify(stored)).not.toContain('SENTINEL');
    expect(stored?.expiresAt).toBe(Math.floor(Date.parse('2091-03-01T10:00:00Z') / 1000) + 90 * 86_400);
  });

  it('lists newest first across days and pages with a cursor until the range is exhausted', async () => {
    const { clock, log } = setup('2092-05-01T23:59:00Z');
    const paths: string[] = [];
    for (let i = 0; i < 7; i++) {
      const path = `/${uniquePrefix('p')}-${i}`;
      paths.push(path);
      await log.write({ kind: 'http_request', outcome: 'ok', path });
      clock.advance(12 * 3600_000); // two entries a day, across four days
    }
    const range = { from: new Date('2092-05-01T00:00:00Z'), to: new Date('2092-05-05T00:00:00Z') };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.list({ ...range, limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((e) => e.path ?? ''));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...paths].reverse());
  });

  it('pages exactly through entries of the same millisecond, with no cursor on the last page', async () => {
    const { log } = setup('2095-02-01T12:00:00Z');
    // Six entries at the same instant: only the id in the sort key orders them.
    const written = [];
    for (let i = 0; i < 6; i++) written.push(await log.write({ kind: 'account', outcome: 'ok', path: `/same-ms-${i}` }));
    const range = { from: new Date('2095-02-01T00:00:00Z'), to: new Date('2095-02-02T00:00:00Z') };
    const expected = written.map((e) => e.id).sort().reverse();
    for (const limit of [1, 2, 3, 4, 6, 7]) {
      const pages = await allPages(log, { ...range, limit });
      expect(pages.flatMap((p) => p.items.map((e) => e.id))).toEqual(expected);
      // A full last page has no cursor either: no trailing empty page.
      expect(pages).toHaveLength(Math.max(1, Math.ceil(6 / limit)));
      const kindPages = await allPages(log, { ...range, kind: 'account', limit });
      expect(kindPages.flatMap((p) => p.items.map((e) => e.id))).toEqual(expected);
    }
  });

  it('filters by kind through the byKind index', async () => {
    const { log } = setup('2093-01-01T00:00:00Z');
    const marker = uniquePrefix('ua');
    await log.write({ kind: 'auth_denied', outcome: 'denied', userAgent: marker });
    await log.write({ kind: 'http_request', outcome: 'ok', userAgent: marker });
    const page = await log.list({ from: new Date('2093-01-01T00:00:00Z'), to: new Date('2093-01-02T00:00:00Z'), kind: 'auth_denied', limit: 50 });
    expect(page.items.filter((e) => e.userAgent === marker).map((e) => e.kind)).toEqual(['auth_denied']);
  });

  it('refuses a forged or foreign cursor', async () => {
    const { log } = setup('2094-01-01T00:00:00Z');
    const range = { from: new Date('2094-01-01T00:00:00Z'), to: new Date('2094-01-02T00:00:00Z'), limit: 5 };
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    await expect(log.list({ ...range, cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    const later = cursorOf({ before: `2099-01-01T00:00:00.000Z#${id}` });
    await expect(log.list({ ...range, cursor: later })).rejects.toBeInstanceOf(ValidationError);
    for (const forged of [
      {},
      { before: '' },
      { before: `2094-01-01T12:00:00Z#${id}` },
      { before: `2094-02-30T12:00:00.000Z#${id}` },
      { before: `2094-01-01T12:00:00.000Z#not-an-id` },
      { before: `2094-01-01T12:00:00.000Z#${id}`, resume: 'x' },
      { before: `2094-01-01T12:00:00.000Z#${id}`, day: '2094-01-01' },
      { resume: '' },
      { resume: cursorOf({ pk: 'ACCOUNT#sandbox', sk: 'PINNED' }) },
      { resume: cursorOf({ pk: LOG_PARTITION, sk: `2099-01-01T00:00:00.000Z#${id}` }) },
    ]) {
      await expect(log.list({ ...range, cursor: cursorOf(forged) })).rejects.toBeInstanceOf(ValidationError);
    }
    // A cursor of another listing: all kinds versus one kind, or another kind.
    const position = { before: `2094-01-01T12:00:00.000Z#${id}` };
    await expect(log.list({ ...range, kind: 'account', cursor: cursorOf(position) })).rejects.toBeInstanceOf(ValidationError);
    await expect(log.list({ ...range, cursor: cursorOf({ ...position, kind: 'account' }) })).rejects.toBeInstanceOf(ValidationError);
    await expect(log.list({ ...range, kind: 'auth_denied', cursor: cursorOf({ ...position, kind: 'account' }) })).rejects.toBeInstanceOf(ValidationError);
    // The listing's own position is accepted; one older than the range (which moves) just ends it.
    await expect(log.list({ ...range, kind: 'account', cursor: cursorOf({ ...position, kind: 'account' }) })).resolves.toEqual({ items: [] });
    await expect(log.list({ ...range, cursor: cursorOf({ before: `2093-12-31T12:00:00.000Z#${id}` }) })).resolves.toEqual({ items: [] });
  });
});

/**
 * Counts what one page sends: every request through the DynamoDB client, and the sequential round
 * trips, i.e. the longest chain of requests each started after the one before it had finished
 * (requests sent in parallel are one round trip).
 */
class RoundTrips {
  sends = 0;
  private finishedDepth = 0;
  private maxDepth = 0;

  /** Call when a request starts; returns its depth, to hand to `finished`. */
  started(): number {
    this.sends++;
    const depth = this.finishedDepth + 1;
    this.maxDepth = Math.max(this.maxDepth, depth);
    return depth;
  }

  finished(depth: number): void {
    this.finishedDepth = Math.max(this.finishedDepth, depth);
  }

  get rounds(): number {
    return this.maxDepth;
  }

  async measure<T>(work: () => Promise<T>): Promise<{ result: T; sends: number; rounds: number }> {
    this.sends = 0;
    this.finishedDepth = 0;
    this.maxDepth = 0;
    const result = await work();
    return { result, sends: this.sends, rounds: this.rounds };
  }
}

describe('SecurityLog round trips per page', () => {
  // A table of this file's own: the suite's audit table has other files' entries, and a quiet log
  // must be quiet. Its own client, so the count sees only this file's requests.
  const tableName = `${uniquePrefix('log')}-audit`;
  const dynamo = createDynamo();
  const trips = new RoundTrips();
  // In the deserialize step: around every HTTP request the client makes, retries included.
  dynamo.raw.middlewareStack.add(
    (next) => async (args) => {
      const depth = trips.started();
      try {
        return await next(args);
      } finally {
        trips.finished(depth);
      }
    },
    { step: 'deserialize', name: 'roundTripCounter' },
  );
  const clock = new FakeClock('2027-01-31T01:00:00Z');
  const table = new DynamoTable(dynamo.doc, tableName, clock);
  const log = new SecurityLog(table, clock, () => Promise.resolve(key), 90);
  const MAX_ROUND_TRIPS = 3;
  const written: SecurityEvent[] = [];
  const kindOf = (i: number): SecurityEventKind => (i % 3 === 0 ? 'auth_denied' : 'http_request');

  beforeAll(async () => {
    await ensureTables(clients.dynamoDb, { state: `${tableName}-unused-state`, workflow: `${tableName}-unused-workflow`, audit: tableName }, '(test)', [tables.audit]);
    // A busy log: 120 entries, about one a day from 31 January to 1 May (five calendar months), some
    // three to the same millisecond.
    for (let i = 0; i < 120; i++) {
      written.push(await log.write({ kind: kindOf(i), outcome: 'ok', path: `/busy-${i}` }));
      if (i % 10 !== 3 && i % 10 !== 4) clock.advance(22 * 3600_000);
    }
  });
  afterAll(() => {
    dynamo.raw.destroy();
  });

  const newestFirst = (entries: SecurityEvent[]) =>
    [...entries].sort((a, b) => (`${b.time}#${b.id}` < `${a.time}#${a.id}` ? -1 : 1)).map((e) => e.id);

  /** Lists every page, measuring each; returns the ids in order and what each page sent. */
  async function measuredPages(query: Omit<Parameters<SecurityLog['list']>[0], 'cursor'>) {
    const ids: string[] = [];
    const perPage: Array<{ items: number; sends: number; rounds: number }> = [];
    let cursor: string | undefined;
    do {
      const { result, sends, rounds } = await trips.measure(() => log.list({ ...query, ...(cursor === undefined ? {} : { cursor }) }));
      ids.push(...result.items.map((e) => e.id));
      perPage.push({ items: result.items.length, sends, rounds });
      cursor = result.cursor;
    } while (cursor !== undefined && perPage.length < 50);
    expect(cursor).toBeUndefined();
    return { ids, perPage };
  }

  it('counts parallel requests as one round trip and sequential ones as one each', async () => {
    const probe = { pk: 'PROBE', sk: 'PROBE' };
    const parallel = await trips.measure(() => Promise.all([table.get(probe, z.object({})), table.get(probe, z.object({}))]));
    expect(parallel).toMatchObject({ sends: 2, rounds: 1 });
    const sequential = await trips.measure(async () => {
      await table.get(probe, z.object({}));
      await table.get(probe, z.object({}));
      await table.get(probe, z.object({}));
    });
    expect(sequential).toMatchObject({ sends: 3, rounds: 3 });
  });

  it('reads a quiet 90-day log in one request', async () => {
    clock.set('2030-01-01T00:00:00Z'); // nothing in the last 90 days; older entries in the partition
    const range = { from: new Date(clock.now().getTime() - 90 * DAY_MS), to: clock.now() };
    for (const kind of [undefined, 'auth_denied'] as const) {
      const { ids, perPage } = await measuredPages({ ...range, limit: 50, ...(kind === undefined ? {} : { kind }) });
      expect(ids).toEqual([]);
      expect(perPage).toEqual([{ items: 0, sends: 1, rounds: 1 }]);
    }
  });

  it('pages a busy 90-day log in one request a page, exactly', async () => {
    clock.set('2027-05-01T00:30:00Z');
    const range = { from: new Date(clock.now().getTime() - 90 * DAY_MS), to: clock.now() };
    const { ids, perPage } = await measuredPages({ ...range, limit: 30 });
    expect(ids).toEqual(newestFirst(written));
    expect(perPage.map((p) => p.items)).toEqual([30, 30, 30, 30]);
    expect(perPage.every((p) => p.rounds <= MAX_ROUND_TRIPS)).toBe(true);
    expect(perPage.map((p) => p.sends)).toEqual([1, 1, 1, 1]);
  });

  it('pages one kind of a busy log in one request a page, exactly', async () => {
    clock.set('2027-05-01T00:30:00Z');
    const range = { from: new Date(clock.now().getTime() - 90 * DAY_MS), to: clock.now() };
    const { ids, perPage } = await measuredPages({ ...range, kind: 'auth_denied', limit: 15 });
    expect(ids).toEqual(newestFirst(written.filter((e) => e.kind === 'auth_denied')));
    expect(perPage.map((p) => p.items)).toEqual([15, 15, 10]);
    expect(perPage.every((p) => p.rounds <= MAX_ROUND_TRIPS)).toBe(true);
    expect(perPage.map((p) => p.sends)).toEqual([1, 1, 1]);
  });

  it('reads past entries whose expiry has passed (TTL deletes late) within the round-trip bound', async () => {
    // Live entries around 100 that expired early (written while the retention was one day).
    const shortLived = new SecurityLog(table, clock, () => Promise.resolve(key), 1);
    clock.set('2031-03-01T00:00:00Z');
    const older = [await log.write({ kind: 'account', outcome: 'ok' }), await log.write({ kind: 'account', outcome: 'ok' })];
    clock.advance(60_000);
    for (let i = 0; i < 100; i++) await shortLived.write({ kind: 'account', outcome: 'ok' });
    clock.advance(60_000);
    const newer = [await log.write({ kind: 'account', outcome: 'ok' }), await log.write({ kind: 'account', outcome: 'ok' })];
    clock.set('2031-03-03T00:00:00Z');
    const range = { from: new Date('2031-02-28T00:00:00Z'), to: clock.now() };
    for (const kind of [undefined, 'account'] as const) {
      const { ids, perPage } = await measuredPages({ ...range, limit: 3, ...(kind === undefined ? {} : { kind }) });
      expect(ids).toEqual(newestFirst([...older, ...newer]));
      expect(perPage.every((p) => p.rounds <= MAX_ROUND_TRIPS)).toBe(true);
    }
  });
});
