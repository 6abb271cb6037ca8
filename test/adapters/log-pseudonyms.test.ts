import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables } from '../../local/boot';
import { LogPseudonyms, type StoredLogEntry } from '../../shared/adapters/dynamo/log-pseudonyms';
import { LOG_PARTITION, SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable, type Key } from '../../shared/adapters/dynamo/table';
import { keyedHash } from '../../shared/domain/keyed-hash';
import type { NewSecurityEvent, SecurityEvent } from '../../shared/domain/security-event';
import { tables } from '../../shared/tables';
import { clients, uniquePrefix } from '../support/aws';
import { FakeClock } from '../support/fake-clock';

/**
 * The security log as a privacy request sees it (shared/adapters/dynamo/log-pseudonyms.ts), against
 * dynalite, over an audit table of each test's own (naming reads the whole LOG partition), with
 * entries written by the real writer (SecurityLog) and a fake clock:
 * - `naming` finds exactly the entries whose `path` or a `detail` value (or an item of a detail
 *   array) contains an identifier as a whole token, case-insensitively; identifiers shorter than 6
 *   characters are not searched for; oldest first, over every page; expired entries only with
 *   `includeExpired`;
 * - `pseudonymise` replaces exactly the naming values by `pseudonym:<keyed hash of the value>`
 *   (deterministic), leaves everything else of the entry as it was, and the log's listing working.
 */

const DAY_S = 86_400;
const KEY = Buffer.alloc(32, 19);
const hashingKey = () => Promise.resolve(KEY);
const RETENTION_DAYS = 30;

interface World {
  clock: FakeClock;
  tableName: string;
  table: DynamoTable;
  log: SecurityLog;
  pseudonyms: LogPseudonyms;
}

async function world(start = '2026-04-02T08:30:00.250Z'): Promise<World> {
  const prefix = uniquePrefix('pseudonyms');
  const tableName = `${prefix}-audit`;
  await ensureTables(clients.dynamoDb, { state: `${prefix}-unused-state`, workflow: `${prefix}-unused-workflow`, audit: tableName }, '(test)', [tables.audit]);
  const clock = new FakeClock(start);
  const table = new DynamoTable(clients.dynamo, tableName, clock);
  return { clock, tableName, table, log: new SecurityLog(table, clock, hashingKey, RETENTION_DAYS), pseudonyms: new LogPseudonyms(table, clock, RETENTION_DAYS) };
}

/** Writes entries one millisecond apart (so their order is their time), in parallel chunks. */
async function writeAll(w: World, events: readonly NewSecurityEvent[], chunk = 1): Promise<SecurityEvent[]> {
  const written: SecurityEvent[] = [];
  for (let start = 0; start < events.length; start += chunk) {
    const pending = events.slice(start, start + chunk).map((event) => {
      w.clock.advance(1);
      // SecurityLog.write reads the clock before its first await, so each call has its own time.
      return w.log.write(event);
    });
    written.push(...(await Promise.all(pending)));
  }
  return written;
}

/** The item as stored (keys, index keys and expiry included), bypassing every expiry check. */
async function raw(tableName: string, key: Key): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return Item;
}

async function rawLog(tableName: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': LOG_PARTITION }, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

const keyOf = (entry: SecurityEvent): Key => ({ pk: LOG_PARTITION, sk: `${entry.time}#${entry.id}` });
const ids = (entries: ReadonlyArray<{ id: string }>) => entries.map((entry) => entry.id);
const expectedPseudonym = (value: string) => `pseudonym:${keyedHash(KEY, 'pseudonym', value)}`;

// The subject's identifiers, and near misses that must not count as naming them.
const ACCOUNT = '1234567890';
const LONGER_ACCOUNT = '12345678901';
const CONNECTION = 'connection-7f3a9c';
const PIN = '3b241101-e2bb-4255-8caf-4136c566a962';
const OTHER_PIN = '9f0c2d4e-6b8a-4c1e-9d3f-2a7b5c8e1f00';
const BOARD = '549755885175';
const EMAIL = 'bob@example.com';
const SHORT = 'b0b42';

function scene(): Array<{ event: NewSecurityEvent; names: string[] }> {
  return [
    {
      event: { kind: 'account', outcome: 'ok', detail: { environment: 'sandbox', accountId: ACCOUNT, step: 'confirmed' } },
      names: ['detail.accountId'],
    },
    {
      // The id inside a secret's name, between slashes.
      event: {
        kind: 'account',
        outcome: 'ok',
        detail: { environment: 'sandbox', secretName: `mdz-publisher/tokens/sandbox/${ACCOUNT}/${CONNECTION}`, step: 'refreshed', tokenVersion: 3, rotated: true },
      },
      names: ['detail.secretName'],
    },
    {
      // A Pin's id inside a path; the route (a template) and everything else about the request stay.
      event: {
        kind: 'http_request',
        outcome: 'ok',
        method: 'POST',
        path: `/pins/${PIN}/approve?token=dropped`,
        route: 'POST /pins/{id}/approve',
        status: 200,
        userAgent: 'Mozilla/5.0 (jest) pseudonyms',
        clientAddress: '203.0.113.50',
        requestId: 'api-request-approve',
        lambdaRequestId: 'lambda-request-approve',
        rateLimit: { limited: false, remaining: 4 },
      },
      names: ['path'],
    },
    {
      // Arrays: the item naming a board counts, the scopes (and the other board) do not.
      event: {
        kind: 'oauth_callback',
        outcome: 'ok',
        path: '/oauth/callback',
        detail: { environment: 'sandbox', accountId: ACCOUNT, scopes: ['boards:read', 'pins:write'], boardIds: ['987654321012', BOARD] },
      },
      names: ['detail.accountId', 'detail.boardIds'],
    },
    {
      event: { kind: 'privacy_request', outcome: 'ok', detail: { from: `Bob Example <${EMAIL}>`, type: 'export' } },
      names: ['detail.from'],
    },
    {
      // Another address that merely ends with the subject's.
      event: { kind: 'privacy_request', outcome: 'ok', detail: { from: `alice.${EMAIL}`, type: 'export' } },
      names: [],
    },
    {
      // A longer id that begins with the subject's.
      event: { kind: 'account', outcome: 'ok', detail: { accountId: LONGER_ACCOUNT, step: 'confirmed' } },
      names: [],
    },
    {
      // The same address in other case.
      event: { kind: 'privacy_request', outcome: 'ok', detail: { to: EMAIL.toUpperCase() } },
      names: ['detail.to'],
    },
    {
      // Only a too-short identifier appears here.
      event: { kind: 'auth_denied', outcome: 'denied', path: `/tickets/${SHORT}`, status: 401, detail: { code: SHORT } },
      names: [],
    },
    {
      event: { kind: 'http_request', outcome: 'ok', method: 'POST', path: `/pins/${OTHER_PIN}/approve`, route: 'POST /pins/{id}/approve', status: 200 },
      names: [],
    },
  ];
}

const IDENTIFIERS = [ACCOUNT, CONNECTION, PIN, BOARD, 'Bob@Example.COM', SHORT];

describe('LogPseudonyms.naming', () => {
  it('finds exactly the entries naming an identifier as a whole token (path, detail values, array items), case-insensitively, oldest first', async () => {
    const w = await world();
    const parts = scene();
    const written = await writeAll(w, parts.map((part) => part.event));
    const naming = written.filter((_, i) => (parts[i]?.names.length ?? 0) > 0);

    const found = await w.pseudonyms.naming(IDENTIFIERS);
    expect(ids(found)).toEqual(ids(naming));
    // Entries come back as stored: keys included, values untouched.
    for (const entry of found) {
      const original = written.find((e) => e.id === entry.id);
      expect(entry).toEqual({ ...original, pk: LOG_PARTITION, sk: `${original?.time ?? ''}#${entry.id}` });
    }

    // Each identifier on its own.
    expect(ids(await w.pseudonyms.naming([ACCOUNT]))).toEqual(ids([written[0], written[1], written[3]] as SecurityEvent[]));
    expect(ids(await w.pseudonyms.naming([PIN]))).toEqual([written[2]?.id]);
    expect(ids(await w.pseudonyms.naming([BOARD]))).toEqual([written[3]?.id]);
    expect(ids(await w.pseudonyms.naming([CONNECTION]))).toEqual([written[1]?.id]);
    // Not alice.bob@example.com for bob@example.com; any case, either side.
    expect(ids(await w.pseudonyms.naming([EMAIL]))).toEqual([written[4]?.id, written[7]?.id]);
    expect(ids(await w.pseudonyms.naming(['  BOB@example.com  ']))).toEqual([written[4]?.id, written[7]?.id]);
    expect(ids(await w.pseudonyms.naming([`alice.${EMAIL}`.toUpperCase()]))).toEqual([written[5]?.id]);
    // Not 12345678901 for 1234567890, and the longer id finds only itself.
    expect(ids(await w.pseudonyms.naming([LONGER_ACCOUNT]))).toEqual([written[6]?.id]);
    // Ids that only occur inside longer tokens name nothing.
    expect(await w.pseudonyms.naming(['234567890', 'example.com', 'sandbox/1234', 'connection-7f3a'])).toEqual([]);
  });

  it('ignores identifiers shorter than 6 characters (and blanks around them); 6 characters are searched for', async () => {
    const w = await world();
    const [five, six] = await writeAll(w, [
      { kind: 'account', outcome: 'ok', path: '/t/ab12c', detail: { code: 'ab12c' } },
      { kind: 'account', outcome: 'ok', detail: { code: 'ab12cd' } },
    ]);
    expect(await w.pseudonyms.naming(['ab12c'])).toEqual([]);
    expect(await w.pseudonyms.naming(['  ab12c  ', '', '     '])).toEqual([]);
    expect(await w.pseudonyms.naming([])).toEqual([]);
    expect(ids(await w.pseudonyms.naming(['AB12CD']))).toEqual([six?.id]);
    // With both, only the entry holding the 6-character one is found (not the one holding the 5-character one).
    expect(ids(await w.pseudonyms.naming([' ab12cd ', 'ab12c']))).toEqual([six?.id]);
    expect(five?.detail).toEqual({ code: 'ab12c' });
    // An entry found through a long identifier is not pseudonymised for a short one.
    const [entry] = await w.pseudonyms.naming(['ab12cd']);
    if (entry === undefined) throw new Error('not found');
    expect(await w.pseudonyms.pseudonymise(entry, ['ab12c'], KEY)).toEqual([]);
  });

  it('reads every page of the log (more than the 1000 entries one read takes), oldest first', async () => {
    const w = await world();
    const filler = (i: number): NewSecurityEvent => ({ kind: 'http_request', outcome: 'ok', method: 'GET', path: `/pins/filler-${String(i).padStart(6, '0')}`, status: 200 });
    const naming = (i: number): NewSecurityEvent => ({ kind: 'account', outcome: 'ok', detail: { accountId: ACCOUNT, position: i } });
    const namingAt = new Set([0, 500, 998, 999, 1000, 1001, 1203, 1204]);
    const events = Array.from({ length: 1205 }, (_, i) => (namingAt.has(i) ? naming(i) : filler(i)));
    const written = await writeAll(w, events, 25);
    expect(await rawLog(w.tableName)).toHaveLength(1205);

    const query = jest.spyOn(w.table, 'query');
    const found = await w.pseudonyms.naming([ACCOUNT]);
    expect(query.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(found.map((entry) => entry.detail?.position)).toEqual([...namingAt]);
    expect(ids(found)).toEqual(ids(written.filter((_, i) => namingAt.has(i))));
    const times = found.map((entry) => entry.sk);
    expect(times).toEqual([...times].sort());
    query.mockRestore();
  });

  it('leaves out entries past their expiry unless includeExpired (they still have to be rewritten)', async () => {
    const w = await world('2026-04-02T08:30:00.750Z');
    const writtenAt = w.clock.seconds;
    const [early] = await writeAll(w, [{ kind: 'account', outcome: 'ok', detail: { accountId: ACCOUNT } }]);
    w.clock.set(new Date((writtenAt + DAY_S) * 1000));
    const [late] = await writeAll(w, [{ kind: 'account', outcome: 'ok', detail: { accountId: ACCOUNT } }]);
    if (early === undefined || late === undefined) throw new Error('not written');
    const expiry = writtenAt + RETENTION_DAYS * DAY_S;
    expect((await raw(w.tableName, keyOf(early)))?.expiresAt).toBe(expiry);

    w.clock.set(new Date((expiry - 1) * 1000));
    expect(ids(await w.pseudonyms.naming([ACCOUNT]))).toEqual([early.id, late.id]);
    expect(ids(await w.pseudonyms.naming([ACCOUNT], { includeExpired: true }))).toEqual([early.id, late.id]);

    for (const second of [expiry, expiry + 1]) {
      w.clock.set(new Date(second * 1000));
      expect(ids(await w.pseudonyms.naming([ACCOUNT]))).toEqual([late.id]);
      expect(ids(await w.pseudonyms.naming([ACCOUNT], { includeExpired: true }))).toEqual([early.id, late.id]);
      expect(await raw(w.tableName, keyOf(early))).toBeDefined();
    }

    // An expired entry that is still stored is rewritten like any other.
    const [stored] = await w.pseudonyms.naming([ACCOUNT], { includeExpired: true });
    if (stored === undefined) throw new Error('not found');
    await expect(w.pseudonyms.pseudonymise(stored, [ACCOUNT], KEY)).resolves.toEqual(['detail.accountId']);
    expect(await raw(w.tableName, keyOf(early))).toMatchObject({ detail: { accountId: expectedPseudonym(ACCOUNT) }, expiresAt: expiry });
  });
});

describe('LogPseudonyms.pseudonymise', () => {
  it('replaces exactly the naming values by pseudonym:<keyed hash>, the same value by the same pseudonym, and leaves everything else as it was', async () => {
    const w = await world();
    const parts = scene();
    const written = await writeAll(w, parts.map((part) => part.event));
    const before = await Promise.all(written.map((entry) => raw(w.tableName, keyOf(entry))));

    const found = await w.pseudonyms.naming(IDENTIFIERS);
    const replaced = new Map<string, string[]>();
    for (const entry of found) replaced.set(entry.id, await w.pseudonyms.pseudonymise(entry, IDENTIFIERS, KEY));
    expect(Object.fromEntries(replaced)).toEqual(Object.fromEntries(written.flatMap((entry, i) => ((parts[i]?.names.length ?? 0) > 0 ? [[entry.id, parts[i]?.names]] : []))));

    const after = await Promise.all(written.map((entry) => raw(w.tableName, keyOf(entry))));
    const expected = before.map((item) => structuredClone(item));
    const [accountEntry, secretEntry, pathEntry, callbackEntry, fromEntry, , , toEntry] = expected;
    if (accountEntry === undefined || secretEntry === undefined || pathEntry === undefined || callbackEntry === undefined || fromEntry === undefined || toEntry === undefined) {
      throw new Error('missing items');
    }
    const accountPseudonym = expectedPseudonym(ACCOUNT);
    expect(accountPseudonym).toMatch(/^pseudonym:[A-Za-z0-9_-]{43}$/);
    Object.assign(accountEntry.detail as object, { accountId: accountPseudonym });
    Object.assign(secretEntry.detail as object, { secretName: expectedPseudonym(`mdz-publisher/tokens/sandbox/${ACCOUNT}/${CONNECTION}`) });
    pathEntry.path = expectedPseudonym(`/pins/${PIN}/approve`);
    Object.assign(callbackEntry.detail as object, { accountId: accountPseudonym, boardIds: ['987654321012', expectedPseudonym(BOARD)] });
    Object.assign(fromEntry.detail as object, { from: expectedPseudonym(`Bob Example <${EMAIL}>`) });
    Object.assign(toEntry.detail as object, { to: expectedPseudonym(EMAIL.toUpperCase()) });
    // Every attribute of every item (time, kind, outcome, method, route, status, requestId, clientHash,
    // userAgent, rate limit, other detail values, keys, index keys, expiry) is as before, except those.
    expect(after).toEqual(expected);
    expect(after[2]).toMatchObject({ route: 'POST /pins/{id}/approve', status: 200, requestId: 'api-request-approve', userAgent: 'Mozilla/5.0 (jest) pseudonyms' });
    expect(after[2]?.clientHash).toBe(keyedHash(KEY, 'client-address', '203.0.113.50'));
    expect(after[1]?.detail).toEqual({ environment: 'sandbox', secretName: expect.stringMatching(/^pseudonym:/) as unknown, step: 'refreshed', tokenVersion: 3, rotated: true });
    // Linkable: the account id has the same pseudonym in both entries that held it.
    expect((after[0]?.detail as Record<string, unknown>).accountId).toBe((after[3]?.detail as Record<string, unknown>).accountId);
    // Not readable: no identifier is left in the log.
    const stored = JSON.stringify(await rawLog(w.tableName)).toLowerCase();
    for (const identifier of [ACCOUNT, PIN, BOARD, EMAIL]) {
      expect(stored.split(identifier.toLowerCase()).length - 1).toBe(identifier === ACCOUNT ? 1 : identifier === EMAIL ? 1 : 0);
    }
    // (The one ACCOUNT left is inside LONGER_ACCOUNT; the one EMAIL inside alice.bob@example.com.)
    expect(stored).toContain(LONGER_ACCOUNT);
    expect(stored).toContain(`alice.${EMAIL}`);

    // Nothing names the subject any more, and repeating the rewrite with the stale entries changes nothing.
    expect(await w.pseudonyms.naming(IDENTIFIERS)).toEqual([]);
    for (const entry of found) await w.pseudonyms.pseudonymise(entry, IDENTIFIERS, KEY);
    expect(await Promise.all(written.map((entry) => raw(w.tableName, keyOf(entry))))).toEqual(after);
  });

  it('leaves the security log listing working, in full and by kind, with the pseudonyms in place', async () => {
    const w = await world();
    const parts = scene();
    const written = await writeAll(w, parts.map((part) => part.event));
    for (const entry of await w.pseudonyms.naming(IDENTIFIERS)) await w.pseudonyms.pseudonymise(entry, IDENTIFIERS, KEY);

    const range = { from: new Date(w.clock.now().getTime() - 60_000), to: new Date(w.clock.now().getTime() + 60_000) };
    const listed: SecurityEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await w.log.list({ ...range, limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      listed.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(ids(listed)).toEqual(ids([...written].reverse()));
    const byId = new Map(listed.map((entry) => [entry.id, entry]));
    expect(byId.get(written[2]?.id ?? '')).toEqual({ ...written[2], path: expectedPseudonym(`/pins/${PIN}/approve`) });
    expect(byId.get(written[5]?.id ?? '')).toEqual(written[5]);

    const callbacks = await w.log.list({ ...range, kind: 'oauth_callback', limit: 10 });
    expect(callbacks.items).toEqual([{ ...written[3], detail: { environment: 'sandbox', accountId: expectedPseudonym(ACCOUNT), scopes: ['boards:read', 'pins:write'], boardIds: ['987654321012', expectedPseudonym(BOARD)] } }]);
  });

  it('does not bring back an entry that is no longer stored: the conditional write fails, nothing is written, and it counts as done (no field replaced)', async () => {
    const w = await world();
    const [gone, kept] = await writeAll(w, [
      { kind: 'account', outcome: 'ok', path: `/pins/${PIN}/approve`, detail: { accountId: ACCOUNT } },
      { kind: 'account', outcome: 'ok', detail: { accountId: ACCOUNT } },
    ]);
    if (gone === undefined || kept === undefined) throw new Error('not written');
    const found: StoredLogEntry[] = await w.pseudonyms.naming([ACCOUNT]);
    expect(ids(found)).toEqual([gone.id, kept.id]);
    // TTL (or anything else) removes the first entry between the read and the rewrite.
    await clients.dynamo.send(new DeleteCommand({ TableName: w.tableName, Key: keyOf(gone) }));

    // The UpdateItem's condition (attribute_exists(pk)) fails: no partial item is created, and the
    // entry counts as done (nothing left to pseudonymise), so a deletion is not failed by TTL.
    const [first, second] = found;
    if (first === undefined || second === undefined) throw new Error('not found');
    await expect(w.pseudonyms.pseudonymise(first, [ACCOUNT, PIN], KEY)).resolves.toEqual([]);
    expect(await raw(w.tableName, keyOf(gone))).toBeUndefined();
    expect(await rawLog(w.tableName)).toHaveLength(1);
    // The other entry is rewritten as usual.
    await expect(w.pseudonyms.pseudonymise(second, [ACCOUNT, PIN], KEY)).resolves.toEqual(['detail.accountId']);
    expect((await raw(w.tableName, keyOf(kept)))?.detail).toEqual({ accountId: expectedPseudonym(ACCOUNT) });
  });

  it('does nothing (no write) to an entry that names none of the identifiers', async () => {
    const w = await world();
    const [entry] = await writeAll(w, [{ kind: 'account', outcome: 'ok', detail: { accountId: LONGER_ACCOUNT } }]);
    if (entry === undefined) throw new Error('not written');
    const stored = { ...entry, pk: LOG_PARTITION, sk: `${entry.time}#${entry.id}` };
    const update = jest.spyOn(w.table, 'update');
    await expect(w.pseudonyms.pseudonymise(stored, [ACCOUNT, randomUUID()], KEY)).resolves.toEqual([]);
    expect(update).not.toHaveBeenCalled();
    update.mockRestore();
  });
});

describe('LogPseudonyms: two deletions rewriting one entry', () => {
  it('never puts back a value the other replaced: the write is conditional on the values read, and the loser rewrites the entry as it is now', async () => {
    const w = await world();
    const [entry] = await writeAll(w, [{ kind: 'pin_publish', outcome: 'ok', path: `/pins/${PIN}/publish`, detail: { accountId: ACCOUNT, pin: PIN, environment: 'sandbox' } }]);
    if (entry === undefined) throw new Error('not written');
    // Both deletions read the entry before either writes.
    const [readByFirst] = await w.pseudonyms.naming([ACCOUNT]);
    const [readBySecond] = await w.pseudonyms.naming([PIN]);
    if (readByFirst === undefined || readBySecond === undefined) throw new Error('not found');
    await expect(w.pseudonyms.pseudonymise(readByFirst, [ACCOUNT], KEY)).resolves.toEqual(['detail.accountId']);
    await expect(w.pseudonyms.pseudonymise(readBySecond, [PIN], KEY)).resolves.toEqual(['path', 'detail.pin']);
    expect(await raw(w.tableName, keyOf(entry))).toMatchObject({
      path: expectedPseudonym(`/pins/${PIN}/publish`),
      detail: { accountId: expectedPseudonym(ACCOUNT), pin: expectedPseudonym(PIN), environment: 'sandbox' },
    });
  });

  it('reads the whole log in time slices side by side: entries from before the retention span to after now, oldest first, each once', async () => {
    const w = await world('2026-06-01T00:00:00.000Z');
    const times = ['2025-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', '2026-05-15T12:00:00.000Z', '2026-05-31T23:59:59.999Z', '2026-06-01T00:00:00.000Z', '2026-06-03T00:00:00.000Z'];
    for (const time of times) {
      w.clock.set(new Date(time));
      await w.log.write({ kind: 'account', outcome: 'ok', detail: { accountId: ACCOUNT } });
    }
    w.clock.set(new Date('2026-06-01T00:00:00.000Z'));
    const found = await w.pseudonyms.naming([ACCOUNT], { includeExpired: true });
    expect(found.map((entry) => entry.time)).toEqual(times);
  });
});
