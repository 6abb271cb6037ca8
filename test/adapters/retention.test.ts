import { randomBytes, randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ensureTables } from '../../local/boot';
import { AccountStore, type NewAccount } from '../../shared/adapters/dynamo/account-store';
import { AcknowledgementCounter } from '../../shared/adapters/dynamo/acknowledgement-counter';
import { BoardSyncJobs } from '../../shared/adapters/dynamo/board-sync-jobs';
import { ClientLimiter } from '../../shared/adapters/dynamo/client-limiter';
import { OAuthStore } from '../../shared/adapters/dynamo/oauth-store';
import { PublishPacing } from '../../shared/adapters/dynamo/publish-pacing';
import { LOG_PARTITION, SecurityLog, type AuditQuery } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable, StaleRecordError, type Key } from '../../shared/adapters/dynamo/table';
import { TicketStore } from '../../shared/adapters/dynamo/ticket-store';
import type { AccountRecord } from '../../shared/domain/account';
import type { SyncJob } from '../../shared/domain/boards';
import { ConflictError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { TICKET_SECONDS } from '../../shared/domain/oauth';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { SecurityEvent } from '../../shared/domain/security-event';
import type { Ticket } from '../../shared/domain/tickets';
import { epochSeconds } from '../../shared/domain/time';
import { recordKinds } from '../../shared/record-kinds';
import type { TableName } from '../../shared/tables';
import { disconnectAccount } from '../../shared/use-cases/disconnect';
import { createStartLink, openStartLink } from '../../shared/use-cases/oauth-start';
import { clients, uniquePrefix } from '../support/aws';
import { FakeClock } from '../support/fake-clock';
import { MemorySecurityLog, accountRecord, memoryConnectDeps, requestFacts } from '../support/memory-ports';
import { MemoryEnvironmentRecords, MemoryVault } from '../support/memory-stores';

/**
 * Retention of every record kind (shared/record-kinds.ts) whose retention is a timer in DynamoDB:
 * each is written through its real store, over tables of this file's own on dynalite, with a fake
 * clock. The raw item must carry `expiresAt` as whole epoch seconds, the write time plus the
 * (configured, here non-default where the store takes one) retention; one second before that, every
 * read path of the store still sees the record; at the expiry second and after it, every read path
 * finds nothing, while the raw item is still in the table (DynamoDB's TTL deletes late; dynalite never
 * does). Kinds kept without a timer in DynamoDB (Pin records, boards, image references, S3 objects,
 * secrets, mail) are not covered here.
 *
 * Start times carry milliseconds on purpose: the expiry must still be whole seconds.
 */

const DAY_S = 86_400;
const KEY = Buffer.alloc(32, 11);
const hashingKey = () => Promise.resolve(KEY);

/** A record kind's name as shared/record-kinds.ts spells it (fails if it is not listed there). */
function kind(name: string): string {
  if (!recordKinds.some((k) => k.name === name)) throw new Error(`"${name}" is not a record kind in shared/record-kinds.ts`);
  return name;
}

interface World {
  clock: FakeClock;
  tableNames: Record<TableName, string>;
  state: DynamoTable;
  workflow: DynamoTable;
  audit: DynamoTable;
}

/**
 * Fresh tables for one test (several stores key by environment alone: ACCOUNT#sandbox,
 * PACING#sandbox, BOARD_SYNC#sandbox), and a fake clock every table and store shares.
 */
async function world(start: string): Promise<World> {
  const prefix = uniquePrefix('retention');
  const tableNames = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
  await ensureTables(clients.dynamoDb, tableNames, '(test)');
  const clock = new FakeClock(start);
  return {
    clock,
    tableNames,
    state: new DynamoTable(clients.dynamo, tableNames.state, clock),
    workflow: new DynamoTable(clients.dynamo, tableNames.workflow, clock),
    audit: new DynamoTable(clients.dynamo, tableNames.audit, clock),
  };
}

/** Moves the clock to the start of an epoch second. */
function at(clock: FakeClock, second: number): void {
  clock.set(new Date(second * 1000));
}

/** The item as stored, bypassing every expiry check. */
async function raw(tableName: string, key: Key): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return Item;
}

/** Every item of one partition as stored, bypassing every expiry check. */
async function rawPartition(tableName: string, pk: string): Promise<Array<Record<string, unknown>>> {
  const { Items = [] } = await clients.dynamo.send(
    new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }),
  );
  return Items;
}

/** The stored `expiresAt`, which must be a whole number of epoch seconds. */
function expiryOf(item: Record<string, unknown> | undefined): number {
  const value = item?.expiresAt;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`expiresAt is not whole epoch seconds: ${JSON.stringify(value)}`);
  return value;
}

describe(kind('OAuth start-link tickets'), () => {
  function oauth(w: World) {
    const store = new OAuthStore(w.state);
    const { deps } = memoryConnectDeps({ clock: w.clock, oauthState: store, hashingKey, randomToken: () => randomBytes(32).toString('base64url') });
    const makeLink = async () => {
      const link = await createStartLink(deps, 'sandbox', requestFacts('POST', '/oauth/start'));
      const ticket = new URL(link.url).searchParams.get('ticket') ?? '';
      const hash = keyedHash(KEY, 'oauth-ticket', ticket);
      return { link, ticket, hash, key: { pk: `OAUTH_TICKET#${hash}`, sk: 'TICKET' } };
    };
    return { store, deps, makeLink };
  }

  it('expires five minutes after the link is made; consumed up to the second before, found by no consume from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.700Z');
    const { store, deps, makeLink } = oauth(w);
    const writtenAt = w.clock.seconds;
    const [a, b, c] = [await makeLink(), await makeLink(), await makeLink()];
    const expiry = expiryOf(await raw(w.tableNames.state, b.key));
    expect(TICKET_SECONDS).toBe(300); // the rule: 5 minutes, single use (not a setting)
    expect(expiry).toBe(writtenAt + TICKET_SECONDS);
    expect(b.link.expiresAt).toBe(new Date(expiry * 1000).toISOString());

    at(w.clock, expiry - 1);
    await expect(store.consumeTicket(a.hash)).resolves.toMatchObject({ environment: 'sandbox', expiresAt: expiry });

    at(w.clock, expiry);
    await expect(store.consumeTicket(b.hash)).resolves.toBeUndefined();
    await expect(openStartLink(deps, b.ticket, requestFacts('GET', '/oauth/start'))).resolves.toEqual({ kind: 'invalid_link' });
    expect(await raw(w.tableNames.state, b.key)).toMatchObject({ expiresAt: expiry });

    at(w.clock, expiry + 1);
    await expect(store.consumeTicket(b.hash)).resolves.toBeUndefined();
    await expect(store.consumeTicket(c.hash)).resolves.toBeUndefined();
    await expect(openStartLink(deps, c.ticket, requestFacts('GET', '/oauth/start'))).resolves.toEqual({ kind: 'invalid_link' });
    expect(await raw(w.tableNames.state, c.key)).toMatchObject({ expiresAt: expiry });
  });
});

describe(kind('OAuth states and browser nonces'), () => {
  it('expires RETENTION_OAUTH_STATE_MINUTES (here 3) after the link is opened; every consume finds nothing from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.250Z');
    const store = new OAuthStore(w.state);
    const { deps } = memoryConnectDeps({
      clock: w.clock,
      oauthState: store,
      hashingKey,
      randomToken: () => randomBytes(32).toString('base64url'),
      settings: { stateMinutes: 3 },
    });
    const openState = async () => {
      const link = await createStartLink(deps, 'sandbox', requestFacts('POST', '/oauth/start'));
      const opened = await openStartLink(deps, new URL(link.url).searchParams.get('ticket') ?? '', requestFacts('GET', '/oauth/start'));
      if (opened.kind !== 'redirect') throw new Error('the start link did not open');
      const stateHash = keyedHash(KEY, 'oauth-state', new URL(opened.location).searchParams.get('state') ?? '');
      return { stateHash, nonceHash: keyedHash(KEY, 'oauth-nonce', opened.nonce), cookieMaxAgeSeconds: opened.cookieMaxAgeSeconds, key: { pk: `OAUTH_STATE#${stateHash}`, sk: 'STATE' } };
    };
    const otherBrowser = keyedHash(KEY, 'oauth-nonce', 'another browser');

    const writtenAt = w.clock.seconds;
    const [a, b, c] = [await openState(), await openState(), await openState()];
    const expiry = expiryOf(await raw(w.tableNames.state, b.key));
    expect(expiry).toBe(writtenAt + 3 * 60);
    expect(b.cookieMaxAgeSeconds).toBe(3 * 60);

    at(w.clock, expiry - 1);
    await expect(store.consumeState(a.stateHash, undefined)).resolves.toEqual({ kind: 'wrong_browser', environment: 'sandbox' });
    await expect(store.consumeState(a.stateHash, otherBrowser)).resolves.toEqual({ kind: 'wrong_browser', environment: 'sandbox' });
    await expect(store.consumeState(a.stateHash, a.nonceHash)).resolves.toMatchObject({ kind: 'consumed', record: { environment: 'sandbox', expiresAt: expiry } });

    for (const [second, state] of [[expiry, b], [expiry + 1, c]] as const) {
      at(w.clock, second);
      await expect(store.consumeState(state.stateHash, undefined)).resolves.toEqual({ kind: 'unknown' });
      await expect(store.consumeState(state.stateHash, otherBrowser)).resolves.toEqual({ kind: 'unknown' });
      await expect(store.consumeState(state.stateHash, state.nonceHash)).resolves.toEqual({ kind: 'unknown' });
      expect(await raw(w.tableNames.state, state.key)).toMatchObject({ expiresAt: expiry, nonceHash: state.nonceHash });
    }
  });
});

describe(kind('Per-client request counters'), () => {
  const route = 'GET /oauth/start';
  const counterKey = (address: string, windowStart: number) => ({
    pk: `RATE#${keyedHash(KEY, 'rate-limit-client', `${route}\n${address}`)}`,
    sk: String(windowStart),
  });

  it('a counter of a window longer than RETENTION_RATE_LIMIT_HOURS (here 2) expires at the retention, and counting starts again at 1 from the expiry second on', async () => {
    // A day-long window starting at 00:00 UTC, so the retention ends well inside it (same key).
    const w = await world('2026-03-10T00:00:00.400Z');
    const limiter = new ClientLimiter(w.state, w.clock, hashingKey, 2 * 3600);
    const limit = { max: 1, windowSeconds: DAY_S };
    const writtenAt = w.clock.seconds;
    const windowStart = writtenAt - (writtenAt % DAY_S);
    const [a, b] = [counterKey('203.0.113.1', windowStart), counterKey('203.0.113.2', windowStart)];
    await expect(limiter.hit(route, '203.0.113.1', limit)).resolves.toMatchObject({ limited: false, remaining: 0 });
    await expect(limiter.hit(route, '203.0.113.2', limit)).resolves.toMatchObject({ limited: false, remaining: 0 });
    const expiry = expiryOf(await raw(w.tableNames.state, a));
    expect(expiry).toBe(writtenAt + 2 * 3600);
    expect(expiry).toBeLessThan(windowStart + DAY_S);

    at(w.clock, expiry - 1);
    await expect(limiter.hit(route, '203.0.113.1', limit)).resolves.toMatchObject({ limited: true, remaining: 0 });
    await expect(limiter.hit(route, '203.0.113.2', limit)).resolves.toMatchObject({ limited: true, remaining: 0 });

    at(w.clock, expiry);
    expect(await raw(w.tableNames.state, a)).toMatchObject({ count: 2, expiresAt: expiry });
    await expect(limiter.hit(route, '203.0.113.1', limit)).resolves.toMatchObject({ limited: false, remaining: 0 });
    // Counting again from 1, with the expiry of the new count.
    expect(await raw(w.tableNames.state, a)).toMatchObject({ count: 1, expiresAt: expiry + 2 * 3600 });

    at(w.clock, expiry + 1);
    expect(await raw(w.tableNames.state, b)).toMatchObject({ count: 2, expiresAt: expiry });
    await expect(limiter.hit(route, '203.0.113.2', limit)).resolves.toMatchObject({ limited: false, remaining: 0 });
    expect(await raw(w.tableNames.state, b)).toMatchObject({ count: 1, expiresAt: expiry + 1 + 2 * 3600 });
  });

  it('a counter of a window shorter than the retention expires when its window ends', async () => {
    const w = await world('2026-03-10T00:03:20.900Z');
    const limiter = new ClientLimiter(w.state, w.clock, hashingKey, 2 * 3600);
    const writtenAt = w.clock.seconds;
    const windowStart = writtenAt - (writtenAt % 600);
    await limiter.hit(route, '203.0.113.3', { max: 5, windowSeconds: 600 });
    expect(expiryOf(await raw(w.tableNames.state, counterKey('203.0.113.3', windowStart)))).toBe(windowStart + 600);
  });
});

describe(kind('Pin-write pacing counters'), () => {
  const key = (env: PinterestEnvironment) => ({ pk: `PACING#${env}`, sk: 'PIN_WRITES' });

  it("expires two days after the last Pin write (the rule; rewritten by each write), and the day's count does not outlive it", async () => {
    const w = await world('2026-03-10T12:00:00.700Z');
    const pacing = new PublishPacing(w.state, w.clock, { minGapSeconds: 10, dailyCap: 1 });
    const writtenAt = w.clock.seconds;
    await expect(pacing.reserve('sandbox', 'pin-1')).resolves.toEqual({ allowed: true });
    const expiry = expiryOf(await raw(w.tableNames.state, key('sandbox')));
    expect(expiry).toBe(writtenAt + 2 * DAY_S);

    // The same day: the count is seen, and the cap holds.
    w.clock.advance(60_000);
    await expect(pacing.reserve('sandbox', 'pin-2')).resolves.toMatchObject({ allowed: false, reason: 'daily_cap' });

    // The counter counts one UTC day and expires two days after its last write, so a second before its
    // expiry is already another day: what reserve can still see of it then is the last write's time
    // (see the minimum-gap tests below). At the expiry second the counter is still stored, and counting
    // starts again at 1, with a new expiry.
    at(w.clock, expiry);
    expect(await raw(w.tableNames.state, key('sandbox'))).toMatchObject({ day: '2026-03-10', count: 1, lastPinId: 'pin-1', expiresAt: expiry });
    await expect(pacing.reserve('sandbox', 'pin-3')).resolves.toEqual({ allowed: true });
    const rewritten = await raw(w.tableNames.state, key('sandbox'));
    expect(rewritten).toMatchObject({ day: '2026-03-12', count: 1, lastPinId: 'pin-3' });
    expect(expiryOf(rewritten)).toBe(expiry + 2 * DAY_S);
  });

  it('one second before its expiry, the last write still holds back the next one (a minimum gap longer than the retention)', async () => {
    // PUBLISH_MIN_GAP_SECONDS has no upper bound (shared/config.ts): 3 days is a valid setting.
    const w = await world('2026-03-10T12:00:00.700Z');
    const pacing = new PublishPacing(w.state, w.clock, { minGapSeconds: 3 * DAY_S, dailyCap: 10 });
    await expect(pacing.reserve('sandbox', 'pin-1')).resolves.toEqual({ allowed: true });
    const expiry = expiryOf(await raw(w.tableNames.state, key('sandbox')));
    at(w.clock, expiry - 1);
    await expect(pacing.reserve('sandbox', 'pin-2')).resolves.toMatchObject({ allowed: false, reason: 'gap', holder: 'pin-1' });
  });

  // The expiry is checked in reserve's conditions too: an expired counter that TTL has not deleted yet
  // takes no part in the decision (with a minimum gap longer than the counter's two days, its
  // `lastWriteAt` would otherwise hold the next write back until TTL happened to run).
  it.each([0, 1])('at its expiry second (+%i s), reserve ignores the expired counter and counts from 1', async (after) => {
    const w = await world('2026-03-10T12:00:00.700Z');
    const pacing = new PublishPacing(w.state, w.clock, { minGapSeconds: 3 * DAY_S, dailyCap: 10 });
    await expect(pacing.reserve('production', 'pin-1')).resolves.toEqual({ allowed: true });
    const expiry = expiryOf(await raw(w.tableNames.state, key('production')));
    at(w.clock, expiry + after);
    expect(await raw(w.tableNames.state, key('production'))).toMatchObject({ lastPinId: 'pin-1', expiresAt: expiry });
    await expect(pacing.reserve('production', 'pin-2')).resolves.toEqual({ allowed: true });
    expect(await raw(w.tableNames.state, key('production'))).toMatchObject({ count: 1, lastPinId: 'pin-2' });
    // The fresh counter holds the next write back again.
    await expect(pacing.reserve('production', 'pin-3')).resolves.toMatchObject({ allowed: false, reason: 'gap', holder: 'pin-2' });
  });
});

describe(kind('Board-sync jobs'), () => {
  function newJob(env: PinterestEnvironment, clock: FakeClock): Omit<SyncJob, 'version'> {
    return { jobId: `${env}.${randomUUID()}`, environment: env, status: 'running', pagesRead: 0, boardsSeen: 0, startedAt: clock.now().toISOString() };
  }

  it('the job and the pointer to it expire the configured time (here 2 days) after the start; get and current find nothing from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.300Z');
    const jobs = new BoardSyncJobs(w.state, 2 * DAY_S);
    const writtenAt = w.clock.seconds;
    const job = await jobs.start(newJob('sandbox', w.clock), undefined);
    const stored = await rawPartition(w.tableNames.state, 'BOARD_SYNC#sandbox');
    expect(stored.map((item) => item.sk).sort()).toEqual(['CURRENT', `JOB#${job.jobId}`]);
    for (const item of stored) expect(expiryOf(item)).toBe(writtenAt + 2 * DAY_S);
    const expiry = writtenAt + 2 * DAY_S;

    at(w.clock, expiry - 1);
    await expect(jobs.get(job.jobId)).resolves.toEqual(job);
    await expect(jobs.current('sandbox')).resolves.toEqual({ pointerJobId: job.jobId, job });

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(jobs.get(job.jobId)).resolves.toBeUndefined();
      await expect(jobs.current('sandbox')).resolves.toEqual({ pointerJobId: undefined, job: undefined });
      await expect(jobs.update(job, { pagesRead: 1 })).rejects.toBeInstanceOf(StaleRecordError);
      expect(await rawPartition(w.tableNames.state, 'BOARD_SYNC#sandbox')).toHaveLength(2);
    }

    // A new start reads the expired pointer as none: naming the old job loses, naming none wins.
    await expect(jobs.start(newJob('sandbox', w.clock), job.jobId)).rejects.toBeInstanceOf(ConflictError);
    const next = await jobs.start(newJob('sandbox', w.clock), undefined);
    await expect(jobs.current('sandbox')).resolves.toEqual({ pointerJobId: next.jobId, job: next });
  });
});

describe(kind('Acknowledgement counters'), () => {
  it("expires an hour after its UTC day: counted during the day, never carried into the next day, unreadable from the expiry second on", async () => {
    const w = await world('2026-03-10T15:20:30.250Z');
    const counter = new AcknowledgementCounter(w.state, w.clock, hashingKey);
    const key = { pk: `ACK#${keyedHash(KEY, 'mail-recipient', 'reader@example.org')}`, sk: '2026-03-10' };
    await expect(counter.count(' Reader@Example.org ')).resolves.toBe(1);
    const expiry = expiryOf(await raw(w.tableNames.state, key));
    expect(expiry).toBe(epochSeconds(new Date('2026-03-11T01:00:00Z')));

    w.clock.set('2026-03-10T23:59:59.999Z');
    await expect(counter.count('reader@example.org')).resolves.toBe(2);

    // The store's one read path, count(), reads only the current UTC day's counter, and the day is over
    // an hour before the counter expires; so the day's counter is checked through the table's own read
    // (the one every store reads through) as well.
    const daysCounter = z.looseObject({ count: z.number() });
    at(w.clock, expiry - 1);
    await expect(w.state.get(key, daysCounter)).resolves.toMatchObject({ count: 2 });

    at(w.clock, expiry);
    await expect(w.state.get(key, daysCounter)).resolves.toBeUndefined();
    await expect(counter.count('reader@example.org')).resolves.toBe(1);
    expect(await raw(w.tableNames.state, key)).toMatchObject({ count: 2, expiresAt: expiry });

    at(w.clock, expiry + 1);
    await expect(w.state.get(key, daysCounter)).resolves.toBeUndefined();
    expect(await raw(w.tableNames.state, key)).toMatchObject({ count: 2, expiresAt: expiry });
  });
});

describe(kind('Connected accounts and token metadata'), () => {
  function connection(env: PinterestEnvironment, connectionId: string): NewAccount {
    const account: Partial<AccountRecord> = accountRecord({
      environment: env,
      status: 'connected',
      connectionId,
      secretName: `tokens/${env}/1000000000000000001/${connectionId}`,
      confirmedAt: '2026-03-01T09:00:00.000Z',
    });
    delete account.version;
    return account as NewAccount;
  }

  function disconnectDeps(w: World, accounts: AccountStore) {
    return {
      clock: w.clock,
      accounts,
      vault: new MemoryVault(),
      securityLog: new MemorySecurityLog(w.clock, KEY),
      records: new MemoryEnvironmentRecords(),
      settings: { disconnectedRetentionDays: 7 },
    };
  }

  it('has no expiry while connected; after a disconnect, expires RETENTION_DISCONNECTED_ACCOUNT_DAYS (here 7) later, and get finds nothing from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.600Z');
    const accounts = new AccountStore(w.workflow);
    const key = { pk: 'ACCOUNT#sandbox', sk: 'CURRENT' };
    await accounts.replace(connection('sandbox', 'connection-1'), undefined);
    expect(await raw(w.tableNames.workflow, key)).not.toHaveProperty('expiresAt');

    const writtenAt = w.clock.seconds;
    const result = await disconnectAccount(disconnectDeps(w, accounts), 'sandbox', requestFacts('POST', '/account/disconnect'));
    const expiry = expiryOf(await raw(w.tableNames.workflow, key));
    expect(expiry).toBe(writtenAt + 7 * DAY_S);
    expect(result.recordKeptUntil).toBe(new Date(expiry * 1000).toISOString());

    at(w.clock, expiry - 1);
    const disconnected = await accounts.get('sandbox');
    expect(disconnected).toMatchObject({ status: 'disconnected', expiresAt: expiry });
    if (disconnected === undefined) throw new Error('no account');

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(accounts.get('sandbox')).resolves.toBeUndefined();
      await expect(accounts.update(disconnected, { reauthorizationReason: 'late write' })).rejects.toBeInstanceOf(StaleRecordError);
      expect(await raw(w.tableNames.workflow, key)).toMatchObject({ status: 'disconnected', expiresAt: expiry });
    }

    // Connecting again over the expired leftover: a new record, kept while connected (no expiry).
    await accounts.replace(connection('sandbox', 'connection-2'), await accounts.get('sandbox'));
    await expect(accounts.get('sandbox')).resolves.toMatchObject({ status: 'connected', connectionId: 'connection-2', version: 1 });
    expect(await raw(w.tableNames.workflow, key)).not.toHaveProperty('expiresAt');
  });

  it('a reconnect before the expiry removes it, so the connected account is kept', async () => {
    const w = await world('2026-03-10T12:00:00.600Z');
    const accounts = new AccountStore(w.workflow);
    await accounts.replace(connection('production', 'connection-1'), undefined);
    await disconnectAccount(disconnectDeps(w, accounts), 'production', requestFacts('POST', '/account/disconnect'));
    const expiry = expiryOf(await raw(w.tableNames.workflow, { pk: 'ACCOUNT#production', sk: 'CURRENT' }));

    at(w.clock, expiry - 1);
    await accounts.replace(connection('production', 'connection-2'), await accounts.get('production'));
    expect(await raw(w.tableNames.workflow, { pk: 'ACCOUNT#production', sk: 'CURRENT' })).not.toHaveProperty('expiresAt');
    at(w.clock, expiry + 1);
    await expect(accounts.get('production')).resolves.toMatchObject({ status: 'connected', connectionId: 'connection-2' });
  });
});

describe(kind('Support tickets'), () => {
  function ticket(clock: FakeClock, changes: Partial<Ticket> = {}): Ticket {
    const now = clock.now().toISOString();
    return {
      reference: `MDZ-T${randomUUID().slice(0, 8).toUpperCase()}`,
      source: 'mail',
      status: 'open',
      flagged: false,
      sesMessageId: randomUUID(),
      subject: 'Question',
      receivedAt: now,
      snippet: 'Hello',
      attachments: [],
      acknowledgement: { state: 'pending', to: 'reader@example.org' },
      replies: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
      ...changes,
    };
  }
  const key = (t: Ticket) => ({ pk: `TICKET#${t.reference}`, sk: 'TICKET' });
  const listed = async (store: TicketStore, status: Ticket['status']) => (await store.list(status, { limit: 50 })).items.map((t) => t.reference);

  it('expires RETENTION_SUPPORT_DAYS (here 20) after it is created; get, both listings and updates find nothing from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.800Z');
    const store = new TicketStore(w.workflow, w.clock, 20, 5);
    const writtenAt = w.clock.seconds;
    const open = ticket(w.clock);
    const closed = ticket(w.clock, { status: 'closed', closedAt: w.clock.now().toISOString() });
    await store.create(open);
    await store.create(closed);
    const expiry = expiryOf(await raw(w.tableNames.workflow, key(open)));
    expect(expiry).toBe(writtenAt + 20 * DAY_S);
    expect(expiryOf(await raw(w.tableNames.workflow, key(closed)))).toBe(expiry);

    at(w.clock, expiry - 1);
    await expect(store.get(open.reference)).resolves.toEqual(open);
    await expect(store.get(closed.reference)).resolves.toEqual(closed);
    await expect(listed(store, 'open')).resolves.toEqual([open.reference]);
    await expect(listed(store, 'closed')).resolves.toEqual([closed.reference]);

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(store.get(open.reference)).resolves.toBeUndefined();
      await expect(store.get(closed.reference)).resolves.toBeUndefined();
      await expect(store.list('open', { limit: 50 })).resolves.toEqual({ items: [] });
      await expect(store.list('closed', { limit: 50 })).resolves.toEqual({ items: [] });
      await expect(store.update(open, { status: 'closed' })).rejects.toBeInstanceOf(StaleRecordError);
      expect(await raw(w.tableNames.workflow, key(open))).toMatchObject({ status: 'open', expiresAt: expiry });
      expect(await raw(w.tableNames.workflow, key(closed))).toMatchObject({ status: 'closed', expiresAt: expiry });
    }
  });

  it("a quarantined message's ticket expires after RETENTION_QUARANTINE_DAYS (here 5), while other tickets stay", async () => {
    const w = await world('2026-03-10T12:00:00.800Z');
    const store = new TicketStore(w.workflow, w.clock, 20, 5);
    const writtenAt = w.clock.seconds;
    const quarantined = ticket(w.clock, { flagged: true, quarantine: ['spam'], acknowledgement: { state: 'skipped', reason: 'quarantined' } });
    const kept = ticket(w.clock, { receivedAt: '2026-03-10T11:00:00.000Z' });
    await store.create(quarantined);
    await store.create(kept);
    const expiry = expiryOf(await raw(w.tableNames.workflow, key(quarantined)));
    expect(expiry).toBe(writtenAt + 5 * DAY_S);
    expect(expiryOf(await raw(w.tableNames.workflow, key(kept)))).toBe(writtenAt + 20 * DAY_S);

    at(w.clock, expiry - 1);
    await expect(store.get(quarantined.reference)).resolves.toEqual(quarantined);
    await expect(listed(store, 'open')).resolves.toEqual([quarantined.reference, kept.reference]);

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(store.get(quarantined.reference)).resolves.toBeUndefined();
      await expect(listed(store, 'open')).resolves.toEqual([kept.reference]);
      await expect(store.update(quarantined, { status: 'closed' })).rejects.toBeInstanceOf(StaleRecordError);
      await expect(store.get(kept.reference)).resolves.toEqual(kept);
      expect(await raw(w.tableNames.workflow, key(quarantined))).toMatchObject({ flagged: true, expiresAt: expiry });
    }
  });
});

describe(kind('Sent-mail index'), () => {
  it('expires RETENTION_SUPPORT_DAYS (here 20) after the mail is remembered; ticketOfSent finds nothing from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.150Z');
    const store = new TicketStore(w.workflow, w.clock, 20, 5);
    const messageId = `<${randomUUID()}@publisher.example.test>`;
    const key = { pk: `SENT_MAIL#${messageId}`, sk: 'SENT' };
    const writtenAt = w.clock.seconds;
    await store.rememberSent(` ${messageId} `, 'MDZ-T00000001');
    const expiry = expiryOf(await raw(w.tableNames.workflow, key));
    expect(expiry).toBe(writtenAt + 20 * DAY_S);

    at(w.clock, expiry - 1);
    await expect(store.ticketOfSent(messageId)).resolves.toBe('MDZ-T00000001');

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(store.ticketOfSent(messageId)).resolves.toBeUndefined();
      expect(await raw(w.tableNames.workflow, key)).toMatchObject({ reference: 'MDZ-T00000001', expiresAt: expiry });
    }
  });
});

describe(kind('Security log and OAuth response metadata'), () => {
  /** Every entry of a listing, following its cursors; fails on a listing that does not end. */
  async function everything(log: SecurityLog, query: Omit<AuditQuery, 'cursor'>, cursor?: string): Promise<SecurityEvent[]> {
    const items: SecurityEvent[] = [];
    let next = cursor;
    let pages = 0;
    do {
      const page = await log.list({ ...query, ...(next === undefined ? {} : { cursor: next }) });
      items.push(...page.items);
      next = page.cursor;
      pages += 1;
    } while (next !== undefined && pages < 50);
    expect(next).toBeUndefined();
    return items;
  }

  it('every entry expires RETENTION_SECURITY_LOG_DAYS (here 30) after it is written; no listing, of any kind, page or cursor, returns it from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.450Z');
    const log = new SecurityLog(w.audit, w.clock, hashingKey, 30);
    const writtenAt = w.clock.seconds;
    const written: SecurityEvent[] = [];
    for (let i = 0; i < 3; i++) {
      written.push(await log.write({ kind: 'oauth_callback', outcome: 'ok', path: '/oauth/callback', clientAddress: '203.0.113.9', detail: { environment: 'sandbox', codeHash: `h${i}` } }));
    }
    for (let i = 0; i < 2; i++) written.push(await log.write({ kind: 'http_request', outcome: 'ok', path: `/p/${i}` }));
    const stored = await rawPartition(w.tableNames.audit, LOG_PARTITION);
    expect(stored).toHaveLength(5);
    for (const item of stored) expect(expiryOf(item)).toBe(writtenAt + 30 * DAY_S);
    const expiry = writtenAt + 30 * DAY_S;

    const range = { from: new Date((writtenAt - DAY_S) * 1000), to: new Date((expiry + DAY_S) * 1000) };
    const ids = (events: SecurityEvent[]) => events.map((e) => e.id).sort();
    const allIds = ids(written);
    const callbackIds = ids(written.filter((e) => e.kind === 'oauth_callback'));

    at(w.clock, expiry - 1);
    expect(ids(await everything(log, { ...range, limit: 10 }))).toEqual(allIds);
    expect(ids(await everything(log, { ...range, limit: 2 }))).toEqual(allIds);
    expect(ids(await everything(log, { ...range, kind: 'oauth_callback', limit: 10 }))).toEqual(callbackIds);
    const firstPage = await log.list({ ...range, limit: 2 });
    expect(firstPage.items).toHaveLength(2);
    expect(firstPage.cursor).toBeDefined();

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(log.list({ ...range, limit: 10 })).resolves.toEqual({ items: [] });
      await expect(log.list({ ...range, kind: 'oauth_callback', limit: 10 })).resolves.toEqual({ items: [] });
      await expect(log.list({ ...range, kind: 'http_request', limit: 10 })).resolves.toEqual({ items: [] });
      await expect(everything(log, { ...range, limit: 1 })).resolves.toEqual([]);
      // A cursor handed out before the expiry leads to nothing either.
      await expect(everything(log, { ...range, limit: 2 }, firstPage.cursor)).resolves.toEqual([]);
      expect(await rawPartition(w.tableNames.audit, LOG_PARTITION)).toHaveLength(5);
    }
  });
});
