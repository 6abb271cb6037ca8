import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureBucket, ensureTables } from '../../local/boot';
import { AccountStore, type NewAccount } from '../../shared/adapters/dynamo/account-store';
import { AcknowledgementCounter } from '../../shared/adapters/dynamo/acknowledgement-counter';
import { ComplianceRecords, PRIVACY_PARTITION } from '../../shared/adapters/dynamo/compliance-records';
import { EnvironmentRecords } from '../../shared/adapters/dynamo/environment-records';
import { LogPseudonyms } from '../../shared/adapters/dynamo/log-pseudonyms';
import { LOG_PARTITION, SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { SubjectIndex } from '../../shared/adapters/dynamo/subject-index';
import { DynamoTable, StaleRecordError, type Key } from '../../shared/adapters/dynamo/table';
import { TicketStore } from '../../shared/adapters/dynamo/ticket-store';
import { ObjectStore } from '../../shared/adapters/object-store';
import { SecretStore } from '../../shared/adapters/secret-store';
import { SubjectRecords } from '../../shared/adapters/subject-records';
import { TokenVault } from '../../shared/adapters/token-vault';
import type { AccountRecord } from '../../shared/domain/account';
import { NotFoundError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { pseudonym, subjectHashes, type PrivacySubject } from '../../shared/domain/privacy';
import type { NewSecurityEvent, SecurityEvent } from '../../shared/domain/security-event';
import type { Ticket } from '../../shared/domain/tickets';
import { epochSeconds } from '../../shared/domain/time';
import { recordKinds } from '../../shared/record-kinds';
import { secretNames } from '../../shared/secrets';
import type { TableName } from '../../shared/tables';
import { disconnectAccount } from '../../shared/use-cases/disconnect';
import { exportPrefix, handlePrivacyRequest, listPrivacyRequests, readPrivacyExport, type PrivacyDeps } from '../../shared/use-cases/privacy';
import { clients, names, uniquePrefix } from '../support/aws';
import { FakeClock } from '../support/fake-clock';
import { accountRecord, requestFacts } from '../support/memory-ports';

/**
 * Retention of what a privacy request reads, writes and exports (shared/use-cases/privacy.ts), with
 * PrivacyDeps composed from the real adapters as shared/wiring-privacy.ts does, over tables of each
 * test's own on dynalite, a bucket of this file's own on s3rver, token secrets under a prefix of its
 * own, a fixed hashing key, non-default retentions, and one fake clock every store shares.
 *
 * For each record kind with a timer: one second before its expiry every read path and an export see
 * it; from the expiry second on none does, while the raw item is still stored (DynamoDB's TTL deletes
 * late; dynalite never does); and a deletion after the expiry still erases the raw item (reads for
 * erasure include expired items).
 *
 * Start times carry milliseconds on purpose: DynamoDB expiries must still be whole seconds.
 */

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
const KEY = Buffer.alloc(32, 23);
const hashingKey = () => Promise.resolve(KEY);
const facts = requestFacts('POST', '/privacy/requests');

/** Non-default retentions (days). */
const RETENTION = { complianceDays: 40, exportDays: 5, securityLogDays: 30, supportDays: 20, quarantineDays: 4, disconnectedDays: 7 };

/** A record kind's name as shared/record-kinds.ts spells it (fails if it is not listed there). */
function kind(name: string): string {
  if (!recordKinds.some((k) => k.name === name)) throw new Error(`"${name}" is not a record kind in shared/record-kinds.ts`);
  return name;
}

const bucket = uniquePrefix('privret');
const objects = new ObjectStore(clients.s3, bucket);

beforeAll(async () => {
  await ensureBucket(clients.s3, bucket);
});

interface World {
  clock: FakeClock;
  tableNames: Record<TableName, string>;
  state: DynamoTable;
  workflow: DynamoTable;
  audit: DynamoTable;
  compliance: ComplianceRecords;
  tickets: TicketStore;
  accounts: AccountStore;
  securityLog: SecurityLog;
  vault: TokenVault;
  deps: PrivacyDeps;
}

async function world(start: string, retention: Partial<typeof RETENTION> = {}): Promise<World> {
  const days = { ...RETENTION, ...retention };
  const prefix = uniquePrefix('privacy-retention');
  const tableNames = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
  await ensureTables(clients.dynamoDb, tableNames, '(test)');
  const clock = new FakeClock(start);
  const state = new DynamoTable(clients.dynamo, tableNames.state, clock);
  const workflow = new DynamoTable(clients.dynamo, tableNames.workflow, clock);
  const audit = new DynamoTable(clients.dynamo, tableNames.audit, clock);
  const compliance = new ComplianceRecords(audit, days.complianceDays);
  const tickets = new TicketStore(workflow, clock, days.supportDays, days.quarantineDays);
  const securityLog = new SecurityLog(audit, clock, hashingKey, days.securityLogDays);
  const vault = new TokenVault(new SecretStore(clients.secrets, clock), secretNames(`${names.secretPrefix}${prefix}/`).tokens);
  const deps: PrivacyDeps = {
    clock,
    hashingKey,
    randomHex: () => randomBytes(4).toString('hex'),
    settings: { exportDays: days.exportDays },
    records: new SubjectRecords({ workflow, state, subjects: new SubjectIndex(workflow), tickets, vault, media: objects, mail: objects, hashingKey }),
    log: new LogPseudonyms(audit, clock, days.securityLogDays),
    compliance,
    exports: {
      put: (key, body) => objects.put(key, body, 'application/json'),
      get: async (key) => (await objects.get(key))?.body,
      delete: (key) => objects.delete(key),
    },
    securityLog,
  };
  return { clock, tableNames, state, workflow, audit, compliance, tickets, accounts: new AccountStore(workflow), securityLog, vault, deps };
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

/** Every item of a table as stored. */
async function scan(tableName: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The stored `expiresAt`, which must be a whole number of epoch seconds. */
function expiryOf(item: Record<string, unknown> | undefined): number {
  const value = item?.expiresAt;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`expiresAt is not whole epoch seconds: ${JSON.stringify(value)}`);
  return value;
}

/** The export document, as far as these tests read it. */
interface ExportDocument {
  format: string;
  requestId: string;
  expiresAt: string;
  subject: PrivacySubject;
  pinterestAccount?: { connections: AccountRecord[]; oauthResponses: SecurityEvent[]; boards: unknown[]; pins: unknown[] };
  email?: { tickets: Array<Ticket & { rawMail: string[] }>; acknowledgementsPerDay: Array<{ day: string; count: number }> };
  securityLog: SecurityEvent[];
  complianceRecords: Array<{ id: string; type: string; status: string }>;
}

const exportKey = (id: string) => `${exportPrefix}${id}.json`;

/** An export request, and its document read back as the API serves it (GET /privacy/requests/{id}/export). */
async function exportNow(w: World, subject: PrivacySubject) {
  const result = await handlePrivacyRequest(w.deps, { type: 'export', subject }, facts);
  const document = JSON.parse((await readPrivacyExport(w.deps, result.id)).toString('utf8')) as ExportDocument;
  expect(document.requestId).toBe(result.id);
  return { id: result.id, expiresAt: result.export?.expiresAt ?? '', document };
}

async function deleteNow(w: World, subject: PrivacySubject) {
  const result = await handlePrivacyRequest(w.deps, { type: 'delete', subject }, facts);
  expect(result.status).toBe('completed');
  return result;
}

const idsOf = (items: ReadonlyArray<{ id: string }> | undefined) => (items ?? []).map((item) => item.id);
const uniqueAccountId = () => `1${String(Date.now()).slice(-8)}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
const uniqueEmail = () => `reader-${randomUUID().slice(0, 8)}@example.org`;

describe(kind('Compliance records of privacy requests'), () => {
  it('expire RETENTION_COMPLIANCE_DAYS (here 40) after the request; get, list, about, listPrivacyRequests and a later export see one up to the second before, none of them from the expiry second on', async () => {
    const w = await world('2026-03-10T12:00:00.650Z');
    const subject = { email: uniqueEmail() };
    const hashes = subjectHashes(KEY, subject);
    const writtenAt = w.clock.seconds;
    const first = await handlePrivacyRequest(w.deps, { type: 'export', subject }, facts);
    const key = { pk: PRIVACY_PARTITION, sk: `REQUEST#${first.id}` };
    const expiry = expiryOf(await raw(w.tableNames.audit, key));
    expect(expiry).toBe(writtenAt + 40 * DAY_S);
    // Completing the request (a later write) keeps the expiry of its creation.
    expect(await raw(w.tableNames.audit, key)).toMatchObject({ status: 'completed', version: 2, expiresAt: expiry });
    expect(first.requestedAt).toBe('2026-03-10T12:00:00.650Z');

    const listed = async () => idsOf((await w.compliance.list({ limit: 50 })).items);
    const routed = async () => idsOf((await listPrivacyRequests(w.deps, { limit: 50 })).requests);

    at(w.clock, expiry - 1);
    const record = await w.compliance.get(first.id);
    expect(record).toMatchObject({ id: first.id, type: 'export', status: 'completed', version: 2 });
    if (record === undefined) throw new Error('no record');
    await expect(listed()).resolves.toEqual([first.id]);
    await expect(routed()).resolves.toEqual([first.id]);
    expect(idsOf(await w.compliance.about(hashes))).toEqual([first.id]);
    const before = await exportNow(w, subject);
    expect(before.document.complianceRecords).toEqual([expect.objectContaining({ id: first.id, type: 'export', status: 'completed' })]);

    for (const second of [expiry, expiry + 1]) {
      at(w.clock, second);
      await expect(w.compliance.get(first.id)).resolves.toBeUndefined();
      await expect(w.compliance.update(record, { ticketId: 'late write' })).rejects.toBeInstanceOf(StaleRecordError);
      expect(await listed()).not.toContain(first.id);
      expect(await routed()).not.toContain(first.id);
      expect(await listed()).toContain(before.id);
      expect(idsOf(await w.compliance.about(hashes))).not.toContain(first.id);
      const later = await exportNow(w, subject);
      expect(idsOf(later.document.complianceRecords)).not.toContain(first.id);
      expect(idsOf(later.document.complianceRecords)).toContain(before.id);
      expect(await raw(w.tableNames.audit, key)).toMatchObject({ id: first.id, status: 'completed', expiresAt: expiry });
    }

    // A deletion leaves compliance records in place by design (they hold the subject only as keyed
    // hashes), the expired one included: there is nothing in it to erase.
    await deleteNow(w, subject);
    const stored = await raw(w.tableNames.audit, key);
    expect(stored).toMatchObject({ subject: { hashes, kinds: ['email'] }, expiresAt: expiry });
    expect(JSON.stringify(stored)).not.toContain(subject.email);
  });
});

describe(kind('Privacy exports'), () => {
  it('are served until RETENTION_EXPORT_DAYS (here 5) after the request, and are NotFoundError from then on while the object is still in the bucket', async () => {
    const w = await world('2026-03-10T12:00:00.650Z');
    const subject = { email: uniqueEmail() };
    const made = await exportNow(w, subject);
    const expiresAtMs = Date.parse('2026-03-10T12:00:00.650Z') + 5 * DAY_MS;
    expect(made.expiresAt).toBe(new Date(expiresAtMs).toISOString());
    expect(made.document.expiresAt).toBe(made.expiresAt);
    expect((await w.compliance.get(made.id))?.export).toEqual({ key: exportKey(made.id), expiresAt: made.expiresAt });

    for (const ms of [expiresAtMs - 1000, expiresAtMs - 1]) {
      w.clock.set(new Date(ms));
      const served = JSON.parse((await readPrivacyExport(w.deps, made.id)).toString('utf8')) as ExportDocument;
      expect(served).toEqual(made.document);
    }
    for (const ms of [expiresAtMs, expiresAtMs + 1000, expiresAtMs + 2 * DAY_MS]) {
      w.clock.set(new Date(ms));
      await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(NotFoundError);
      await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(/expired/);
      // The bucket's lifecycle rule deletes it later; the compliance record still lives.
      expect((await objects.get(exportKey(made.id)))?.body.toString('utf8')).toContain(made.id);
      await expect(w.compliance.get(made.id)).resolves.toMatchObject({ id: made.id });
    }
  });

  it('a later deletion of the same subject erases the export object and marks the record (export.erasedAt); the export is NotFoundError from then on', async () => {
    const w = await world('2026-03-10T12:00:00.650Z');
    const subject = { email: uniqueEmail() };
    const made = await exportNow(w, subject);
    w.clock.advance(DAY_MS);
    const deletion = await deleteNow(w, subject);
    expect(deletion.counts).toMatchObject({ earlierExportsErased: 1 });
    expect(await objects.get(exportKey(made.id))).toBeUndefined();
    const marked = await w.compliance.get(made.id);
    expect(marked?.export).toEqual({ key: exportKey(made.id), expiresAt: made.expiresAt, erasedAt: w.clock.now().toISOString() });
    await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(NotFoundError);
    await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(/erased/);
    const listed = (await listPrivacyRequests(w.deps, { limit: 10 })).requests.find((request) => request.id === made.id);
    expect(listed?.export).toEqual({ expiresAt: made.expiresAt, erasedAt: w.clock.now().toISOString() });
  });

  it('a deletion after the export expired erases the object the bucket still holds (its lifecycle rule runs late)', async () => {
    const w = await world('2026-03-10T12:00:00.650Z');
    const subject = { email: uniqueEmail() };
    const made = await exportNow(w, subject);
    w.clock.set(new Date(Date.parse(made.expiresAt) + DAY_MS));
    await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(NotFoundError);
    expect(await objects.get(exportKey(made.id))).toBeDefined();

    const deletion = await deleteNow(w, subject);
    expect(deletion.counts).toMatchObject({ earlierExportsErased: 1 });
    expect(await objects.get(exportKey(made.id))).toBeUndefined();
    expect((await w.compliance.get(made.id))?.export?.erasedAt).toBe(w.clock.now().toISOString());
  });

  // Was a bug: a deletion found earlier exports only through live compliance records, and nothing
  // requires RETENTION_COMPLIANCE_DAYS >= RETENTION_EXPORT_DAYS; a deletion now reads expired records too.
  it('a deletion after the compliance record of an export expired still erases the export object the bucket holds', async () => {
    const w = await world('2026-03-10T12:00:00.650Z', { complianceDays: 3, exportDays: 5 });
    const subject = { email: uniqueEmail() };
    const made = await exportNow(w, subject);
    const expiry = expiryOf(await raw(w.tableNames.audit, { pk: PRIVACY_PARTITION, sk: `REQUEST#${made.id}` }));
    at(w.clock, expiry + 3600);
    await expect(readPrivacyExport(w.deps, made.id)).rejects.toThrow(NotFoundError);
    expect((await objects.get(exportKey(made.id)))?.body.toString('utf8')).toContain(subject.email);

    await deleteNow(w, subject);
    expect(await objects.get(exportKey(made.id))).toBeUndefined();
  });
});

describe('Records an export includes, with a timer', () => {
  describe(kind('Connected accounts and token metadata'), () => {
    it('after a disconnect: in an export up to the second before RETENTION_DISCONNECTED_ACCOUNT_DAYS (here 7) end, in none from the expiry second on; a deletion after the expiry still erases the stored record', async () => {
      const w = await world('2026-03-10T12:00:00.600Z');
      const accountId = uniqueAccountId();
      const connectionId = `connection-${randomUUID().slice(0, 8)}`;
      const secretName = await w.vault.store('sandbox', accountId, connectionId, { accessToken: `pina_${randomUUID()}`, refreshToken: `pinr_${randomUUID()}` });
      const connected: Partial<AccountRecord> = accountRecord({ environment: 'sandbox', status: 'connected', accountId, connectionId, secretName, connectedAt: w.clock.now().toISOString() });
      delete connected.version;
      await w.accounts.replace(connected as NewAccount, undefined);
      const key = { pk: 'ACCOUNT#sandbox', sk: 'CURRENT' };

      const writtenAt = w.clock.seconds;
      await disconnectAccount(
        { clock: w.clock, accounts: w.accounts, vault: w.vault, securityLog: w.securityLog, records: new EnvironmentRecords(w.workflow), settings: { disconnectedRetentionDays: 7 } },
        'sandbox',
        requestFacts('POST', '/account/disconnect'),
      );
      const expiry = expiryOf(await raw(w.tableNames.workflow, key));
      expect(expiry).toBe(writtenAt + 7 * DAY_S);
      const subject: PrivacySubject = { pinterestAccountId: accountId, environment: 'sandbox' };

      at(w.clock, expiry - 1);
      const before = await exportNow(w, subject);
      expect(before.document.pinterestAccount?.connections).toEqual([expect.objectContaining({ accountId, connectionId, secretName, status: 'disconnected', expiresAt: expiry })]);

      for (const second of [expiry, expiry + 1]) {
        at(w.clock, second);
        const after = await exportNow(w, subject);
        expect(after.document.pinterestAccount?.connections).toEqual([]);
        expect(after.document.pinterestAccount?.boards).toEqual([]);
        expect(JSON.stringify(after.document.pinterestAccount)).not.toContain(connectionId);
        await expect(w.accounts.get('sandbox')).resolves.toBeUndefined();
        expect(await raw(w.tableNames.workflow, key)).toMatchObject({ accountId, status: 'disconnected', expiresAt: expiry });
      }

      const deletion = await deleteNow(w, subject);
      expect(deletion.counts).toMatchObject({ accountRecords: 1, tokenSecrets: 1, earlierExportsErased: 3 });
      expect(await raw(w.tableNames.workflow, key)).toBeUndefined();
      expect(JSON.stringify(await scan(w.tableNames.workflow))).not.toContain(accountId);
      expect(await w.vault.read(secretName, { bypassCache: true })).toBeUndefined();
      expect(await objects.get(exportKey(before.id))).toBeUndefined();
    });
  });

  describe(`${kind('Support tickets')}, with their ${kind('Raw support mail')}, ${kind('Quarantined mail')} and ${kind('Sent-mail index')} entries`, () => {
    function ticket(clock: FakeClock, changes: Partial<Ticket>): Ticket {
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
        acknowledgement: { state: 'skipped', reason: 'unauthenticated' },
        replies: [],
        version: 1,
        createdAt: now,
        updatedAt: now,
        ...changes,
      };
    }
    const ticketKey = (t: Ticket) => ({ pk: `TICKET#${t.reference}`, sk: 'TICKET' });

    it('in an export up to the second before RETENTION_SUPPORT_DAYS (here 20; a quarantined one RETENTION_QUARANTINE_DAYS, here 4) end, in none from the expiry second on; a deletion after both expired still erases them, their raw mail and sent-mail entries', async () => {
      const w = await world('2026-03-10T12:00:00.800Z');
      const email = uniqueEmail();
      const ackMessageId = `<${randomUUID()}@publisher.example.test>`;
      const kept = ticket(w.clock, {
        from: { address: email, name: 'Reader' },
        s3Key: `mail/inbound/${randomUUID()}`,
        acknowledgement: { state: 'sent', to: email, messageId: ackMessageId, at: w.clock.now().toISOString() },
      });
      const quarantined = ticket(w.clock, { from: { address: email.toUpperCase(), name: '' }, flagged: true, quarantine: ['spam'], s3Key: `mail/quarantine/${randomUUID()}` });
      const someoneElse = ticket(w.clock, { from: { address: uniqueEmail(), name: '' }, s3Key: `mail/inbound/${randomUUID()}` });
      const writtenAt = w.clock.seconds;
      for (const t of [kept, quarantined, someoneElse]) {
        await objects.put(t.s3Key ?? '', Buffer.from(`From: ${t.from?.address ?? ''}\r\n\r\nHello`), 'message/rfc822');
        await w.tickets.create(t);
      }
      await w.tickets.rememberSent(ackMessageId, kept.reference);
      const quarantineExpiry = expiryOf(await raw(w.tableNames.workflow, ticketKey(quarantined)));
      const supportExpiry = expiryOf(await raw(w.tableNames.workflow, ticketKey(kept)));
      expect(quarantineExpiry).toBe(writtenAt + 4 * DAY_S);
      expect(supportExpiry).toBe(writtenAt + 20 * DAY_S);
      expect(expiryOf(await raw(w.tableNames.workflow, { pk: `SENT_MAIL#${ackMessageId}`, sk: 'SENT' }))).toBe(supportExpiry);
      const subject = { email };
      const exported = async () =>
        ((await exportNow(w, subject)).document.email?.tickets ?? []).map((t) => ({ reference: t.reference, rawMail: t.rawMail })).sort((a, b) => a.reference.localeCompare(b.reference));

      at(w.clock, quarantineExpiry - 1);
      expect(await exported()).toEqual(
        [
          { reference: kept.reference, rawMail: [kept.s3Key] },
          { reference: quarantined.reference, rawMail: [quarantined.s3Key] },
        ].sort((a, b) => a.reference.localeCompare(b.reference)),
      );
      for (const second of [quarantineExpiry, quarantineExpiry + 1]) {
        at(w.clock, second);
        expect(await exported()).toEqual([{ reference: kept.reference, rawMail: [kept.s3Key] }]);
        await expect(w.tickets.get(quarantined.reference)).resolves.toBeUndefined();
        expect(await raw(w.tableNames.workflow, ticketKey(quarantined))).toMatchObject({ flagged: true, expiresAt: quarantineExpiry });
      }
      at(w.clock, supportExpiry - 1);
      expect(await exported()).toEqual([{ reference: kept.reference, rawMail: [kept.s3Key] }]);
      for (const second of [supportExpiry, supportExpiry + 1]) {
        at(w.clock, second);
        expect(await exported()).toEqual([]);
        await expect(w.tickets.get(kept.reference)).resolves.toBeUndefined();
        await expect(w.tickets.ticketOfSent(ackMessageId)).resolves.toBeUndefined();
        expect(await raw(w.tableNames.workflow, ticketKey(kept))).toMatchObject({ reference: kept.reference, expiresAt: supportExpiry });
      }

      const deletion = await deleteNow(w, subject);
      expect(deletion.counts).toMatchObject({ tickets: 2, rawMailObjects: 2, sentMailEntries: 1 });
      expect(await raw(w.tableNames.workflow, ticketKey(kept))).toBeUndefined();
      expect(await raw(w.tableNames.workflow, ticketKey(quarantined))).toBeUndefined();
      expect(await raw(w.tableNames.workflow, { pk: `SENT_MAIL#${ackMessageId}`, sk: 'SENT' })).toBeUndefined();
      expect(await objects.get(kept.s3Key ?? '')).toBeUndefined();
      expect(await objects.get(quarantined.s3Key ?? '')).toBeUndefined();
      expect(JSON.stringify(await scan(w.tableNames.workflow)).toLowerCase()).not.toContain(email);
      // Someone else's ticket and mail stay.
      expect(await raw(w.tableNames.workflow, ticketKey(someoneElse))).toMatchObject({ reference: someoneElse.reference });
      expect(await objects.get(someoneElse.s3Key ?? '')).toBeDefined();
    });
  });

  describe(kind('Acknowledgement counters'), () => {
    it('in an export up to the second before an hour after their UTC day, in none from the expiry second on; a deletion after the expiry still erases the counter', async () => {
      const w = await world('2026-03-10T15:20:30.250Z');
      const counter = new AcknowledgementCounter(w.state, w.clock, hashingKey);
      const email = uniqueEmail();
      const key = { pk: `ACK#${keyedHash(KEY, 'mail-recipient', email)}`, sk: '2026-03-10' };
      await counter.count(email);
      await expect(counter.count(` ${email.toUpperCase()} `)).resolves.toBe(2);
      const expiry = expiryOf(await raw(w.tableNames.state, key));
      expect(expiry).toBe(epochSeconds(new Date('2026-03-11T01:00:00Z')));
      const subject = { email };

      at(w.clock, expiry - 1);
      expect((await exportNow(w, subject)).document.email?.acknowledgementsPerDay).toEqual([{ day: '2026-03-10', count: 2 }]);
      for (const second of [expiry, expiry + 1]) {
        at(w.clock, second);
        expect((await exportNow(w, subject)).document.email?.acknowledgementsPerDay).toEqual([]);
        expect(await raw(w.tableNames.state, key)).toMatchObject({ count: 2, expiresAt: expiry });
      }

      const deletion = await deleteNow(w, subject);
      expect(deletion.counts).toMatchObject({ acknowledgementCounters: 1 });
      expect(await raw(w.tableNames.state, key)).toBeUndefined();
      expect(await scan(w.tableNames.state)).toEqual([]);
    });
  });

  describe(kind('Security log and OAuth response metadata'), () => {
    async function scene(w: World, accountId: string, email: string) {
      // A millisecond apart, so the log's order (time, then id) is the order written.
      const write = (event: NewSecurityEvent) => {
        w.clock.advance(1);
        return w.securityLog.write(event);
      };
      const named = [
        await write({ kind: 'oauth_callback', outcome: 'ok', path: '/oauth/callback', clientAddress: '203.0.113.9', detail: { environment: 'sandbox', accountId, scopes: ['boards:read', 'pins:write'] } }),
        await write({ kind: 'account', outcome: 'ok', detail: { environment: 'sandbox', accountId, step: 'confirmed' } }),
        await write({ kind: 'privacy_request', outcome: 'ok', detail: { from: `Reader <${email}>` } }),
      ];
      const unrelated = await write({ kind: 'account', outcome: 'ok', detail: { environment: 'sandbox', accountId: `${accountId}9` } });
      return { named, unrelated };
    }

    it('entries naming the subject are in an export up to the second before RETENTION_SECURITY_LOG_DAYS (here 30) end, in none from the expiry second on; a deletion after the expiry still pseudonymises them', async () => {
      const w = await world('2026-03-10T12:00:00.450Z');
      const accountId = uniqueAccountId();
      const email = uniqueEmail();
      const writtenAt = w.clock.seconds;
      const { named, unrelated } = await scene(w, accountId, email);
      const keyOf = (entry: SecurityEvent) => ({ pk: LOG_PARTITION, sk: `${entry.time}#${entry.id}` });
      const expiry = writtenAt + 30 * DAY_S;
      for (const entry of [...named, unrelated]) expect(expiryOf(await raw(w.tableNames.audit, keyOf(entry)))).toBe(expiry);
      const subject: PrivacySubject = { pinterestAccountId: accountId, email };

      at(w.clock, expiry - 1);
      const before = (await exportNow(w, subject)).document;
      expect(idsOf(before.securityLog)).toEqual(idsOf(named));
      expect(idsOf(before.pinterestAccount?.oauthResponses)).toEqual([named[0]?.id]);
      expect(before.securityLog[0]).toEqual(named[0]);

      for (const second of [expiry, expiry + 1]) {
        at(w.clock, second);
        const after = (await exportNow(w, subject)).document;
        expect(after.securityLog).toEqual([]);
        expect(after.pinterestAccount?.oauthResponses).toEqual([]);
        for (const entry of named) expect(await raw(w.tableNames.audit, keyOf(entry))).toMatchObject({ id: entry.id, expiresAt: expiry });
      }

      // Erasing a log entry is pseudonymising it (kept for its retention, linkable, not readable): the
      // expired entries DynamoDB has not deleted yet are rewritten too, and no identifier is left.
      const deletion = await deleteNow(w, subject);
      expect(deletion.counts).toMatchObject({ securityLogEntriesPseudonymised: 3 });
      expect(await raw(w.tableNames.audit, keyOf(named[0] as SecurityEvent))).toMatchObject({ detail: { environment: 'sandbox', accountId: pseudonym(KEY, accountId), scopes: ['boards:read', 'pins:write'] }, expiresAt: expiry });
      expect(await raw(w.tableNames.audit, keyOf(named[1] as SecurityEvent))).toMatchObject({ detail: { accountId: pseudonym(KEY, accountId), step: 'confirmed' } });
      expect(await raw(w.tableNames.audit, keyOf(named[2] as SecurityEvent))).toMatchObject({ detail: { from: pseudonym(KEY, `Reader <${email}>`) } });
      expect(await raw(w.tableNames.audit, keyOf(unrelated))).toMatchObject({ detail: { accountId: `${accountId}9` } });
      const audit = (await scan(w.tableNames.audit)).filter((item) => item.id !== unrelated.id);
      expect(JSON.stringify(audit)).not.toContain(accountId);
      expect(JSON.stringify(audit).toLowerCase()).not.toContain(email);
    });

    // Was a bug: an entry TTL deleted between the read and its rewrite failed the whole deletion; an
    // entry that no longer exists now counts as done.
    it('a deletion completes when TTL deletes an expired entry between finding and pseudonymising it', async () => {
      const w = await world('2026-03-10T12:00:00.450Z');
      const accountId = uniqueAccountId();
      const email = uniqueEmail();
      const { named } = await scene(w, accountId, email);
      at(w.clock, epochSeconds(w.clock.now()) + 31 * DAY_S);
      const real = new LogPseudonyms(w.audit, w.clock, 30);
      const ttl: PrivacyDeps['log'] = {
        naming: async (identifiers, options) => {
          const found = await real.naming(identifiers, options);
          const first = found[0];
          if (options?.includeExpired === true && first !== undefined) {
            await clients.dynamo.send(new DeleteCommand({ TableName: w.tableNames.audit, Key: { pk: first.pk, sk: first.sk } }));
          }
          return found;
        },
        pseudonymise: (entry, identifiers, key) => real.pseudonymise(entry, identifiers, key),
      };
      const result = await handlePrivacyRequest({ ...w.deps, log: ttl }, { type: 'delete', subject: { pinterestAccountId: accountId, email } }, facts);
      expect(result).toMatchObject({ status: 'completed', counts: { securityLogEntriesPseudonymised: 2 } });
      expect(named).toHaveLength(3);
    });
  });
});
