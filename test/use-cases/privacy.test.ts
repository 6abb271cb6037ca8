import { namedFields, namesOne, type StoredLogEntry } from '../../shared/adapters/dynamo/log-pseudonyms';
import type { AccountHoldings, EmailHoldings } from '../../shared/adapters/subject-records';
import type { BoardRecord } from '../../shared/domain/boards';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors';
import type { PinRecord, PinStatus } from '../../shared/domain/pins';
import { newRequestId, normalEmail, pseudonym, requestIdPattern, subjectHashes, type ComplianceRecord, type PrivacySubject } from '../../shared/domain/privacy';
import type { NewSecurityEvent, SecurityEvent, SecurityEventKind } from '../../shared/domain/security-event';
import type { Ticket } from '../../shared/domain/tickets';
import type { Clock } from '../../shared/domain/time';
import { exportFormat, handlePrivacyRequest, listPrivacyRequests, readPrivacyExport, type PrivacyDeps, type PrivacyRequest } from '../../shared/use-cases/privacy';
import { FakeClock } from '../support/fake-clock';
import { MemorySecurityLog, accountRecord, requestFacts } from '../support/memory-ports';
import { io } from '../support/memory-stores';
import { rejectionOf } from '../support/rejection';

/**
 * Privacy requests (shared/use-cases/privacy.ts) over in-memory ports, one layer only: compliance
 * records with the adapter's rule (every change conditional on the version read, ConflictError when it
 * moved), an export object map, a records port answering holdings built here (and forgetting them once
 * erased, as the real stores do), a log port that finds and rewrites entries naming an identifier as a
 * whole (case-insensitively, as shared/adapters/dynamo/log-pseudonyms.ts does), the recording security
 * log, a fake clock, a fixed hashing key and counted random hex. Every write of every port goes into
 * one journal, so a test can check what happened before what.
 */

const KEY = Buffer.alloc(32, 11);
const START = '2026-12-02T10:15:00.123Z';
const EXPORT_DAYS = 7;
const DAY_MS = 86_400_000;
const facts = requestFacts('POST', '/privacy/requests');

const ACCOUNT = '1000000000000000001';
const OTHER_ACCOUNT = '2000000000000000002';
const EMAIL = 'Bob@X.com';
const ADDRESS = 'bob@x.com';
const CONNECTION = accountRecord({ status: 'connected', confirmedAt: '2026-11-01T09:00:00.000Z' });
const CONNECTION_ID = CONNECTION.connectionId;
const SECRET = CONNECTION.secretName;
const PIN_DRAFT = 'pin-7f3a9c21';
const PIN_PUBLISHED = 'pin-2b8e4d10';
const PINTEREST_PIN = '1125899906842625';
const BOARD_A = '9001000000000000001';
const BOARD_B = '9001000000000000002';
const SHA = 'a'.repeat(64);
const MEDIA_KEY = `media/sandbox/${ACCOUNT}/${SHA}`;
const REF_MAIL = 'MDZ-7KQ2M9XHTA';
const REF_FORM = 'MDZ-P6FEC3X9FJ';

/** Everything that names the subject in the security log, as the use case should search for it. */
const IDENTIFIERS = [ACCOUNT, CONNECTION_ID, SECRET, PIN_DRAFT, PIN_PUBLISHED, BOARD_A, PINTEREST_PIN, BOARD_B, ADDRESS, REF_MAIL, REF_FORM];

type RecordsPort = PrivacyDeps['records'];
type LogPort = PrivacyDeps['log'];
type CompliancePort = PrivacyDeps['compliance'];
type ExportsPort = PrivacyDeps['exports'];

// ---------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------

function pinRecord(pinId: string, status: PinStatus, changes: Partial<PinRecord> = {}): PinRecord {
  return {
    pinId,
    environment: 'sandbox',
    accountId: ACCOUNT,
    status,
    version: 3,
    content: { boardId: BOARD_A, title: 'Morning light', media: { kind: 'stored', sha256: SHA, contentType: 'image/png', bytes: 1024, key: MEDIA_KEY, ref: `ref-${pinId}` } },
    history: [{ action: 'create', from: null, to: 'draft', at: '2026-11-30T08:00:00.000Z', by: 'operator', version: 1 }],
    createdAt: '2026-11-30T08:00:00.000Z',
    updatedAt: '2026-11-30T08:00:00.000Z',
    ...changes,
  };
}

const publishedPin = () =>
  pinRecord(PIN_PUBLISHED, 'published', {
    published: { pinterestPinId: PINTEREST_PIN, boardId: BOARD_A, httpStatus: 201, publishedAt: '2026-11-30T09:00:00.000Z', url: `https://www.pinterest.com/pin/${PINTEREST_PIN}/` },
  });

function board(boardId: string, name: string): BoardRecord {
  return { environment: 'sandbox', boardId, name, privacy: 'PUBLIC', ownerUsername: 'mira', collaboratorCount: 0, group: false, syncedAt: '2026-11-29T07:00:00.000Z' };
}

function accountHoldings(pins: PinRecord[] = [pinRecord(PIN_DRAFT, 'draft'), publishedPin()]): AccountHoldings {
  return {
    accounts: [CONNECTION],
    pinned: [{ environment: 'sandbox', accountId: ACCOUNT, pinnedAt: '2026-11-01T09:00:00.000Z' }],
    syncs: [],
    pins,
    boards: [
      {
        environment: 'sandbox',
        boards: [board(BOARD_A, 'Light'), board(BOARD_B, 'Spring')],
        sections: [{ boardId: BOARD_B, sections: [{ id: '5011', name: 'Tulips' }], fetchedAt: '2026-11-29T07:01:00.000Z' }],
        snapshot: { syncedAt: '2026-11-29T07:00:00.000Z', jobId: 'sandbox.job-1', boardCount: 2 },
      },
    ],
    media: [MEDIA_KEY],
  };
}

function ticket(reference: string, changes: Partial<Ticket> = {}): Ticket {
  return {
    reference,
    source: 'mail',
    status: 'open',
    flagged: false,
    from: { address: EMAIL, name: 'Bob' },
    subject: 'My data',
    receivedAt: '2026-12-01T08:00:00.000Z',
    snippet: 'Please send me what you hold about me',
    attachments: [],
    acknowledgement: { state: 'sent', to: ADDRESS, messageId: `<ack-${reference}@ecooffice.net>`, at: '2026-12-01T08:00:01.000Z' },
    replies: [],
    version: 2,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-01T08:00:01.000Z',
    ...changes,
  };
}

const mailTicket = () =>
  ticket(REF_MAIL, { s3Key: 'mail/inbound/ses-1', returned: [{ at: '2026-12-01T08:05:00.000Z', sesMessageId: 'ses-2', s3Key: 'mail/inbound/ses-2' }] });
const formTicket = () => ticket(REF_FORM, { source: 'form', topic: 'data_access', privacyCandidate: 'data_access', text: 'Send me my data' });

function emailHoldings(): EmailHoldings {
  return { tickets: [mailTicket(), formTicket()], rawMail: ['mail/inbound/ses-1', 'mail/inbound/ses-2'], acknowledgements: [{ day: '2026-12-01', count: 2 }] };
}

function logEntry(id: string, kind: SecurityEventKind, fields: Partial<SecurityEvent> = {}): StoredLogEntry {
  const time = `2026-11-${id.slice(1)}T12:00:00.000Z`;
  return { pk: 'LOG', sk: `${time}#${id}`, id, time, kind, outcome: 'ok', clientHash: 'client-hash', userAgent: 'curl/8', ...fields };
}

/** e01–e07 name the subject, each by a different identifier; e08, e09 do not; e10 names it but is past its expiry. */
function logEntries(): StoredLogEntry[] {
  return [
    logEntry('e01', 'oauth_callback', { detail: { accountId: ACCOUNT, connectionId: CONNECTION_ID, scopes: ['boards:read', 'pins:write'] } }),
    logEntry('e02', 'pin_publish', { path: `/pins/${PIN_DRAFT}/approve`, method: 'POST', detail: { pin: PIN_DRAFT } }),
    logEntry('e03', 'pin_publish', { detail: { pinterestPinId: PINTEREST_PIN } }),
    logEntry('e04', 'http_request', { path: `/boards/${BOARD_B}/sections`, method: 'GET', status: 200 }),
    logEntry('e05', 'account', { detail: { secretName: SECRET, step: 'secret_not_deleted' } }),
    logEntry('e06', 'http_request', { path: `/support/tickets/${REF_MAIL}`, method: 'GET', status: 200 }),
    logEntry('e07', 'http_request', { detail: { to: 'BOB@x.com' } }),
    logEntry('e08', 'http_request', { path: '/health', method: 'GET', status: 200 }),
    logEntry('e09', 'oauth_callback', { detail: { accountId: OTHER_ACCOUNT } }),
    logEntry('e10', 'account', { detail: { accountId: ACCOUNT, step: 'disconnected' } }),
  ];
}
const NAMING = ['e01', 'e02', 'e03', 'e04', 'e05', 'e06', 'e07'];
const EXPIRED = 'e10';

const withoutKeys = (entry: StoredLogEntry): SecurityEvent => Object.fromEntries(Object.entries(entry).filter(([name]) => name !== 'pk' && name !== 'sk')) as SecurityEvent;

// ---------------------------------------------------------------------------------------------------
// In-memory ports
// ---------------------------------------------------------------------------------------------------

/** Compliance records as the audit-table adapter keeps them: one write per change, conditional on the version read. */
class MemoryCompliance implements CompliancePort {
  readonly records = new Map<string, ComplianceRecord>();
  readonly listCalls: Array<{ limit: number; cursor?: string }> = [];
  readonly aboutCalls: string[][] = [];
  private readonly interference = new Map<string, () => void>();

  constructor(private readonly journal: string[]) {}

  seed(record: ComplianceRecord): void {
    this.records.set(record.id, structuredClone(record));
  }

  /** Runs `during` when the record `id` is next updated, before the version is checked (another writer got there first). */
  beforeNextUpdateOf(id: string, during: () => void): void {
    this.interference.set(id, during);
  }

  create(record: ComplianceRecord): Promise<void> {
    return io(() => {
      if (this.records.has(record.id)) throw new ConflictError(`Compliance record ${record.id} exists already`);
      this.records.set(record.id, structuredClone(record));
      this.journal.push(`compliance.create ${record.id} ${record.status}`);
    });
  }

  get(id: string): Promise<ComplianceRecord | undefined> {
    return io(() => {
      const record = this.records.get(id);
      return record === undefined ? undefined : structuredClone(record);
    });
  }

  update(record: ComplianceRecord, changes: Partial<Omit<ComplianceRecord, 'id' | 'version'>>): Promise<ComplianceRecord> {
    return io(() => {
      const during = this.interference.get(record.id);
      this.interference.delete(record.id);
      during?.();
      const current = this.records.get(record.id);
      if (current === undefined || current.version !== record.version) throw new ConflictError(`Compliance record ${record.id} changed meanwhile`, current?.status);
      const next: ComplianceRecord = { ...current, ...structuredClone(changes), version: current.version + 1 };
      this.records.set(record.id, next);
      this.journal.push(`compliance.update ${record.id} ${changes.status ?? (changes.export?.erasedAt === undefined ? 'changed' : 'export-erased')}`);
      return structuredClone(next);
    });
  }

  list(options: { limit: number; cursor?: string }): Promise<{ items: ComplianceRecord[]; cursor?: string }> {
    return io(() => {
      this.listCalls.push({ ...options });
      const all = [...this.records.values()].sort((a, b) => b.id.localeCompare(a.id));
      const start = options.cursor === undefined ? 0 : Number(options.cursor);
      const items = all.slice(start, start + options.limit).map((record) => structuredClone(record));
      const next = start + options.limit;
      return next < all.length ? { items, cursor: String(next) } : { items };
    });
  }

  about(hashes: readonly string[]): Promise<ComplianceRecord[]> {
    return io(() => {
      this.aboutCalls.push([...hashes]);
      return [...this.records.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .filter((record) => record.subject.hashes.some((hash) => hashes.includes(hash)))
        .map((record) => structuredClone(record));
    });
  }

  /** The stored record, throwing when there is none (a test's own precondition). */
  stored(id: string): ComplianceRecord {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no compliance record ${id}`);
    return record;
  }
}

/** The exports/ prefix of the data bucket. */
class MemoryExports implements ExportsPort {
  readonly objects = new Map<string, Buffer>();
  private duringNextPut: (() => Promise<unknown>) | undefined;
  private failNextPut: Error | undefined;

  constructor(private readonly journal: string[]) {}

  /** Runs `during` inside the next put, before the object is stored. */
  beforeNextPut(during: () => Promise<unknown>): void {
    this.duringNextPut = during;
  }

  failNext(error: Error): void {
    this.failNextPut = error;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const during = this.duringNextPut;
    this.duringNextPut = undefined;
    if (during !== undefined) await during();
    const failure = this.failNextPut;
    this.failNextPut = undefined;
    await io(() => {
      if (failure !== undefined) throw failure;
      this.objects.set(key, Buffer.from(body));
      this.journal.push(`exports.put ${key}`);
    });
  }

  get(key: string): Promise<Buffer | undefined> {
    return io(() => {
      const body = this.objects.get(key);
      return body === undefined ? undefined : Buffer.from(body);
    });
  }

  delete(key: string): Promise<void> {
    return io(() => {
      this.objects.delete(key);
      this.journal.push(`exports.delete ${key}`);
    });
  }

  /** The stored document, parsed. */
  document(key: string): Record<string, unknown> {
    const body = this.objects.get(key);
    if (body === undefined) throw new Error(`no object ${key}`);
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  }
}

const emptyAccount = (): AccountHoldings => ({ accounts: [], pinned: [], pins: [], boards: [], media: [], syncs: [] });
const emptyEmail = (): EmailHoldings => ({ tickets: [], rawMail: [], acknowledgements: [] });

type RecordsCall =
  | { op: 'ofAccount'; accountId: string; environment: string | undefined; includeExpired: boolean | undefined }
  | { op: 'ofEmail'; address: string; includeExpired: boolean | undefined }
  | { op: 'eraseAccount'; accountId: string; holdings: AccountHoldings; orphanSecrets?: readonly string[] }
  | { op: 'erasePins'; accountId: string; holdings: AccountHoldings }
  | { op: 'eraseEmail'; address: string; holdings: EmailHoldings };

/** The subject's holdings, answered from what a test put here; erasing forgets them (a later read finds nothing). */
class FakeRecords implements RecordsPort {
  readonly accounts = new Map<string, AccountHoldings>();
  readonly emails = new Map<string, EmailHoldings>();
  readonly calls: RecordsCall[] = [];
  private readonly failures = new Map<'eraseAccount' | 'eraseEmail' | 'erasePins', Error>();

  constructor(private readonly journal: string[]) {}

  failNext(op: 'eraseAccount' | 'eraseEmail' | 'erasePins', error: Error): void {
    this.failures.set(op, error);
  }

  private failure(op: 'eraseAccount' | 'eraseEmail' | 'erasePins'): Error | undefined {
    const error = this.failures.get(op);
    this.failures.delete(op);
    return error;
  }

  ofAccount(accountId: string, environment: PrivacySubject['environment'], options?: { includeExpired?: boolean }): Promise<AccountHoldings> {
    return io(() => {
      this.calls.push({ op: 'ofAccount', accountId, environment, includeExpired: options?.includeExpired });
      return structuredClone(this.accounts.get(accountId) ?? emptyAccount());
    });
  }

  eraseAccount(accountId: string, holdings: AccountHoldings, orphanSecrets: readonly string[] = []): Promise<Record<string, number>> {
    return io(() => {
      this.calls.push({ op: 'eraseAccount', accountId, holdings: structuredClone(holdings), ...(orphanSecrets.length === 0 ? {} : { orphanSecrets: [...orphanSecrets] }) });
      this.journal.push(`records.eraseAccount ${accountId}`);
      const error = this.failure('eraseAccount');
      if (error !== undefined) throw error;
      // The connection goes; the Pin records and images stay until erasePins.
      const stored = this.accounts.get(accountId);
      if (stored !== undefined) this.accounts.set(accountId, { ...emptyAccount(), pins: stored.pins, media: stored.media });
      const boardRecords = holdings.boards.reduce((sum, env) => sum + env.boards.length + env.sections.length + (env.snapshot === undefined ? 0 : 1), 0);
      const counts = {
        tokenSecrets: holdings.accounts.length,
        boardRecords,
        accountRecords: holdings.accounts.length + holdings.pinned.length,
      };
      // A count every erasure answers, to see that the use case adds them up.
      return { ...counts, itemsDeleted: Object.values(counts).reduce((sum, value) => sum + value, 0) };
    });
  }

  erasePins(accountId: string, holdings: AccountHoldings): Promise<Record<string, number>> {
    return io(() => {
      this.calls.push({ op: 'erasePins', accountId, holdings: structuredClone(holdings) });
      this.journal.push(`records.erasePins ${accountId}`);
      const error = this.failure('erasePins');
      if (error !== undefined) throw error;
      this.accounts.delete(accountId);
      const counts = {
        pinRecords: holdings.pins.length,
        pinterestPinHolders: holdings.pins.filter((pin) => pin.published !== undefined).length,
        imageObjects: holdings.media.length,
      };
      return { ...counts, itemsDeleted: Object.values(counts).reduce((sum, value) => sum + value, 0) };
    });
  }

  ofEmail(address: string, options?: { includeExpired?: boolean }): Promise<EmailHoldings> {
    return io(() => {
      this.calls.push({ op: 'ofEmail', address, includeExpired: options?.includeExpired });
      return structuredClone(this.emails.get(address) ?? emptyEmail());
    });
  }

  eraseEmail(address: string, holdings: EmailHoldings): Promise<Record<string, number>> {
    return io(() => {
      this.calls.push({ op: 'eraseEmail', address, holdings: structuredClone(holdings) });
      this.journal.push(`records.eraseEmail ${address}`);
      const error = this.failure('eraseEmail');
      if (error !== undefined) throw error;
      this.emails.delete(address);
      const counts = { tickets: holdings.tickets.length, rawMailObjects: holdings.rawMail.length, acknowledgementCounters: holdings.acknowledgements.length };
      return { ...counts, itemsDeleted: Object.values(counts).reduce((sum, value) => sum + value, 0) };
    });
  }

  ops(): string[] {
    return this.calls.map((call) => call.op);
  }
}

/** The fake finds entries with the adapter's own matcher (shared/adapters/dynamo/log-pseudonyms.ts). */
const needlesOf = (identifiers: readonly string[]) => identifiers.map((value) => value.trim().toLowerCase());

/** The security log's stored entries, searched and rewritten in place. */
class FakeLog implements LogPort {
  readonly entries: StoredLogEntry[] = [];
  /** Entries past their expiry that DynamoDB has not deleted yet. */
  readonly expired = new Set<string>();
  readonly namingCalls: Array<{ identifiers: string[]; includeExpired: boolean | undefined }> = [];
  readonly pseudonymiseCalls: Array<{ id: string; identifiers: string[]; key: Buffer }> = [];

  constructor(private readonly journal: string[]) {}

  naming(identifiers: readonly string[], options?: { includeExpired?: boolean }): Promise<StoredLogEntry[]> {
    return io(() => {
      this.namingCalls.push({ identifiers: [...identifiers], includeExpired: options?.includeExpired });
      const needles = needlesOf(identifiers);
      return this.entries
        .filter((entry) => options?.includeExpired === true || !this.expired.has(entry.id))
        .filter((entry) => namedFields(entry, needles).length > 0)
        .map((entry) => structuredClone(entry));
    });
  }

  pseudonymise(entry: StoredLogEntry, identifiers: readonly string[], key: Buffer): Promise<string[]> {
    return io(() => {
      this.pseudonymiseCalls.push({ id: entry.id, identifiers: [...identifiers], key: Buffer.from(key) });
      const stored = this.entry(entry.id);
      const needles = needlesOf(identifiers);
      const fields = namedFields(stored, needles);
      if (fields.length === 0) return [];
      this.journal.push(`log.pseudonymise ${entry.id}`);
      if (fields.includes('path') && stored.path !== undefined) stored.path = pseudonym(key, stored.path);
      if (stored.detail !== undefined) {
        stored.detail = Object.fromEntries(
          Object.entries(stored.detail).map(([name, value]) => {
            if (!fields.includes(`detail.${name}`)) return [name, value];
            if (typeof value === 'string') return [name, pseudonym(key, value)];
            if (Array.isArray(value)) return [name, value.map((item) => (namesOne(item, needles) ? pseudonym(key, item) : item))];
            return [name, value];
          }),
        );
      }
      return fields;
    });
  }

  entry(id: string): StoredLogEntry {
    const found = this.entries.find((entry) => entry.id === id);
    if (found === undefined) throw new Error(`no log entry ${id}`);
    return found;
  }
}

/** The recording security log, each write also in the journal. */
class JournalledSecurityLog extends MemorySecurityLog {
  constructor(
    clock: Clock,
    key: Buffer,
    private readonly journal: string[],
  ) {
    super(clock, key);
  }

  override write(event: NewSecurityEvent): Promise<SecurityEvent> {
    this.journal.push(`securityLog.write ${event.kind}`);
    return super.write(event);
  }
}

interface Scene {
  deps: PrivacyDeps;
  clock: FakeClock;
  journal: string[];
  compliance: MemoryCompliance;
  exportStore: MemoryExports;
  records: FakeRecords;
  log: FakeLog;
  securityLog: JournalledSecurityLog;
}

/** The subject (account and address) with every kind of holding, its log entries, nothing else stored. */
function scene(): Scene {
  const journal: string[] = [];
  const clock = new FakeClock(START);
  const compliance = new MemoryCompliance(journal);
  const exportStore = new MemoryExports(journal);
  const records = new FakeRecords(journal);
  const log = new FakeLog(journal);
  const securityLog = new JournalledSecurityLog(clock, KEY, journal);
  let draws = 0;
  const deps: PrivacyDeps = {
    clock,
    hashingKey: () => Promise.resolve(Buffer.from(KEY)),
    randomHex: () => {
      draws += 1;
      return (0xa0000000 + draws).toString(16);
    },
    settings: { exportDays: EXPORT_DAYS },
    records,
    log,
    compliance,
    exports: exportStore,
    securityLog,
  };
  records.accounts.set(ACCOUNT, accountHoldings());
  records.emails.set(ADDRESS, emailHoldings());
  log.entries.push(...logEntries());
  log.expired.add(EXPIRED);
  return { deps, clock, journal, compliance, exportStore, records, log, securityLog };
}

const BOTH: PrivacySubject = { pinterestAccountId: ACCOUNT, email: EMAIL };
const request = (type: PrivacyRequest['type'], subject: PrivacySubject = BOTH, ticketId?: string): PrivacyRequest => ({ type, subject, ...(ticketId === undefined ? {} : { ticketId }) });
const exportKeyOf = (id: string) => `exports/${id}.json`;
const expiresAfter = (iso: string) => new Date(new Date(iso).getTime() + EXPORT_DAYS * DAY_MS).toISOString();

/** Every value identifying the subject that `text` still holds in clear (case-insensitively). */
const clearIdentifiersIn = (text: string) => IDENTIFIERS.filter((identifier) => text.toLowerCase().includes(identifier.toLowerCase()));

/** An export made a minute before `s`'s clock, so a later request finds it as an earlier one. */
async function earlierExport(s: Scene, subject: PrivacySubject = BOTH) {
  const answer = await handlePrivacyRequest(s.deps, request('export', subject), facts);
  s.clock.advance(60_000);
  return answer;
}

/** The journal's writes from `from` on (what changed, in order). */
const writesSince = (s: Scene, from: number) => s.journal.slice(from);

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

describe('handlePrivacyRequest: the subject', () => {
  it.each<[string, PrivacyRequest['type'], PrivacySubject]>([
    ['an empty subject (export)', 'export', {}],
    ['an empty subject (delete)', 'delete', {}],
    ['only an environment', 'delete', { environment: 'sandbox' }],
  ])('refuses %s with a ValidationError, writing nothing and reading nothing', async (_name, type, subject) => {
    const s = scene();
    const error = await rejectionOf(handlePrivacyRequest(s.deps, request(type, subject), facts), ValidationError);
    expect(error.issues).toEqual([{ path: 'body.subject', message: 'needs pinterestAccountId or email' }]);
    expect(s.compliance.records.size).toBe(0);
    expect(s.records.calls).toEqual([]);
    expect(s.log.namingCalls).toEqual([]);
    expect(s.exportStore.objects.size).toBe(0);
    expect(s.securityLog.entries).toEqual([]);
    expect(s.journal).toEqual([]);
  });

  it.each<PrivacyRequest['type']>(['export', 'delete'])('keeps the subject of a %s only as keyed hashes in its compliance record', async (type) => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request(type, { ...BOTH, environment: 'sandbox' }, REF_MAIL), facts);
    const stored = s.compliance.stored(answer.id);
    expect(stored.subject).toEqual({ hashes: subjectHashes(KEY, BOTH), kinds: ['pinterest_account', 'email'], environment: 'sandbox' });
    expect(stored.subject.hashes).toHaveLength(2);
    const text = JSON.stringify(stored).toLowerCase();
    expect(text).not.toContain(ACCOUNT);
    expect(text).not.toContain(ADDRESS);
    // Nor any other identifier of the subject (the ticket it came from is kept by design).
    expect(clearIdentifiersIn(JSON.stringify({ ...stored, ticketId: undefined }))).toEqual([]);
    expect(stored.ticketId).toBe(REF_MAIL);
  });

  it('records the kinds asked about: an account alone, an address alone', async () => {
    const s = scene();
    const account = await handlePrivacyRequest(s.deps, request('export', { pinterestAccountId: ACCOUNT }), facts);
    const address = await handlePrivacyRequest(s.deps, request('export', { email: EMAIL }), facts);
    expect(s.compliance.stored(account.id).subject).toEqual({ hashes: subjectHashes(KEY, { pinterestAccountId: ACCOUNT }), kinds: ['pinterest_account'] });
    expect(s.compliance.stored(address.id).subject).toEqual({ hashes: subjectHashes(KEY, { email: EMAIL }), kinds: ['email'] });
  });

  it('hashes an address case-insensitively (and without blanks or angle brackets), an account id apart from an equal address', () => {
    const [upper] = subjectHashes(KEY, { email: 'Bob@X.com' });
    expect(upper).toEqual(expect.any(String));
    expect(subjectHashes(KEY, { email: 'bob@x.com' })).toEqual([upper]);
    expect(subjectHashes(KEY, { email: ' <BOB@X.COM> ' })).toEqual([upper]);
    expect(normalEmail(' <Bob@X.com> ')).toBe(ADDRESS);
    expect(subjectHashes(KEY, { email: 'bob@y.com' })).not.toEqual([upper]);
    expect(subjectHashes(KEY, { pinterestAccountId: 'bob@x.com' })).not.toEqual([upper]);
    expect(subjectHashes(Buffer.alloc(32, 12), { email: 'bob@x.com' })).not.toEqual([upper]);
  });

  it('finds the earlier requests about the address whatever its case', async () => {
    const s = scene();
    const first = await earlierExport(s, { email: 'Bob@X.com' });
    const second = await handlePrivacyRequest(s.deps, request('export', { email: 'bob@x.com' }), facts);
    expect(s.compliance.stored(second.id).subject.hashes).toEqual(s.compliance.stored(first.id).subject.hashes);
    expect(s.exportStore.document(exportKeyOf(second.id)).complianceRecords).toEqual([expect.objectContaining({ id: first.id })]);
  });
});

describe('handlePrivacyRequest: a deletion refused while a Pin is in flight', () => {
  it.each<PinStatus>(['publishing', 'needs_reconcile'])('answers 409 listing the Pins while one is %s, erasing nothing and recording nothing', async (status) => {
    const s = scene();
    const inFlight = pinRecord('pin-inflight01', status);
    const alsoBlocking = pinRecord('pin-inflight02', 'needs_reconcile');
    s.records.accounts.set(ACCOUNT, accountHoldings([pinRecord(PIN_DRAFT, 'draft'), inFlight, publishedPin(), alsoBlocking]));
    const error = await rejectionOf(handlePrivacyRequest(s.deps, request('delete'), facts), ConflictError);
    expect(error.details).toEqual({
      pins: [
        { id: 'pin-inflight01', status },
        { id: 'pin-inflight02', status: 'needs_reconcile' },
      ],
      currentState: status,
    });
    expect(error.message).toContain('Nothing was erased');
    expect(s.records.ops().filter((op) => op.startsWith('erase'))).toEqual([]);
    expect(s.records.accounts.has(ACCOUNT)).toBe(true);
    expect(s.records.emails.has(ADDRESS)).toBe(true);
    expect(s.compliance.records.size).toBe(0);
    expect(s.log.pseudonymiseCalls).toEqual([]);
    expect(s.securityLog.entries).toEqual([]);
    expect(s.journal).toEqual([]);
  });

  it('does not refuse an export then: the document shows the Pin as it is', async () => {
    const s = scene();
    s.records.accounts.set(ACCOUNT, accountHoldings([pinRecord('pin-inflight01', 'publishing')]));
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(answer.status).toBe('completed');
    const document = s.exportStore.document(exportKeyOf(answer.id));
    expect(document.pinterestAccount).toMatchObject({ pins: [{ pinId: 'pin-inflight01', status: 'publishing' }] });
  });

  it('is not held up by Pins that are settled (draft, published, failed …)', async () => {
    const s = scene();
    const settled: PinStatus[] = ['draft', 'approved', 'rejected', 'published', 'failed', 'missing_on_pinterest'];
    s.records.accounts.set(ACCOUNT, accountHoldings(settled.map((status, i) => pinRecord(`pin-settled0${String(i)}`, status))));
    await expect(handlePrivacyRequest(s.deps, request('delete'), facts)).resolves.toMatchObject({ status: 'completed' });
  });
});

describe('handlePrivacyRequest: deletion', () => {
  it('writes the record `started` first, pseudonymises the log (while the records giving its identifiers exist), erases the account, the address, earlier exports, and completes', async () => {
    const s = scene();
    const exported = await earlierExport(s);
    const from = s.journal.length;
    const answer = await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(writesSince(s, from)).toEqual([
      `compliance.create ${answer.id} started`,
      ...NAMING.map((id) => `log.pseudonymise ${id}`),
      `log.pseudonymise ${EXPIRED}`,
      'securityLog.write pseudonymised',
      `records.eraseAccount ${ACCOUNT}`,
      `records.eraseEmail ${ADDRESS}`,
      `exports.delete ${exportKeyOf(exported.id)}`,
      `compliance.update ${exported.id} export-erased`,
      `records.erasePins ${ACCOUNT}`,
      `compliance.update ${answer.id} completed`,
      'securityLog.write privacy_request',
    ]);
  });

  it('reads every holding including what has expired, with the address lower-cased', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(s.records.calls.filter((call) => call.op === 'ofAccount' || call.op === 'ofEmail')).toEqual([
      { op: 'ofAccount', accountId: ACCOUNT, environment: undefined, includeExpired: true },
      { op: 'ofEmail', address: ADDRESS, includeExpired: true },
    ]);
    expect(s.log.namingCalls.map((call) => call.includeExpired)).toEqual([true]);
  });

  it('passes the environment on when the subject names one', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('delete', { pinterestAccountId: ACCOUNT, environment: 'production' }), facts);
    expect(s.records.calls[0]).toEqual({ op: 'ofAccount', accountId: ACCOUNT, environment: 'production', includeExpired: true });
    expect(s.records.ops()).not.toContain('ofEmail');
    expect(s.records.ops()).not.toContain('eraseEmail');
  });

  it('erases exactly the holdings it read, the address lower-cased', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(s.records.calls.filter((call) => call.op === 'eraseAccount' || call.op === 'eraseEmail')).toEqual([
      { op: 'eraseAccount', accountId: ACCOUNT, holdings: accountHoldings() },
      { op: 'eraseEmail', address: ADDRESS, holdings: emailHoldings() },
    ]);
  });

  it('searches the log for every identifier of the subject and pseudonymises what names it, past expiry too', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    const [naming] = s.log.namingCalls;
    expect(new Set(naming?.identifiers)).toEqual(new Set(IDENTIFIERS));
    expect(naming?.identifiers).not.toContain(EMAIL);
    expect(s.log.pseudonymiseCalls.map((call) => call.id)).toEqual([...NAMING, EXPIRED]);
    for (const call of s.log.pseudonymiseCalls) {
      expect(call.identifiers).toEqual(naming?.identifiers);
      expect(call.key.equals(KEY)).toBe(true);
    }
    for (const id of [...NAMING, EXPIRED]) expect(clearIdentifiersIn(JSON.stringify(s.log.entry(id)))).toEqual([]);
    expect(s.log.entry('e02').path).toBe(pseudonym(KEY, `/pins/${PIN_DRAFT}/approve`));
    expect(s.log.entry('e01').detail).toEqual({ accountId: pseudonym(KEY, ACCOUNT), connectionId: pseudonym(KEY, CONNECTION_ID), scopes: ['boards:read', 'pins:write'] });
    // Entries naming nothing of the subject are left as they were.
    const [, , , , , , , health, other] = logEntries();
    expect(s.log.entry('e08')).toEqual(health);
    expect(s.log.entry('e09')).toEqual(other);
  });

  it('logs a `pseudonymised` and a `privacy_request` entry that name nothing of the subject', async () => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('delete', BOTH, REF_MAIL), facts);
    expect(s.securityLog.entries).toEqual([
      expect.objectContaining({ kind: 'pseudonymised', outcome: 'ok', method: 'POST', path: '/privacy/requests', requestId: 'api-request-1', detail: { requestId: answer.id, entries: 8 } }),
      expect.objectContaining({ kind: 'privacy_request', outcome: 'ok', method: 'POST', path: '/privacy/requests', requestId: 'api-request-1', detail: { requestId: answer.id, type: 'delete' } }),
    ]);
    expect(clearIdentifiersIn(JSON.stringify(s.securityLog.entries))).toEqual([]);
    expect(JSON.stringify(s.securityLog.entries)).not.toContain('203.0.113.7');
  });

  it('completes the record with the counts of every step added up, and answers its view with what stays on Pinterest', async () => {
    const s = scene();
    await earlierExport(s);
    const requestedAt = s.clock.now().toISOString();
    const answer = await handlePrivacyRequest(s.deps, request('delete', BOTH, REF_MAIL), facts);
    const counts = {
      tokenSecrets: 1,
      pinRecords: 2,
      pinterestPinHolders: 1,
      imageObjects: 1,
      boardRecords: 4,
      accountRecords: 2,
      tickets: 2,
      rawMailObjects: 2,
      acknowledgementCounters: 1,
      itemsDeleted: 11 + 5,
      earlierExportsErased: 1,
      securityLogEntriesPseudonymised: 8,
    };
    const stored = s.compliance.stored(answer.id);
    expect(stored).toEqual({
      id: answer.id,
      type: 'delete',
      status: 'completed',
      requestedAt,
      completedAt: requestedAt,
      subject: { hashes: subjectHashes(KEY, BOTH), kinds: ['pinterest_account', 'email'] },
      ticketId: REF_MAIL,
      counts,
      version: 2,
    });
    expect(answer).toEqual({
      id: answer.id,
      type: 'delete',
      status: 'completed',
      requestedAt,
      completedAt: requestedAt,
      subject: stored.subject,
      ticketId: REF_MAIL,
      counts,
      pinterestPinsKept: [{ environment: 'sandbox', pinterestPinId: PINTEREST_PIN, url: `https://www.pinterest.com/pin/${PINTEREST_PIN}/` }],
      notes: [expect.stringContaining('stay on Pinterest'), expect.stringContaining('Mail already delivered'), expect.stringContaining('35 days')],
    });
    expect(answer).not.toHaveProperty('version');
  });

  it('says nothing stays on Pinterest when no Pin was published', async () => {
    const s = scene();
    s.records.accounts.set(ACCOUNT, accountHoldings([pinRecord(PIN_DRAFT, 'draft')]));
    const answer = await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(answer).toMatchObject({ pinterestPinsKept: [], notes: [expect.stringContaining('No Pin of this subject was published'), expect.any(String), expect.any(String)] });
  });

  it('erases the earlier exports about the subject (found by its hashes), keeping their records marked erased', async () => {
    const s = scene();
    const both = await earlierExport(s);
    const byAddress = await earlierExport(s, { email: 'BOB@X.COM' });
    const byAccount = await earlierExport(s, { pinterestAccountId: ACCOUNT, environment: 'sandbox' });
    const otherSubject = await earlierExport(s, { pinterestAccountId: OTHER_ACCOUNT });
    const earlierDelete = await handlePrivacyRequest(s.deps, request('delete', { email: 'nobody@example.org' }), facts);
    const erasedAt = s.clock.now().toISOString();
    const answer = await handlePrivacyRequest(s.deps, request('delete'), facts);

    expect(s.compliance.aboutCalls.at(-1)).toEqual(subjectHashes(KEY, BOTH));
    for (const id of [both.id, byAddress.id, byAccount.id]) {
      expect(s.exportStore.objects.has(exportKeyOf(id))).toBe(false);
      expect(s.compliance.stored(id)).toMatchObject({ status: 'completed', export: { key: exportKeyOf(id), expiresAt: expect.any(String), erasedAt } });
      await expect(readPrivacyExport(s.deps, id)).rejects.toThrow(`Export ${id} was erased by a later deletion request (${erasedAt})`);
    }
    expect(s.exportStore.objects.has(exportKeyOf(otherSubject.id))).toBe(true);
    expect(s.compliance.stored(otherSubject.id).export?.erasedAt).toBeUndefined();
    expect(s.compliance.stored(earlierDelete.id).export).toBeUndefined();
    expect(answer.counts.earlierExportsErased).toBe(3);
  });

  it('does not erase (or count) an export a deletion erased already', async () => {
    const s = scene();
    const exported = await earlierExport(s);
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    const marked = s.compliance.stored(exported.id);
    s.clock.advance(60_000);
    const from = s.journal.length;
    const again = await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(again.counts.earlierExportsErased).toBe(0);
    expect(writesSince(s, from).filter((step) => step.startsWith('exports.') || step.startsWith(`compliance.update ${exported.id}`))).toEqual([]);
    expect(s.compliance.stored(exported.id)).toEqual(marked);
  });

  it('still counts an earlier export erased when its record changed meanwhile (the object is gone either way)', async () => {
    const s = scene();
    const exported = await earlierExport(s);
    s.compliance.beforeNextUpdateOf(exported.id, () => {
      const current = s.compliance.stored(exported.id);
      s.compliance.seed({ ...current, version: current.version + 1 });
    });
    const answer = await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(answer.status).toBe('completed');
    expect(answer.counts.earlierExportsErased).toBe(1);
    expect(s.exportStore.objects.has(exportKeyOf(exported.id))).toBe(false);
  });

  it('stops, the record left `started`, when marking an earlier export fails otherwise than by a conflict', async () => {
    const s = scene();
    const exported = await earlierExport(s);
    s.compliance.beforeNextUpdateOf(exported.id, () => {
      throw new Error('DynamoDB unavailable');
    });
    await expect(handlePrivacyRequest(s.deps, request('delete'), facts)).rejects.toThrow('DynamoDB unavailable');
    const started = [...s.compliance.records.values()].filter((record) => record.type === 'delete');
    expect(started).toEqual([expect.objectContaining({ status: 'started' })]);
  });
});

describe('handlePrivacyRequest: a deletion that stops half way', () => {
  async function failedOnce(s: Scene) {
    s.records.failNext('eraseEmail', new Error('S3 unavailable'));
    await expect(handlePrivacyRequest(s.deps, request('delete'), facts)).rejects.toThrow('S3 unavailable');
    const [first] = [...s.compliance.records.values()];
    if (first === undefined) throw new Error('no compliance record written');
    return first;
  }

  it('leaves its record `started` and visible, and rethrows', async () => {
    const s = scene();
    const first = await failedOnce(s);
    expect(first).toMatchObject({ type: 'delete', status: 'started', counts: {}, version: 1 });
    expect(first.completedAt).toBeUndefined();
    const listed = await listPrivacyRequests(s.deps, { limit: 10 });
    expect(listed.requests).toEqual([expect.objectContaining({ id: first.id, status: 'started' })]);
    // The log came first (pseudonymised, and said so); the request itself is not logged as done.
    expect(s.log.pseudonymiseCalls.length).toBeGreaterThan(0);
    expect(s.securityLog.entries.map((entry) => entry.kind)).toEqual(['pseudonymised']);
    expect(s.records.emails.has(ADDRESS)).toBe(true);
  });

  it('is finished by sending it again: a new record, completed', async () => {
    const s = scene();
    const first = await failedOnce(s);
    s.clock.advance(60_000);
    const second = await handlePrivacyRequest(s.deps, request('delete'), facts);
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('completed');
    expect(s.compliance.stored(second.id).status).toBe('completed');
    // The earlier record is closed by the later one, so it never looks like a deletion still running.
    expect(s.compliance.stored(first.id)).toMatchObject({ status: 'superseded', supersededBy: second.id });
    expect((await listPrivacyRequests(s.deps, { limit: 10 })).requests.find((r) => r.id === first.id)).toMatchObject({ status: 'superseded', supersededBy: second.id });
    expect(s.records.emails.has(ADDRESS)).toBe(false);
    expect(s.records.accounts.has(ACCOUNT)).toBe(false);
    // The Pin records come last, so the retry still erases them and still lists the Pin that stays on Pinterest.
    expect(second.counts).toMatchObject({ tickets: 2, rawMailObjects: 2, tokenSecrets: 0, pinRecords: 2 });
    expect('pinterestPinsKept' in second ? second.pinterestPinsKept : undefined).toEqual([{ environment: 'sandbox', pinterestPinId: PINTEREST_PIN, url: `https://www.pinterest.com/pin/${PINTEREST_PIN}/` }]);
    expect(s.securityLog.entries.map((entry) => entry.kind)).toEqual(['pseudonymised', 'pseudonymised', 'privacy_request']);
    // Entries naming the account id or the address were pseudonymised (by the first attempt).
    expect(s.log.entry('e10').detail?.accountId).toBe(pseudonym(KEY, ACCOUNT));
    expect(s.log.entry('e07').detail?.to).toBe(pseudonym(KEY, 'BOB@x.com'));
    expect(s.log.entry('e06').path).toBe(pseudonym(KEY, `/support/tickets/${REF_MAIL}`));
  });

  // Was a bug: the identifiers come from the holdings a request reads, so a first attempt that erased
  // the account before reaching the log left a retry unable to name Pin, board or connection ids. The
  // log is now pseudonymised before anything is erased.
  it('after a retry, no log entry still names an identifier the first attempt erased', async () => {
    const s = scene();
    await failedOnce(s);
    s.clock.advance(60_000);
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    const stillClear = [...NAMING, EXPIRED].flatMap((id) => clearIdentifiersIn(JSON.stringify(s.log.entry(id))));
    expect(stillClear).toEqual([]);
  });
});

describe('handlePrivacyRequest: export', () => {
  it('reads the holdings and the log leaving out what has expired', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(s.records.calls).toEqual([
      { op: 'ofAccount', accountId: ACCOUNT, environment: undefined, includeExpired: false },
      { op: 'ofEmail', address: ADDRESS, includeExpired: false },
    ]);
    expect(s.log.namingCalls).toHaveLength(1);
    expect(s.log.namingCalls[0]?.includeExpired ?? false).toBe(false);
    expect(new Set(s.log.namingCalls[0]?.identifiers)).toEqual(new Set(IDENTIFIERS));
  });

  it('stores one document with everything held about the subject under exports/<id>.json', async () => {
    const s = scene();
    const earlier = await earlierExport(s);
    const earlierDelete = await handlePrivacyRequest(s.deps, request('delete', { email: EMAIL }), facts);
    s.clock.advance(60_000);
    // The deletion erased the address's holdings: give them back so the export has something to show.
    s.records.emails.set(ADDRESS, emailHoldings());
    const requestedAt = s.clock.now().toISOString();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    const key = exportKeyOf(answer.id);
    const document = s.exportStore.document(key);
    // The log as it is now (the deletion above pseudonymised e06, e07 and the ticket's entries).
    const namingNow = NAMING.map((id) => s.log.entry(id)).filter((entry) => clearIdentifiersIn(JSON.stringify(entry)).length > 0);
    const earlierViews = [earlier.id, earlierDelete.id].map((id) => {
      const rest: Partial<ComplianceRecord> = { ...s.compliance.stored(id) };
      delete rest.version;
      return rest.export === undefined ? rest : { ...rest, export: rest.export.erasedAt === undefined ? { expiresAt: rest.export.expiresAt } : { expiresAt: rest.export.expiresAt, erasedAt: rest.export.erasedAt } };
    });
    expect(document).toEqual({
      format: 'mdz-publisher-export/1',
      requestId: answer.id,
      createdAt: requestedAt,
      subject: BOTH,
      pinterestAccount: {
        connections: [CONNECTION],
        pinned: accountHoldings().pinned,
        oauthResponses: [withoutKeys(logEntries()[0] as StoredLogEntry)],
        boards: accountHoldings().boards,
        pins: accountHoldings().pins,
        imageObjects: [MEDIA_KEY],
      },
      email: {
        tickets: [
          { ...mailTicket(), rawMail: ['mail/inbound/ses-1', 'mail/inbound/ses-2'] },
          { ...formTicket(), rawMail: [] },
        ],
        acknowledgementsPerDay: [{ day: '2026-12-01', count: 2 }],
      },
      securityLog: namingNow.map(withoutKeys),
      complianceRecords: earlierViews,
      expiresAt: expiresAfter(requestedAt),
    });
    expect(exportFormat).toBe('mdz-publisher-export/1');
    expect(namingNow.map((entry) => entry.id)).toEqual(['e01', 'e02', 'e03', 'e04', 'e05']);
  });

  it('puts the log entries naming the subject in it, without their table keys, and nothing else', async () => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    const document = s.exportStore.document(exportKeyOf(answer.id));
    const log = document.securityLog as Array<Record<string, unknown>>;
    expect(log.map((entry) => entry.id)).toEqual(NAMING);
    expect(log).toEqual(logEntries().filter((entry) => NAMING.includes(entry.id)).map(withoutKeys));
    for (const entry of log) {
      expect(entry).not.toHaveProperty('pk');
      expect(entry).not.toHaveProperty('sk');
    }
    expect(document.pinterestAccount).toMatchObject({ oauthResponses: [{ id: 'e01', kind: 'oauth_callback' }] });
    const text = JSON.stringify(document);
    expect(text).not.toContain(OTHER_ACCOUNT);
    expect(text).not.toContain('/health');
    expect(text).not.toContain('"e10"');
    // The current request is not among the earlier ones.
    expect(document.complianceRecords).toEqual([]);
  });

  it('answers the completed record with where to fetch it, and keeps the key and expiry on the record', async () => {
    const s = scene();
    const requestedAt = s.clock.now().toISOString();
    const answer = await handlePrivacyRequest(s.deps, request('export', BOTH, REF_FORM), facts);
    const expiresAt = expiresAfter(requestedAt);
    expect(answer.id).toMatch(requestIdPattern);
    const counts = { accounts: 1, pinRecords: 2, boards: 2, imageObjects: 1, tickets: 2, rawMailObjects: 2, acknowledgementDays: 1, securityLogEntries: 7, earlierRequests: 0 };
    expect(answer).toEqual({
      id: answer.id,
      type: 'export',
      status: 'completed',
      requestedAt,
      completedAt: requestedAt,
      subject: { hashes: subjectHashes(KEY, BOTH), kinds: ['pinterest_account', 'email'] },
      ticketId: REF_FORM,
      counts,
      export: { expiresAt },
      exportPath: `/privacy/requests/${answer.id}/export`,
    });
    expect(s.compliance.stored(answer.id)).toEqual({
      id: answer.id,
      type: 'export',
      status: 'completed',
      requestedAt,
      completedAt: requestedAt,
      subject: { hashes: subjectHashes(KEY, BOTH), kinds: ['pinterest_account', 'email'] },
      ticketId: REF_FORM,
      counts,
      export: { key: exportKeyOf(answer.id), expiresAt },
      version: 2,
    });
    expect(s.journal).toEqual([`compliance.create ${answer.id} started`, `exports.put ${exportKeyOf(answer.id)}`, `compliance.update ${answer.id} completed`, 'securityLog.write privacy_request']);
    expect(s.securityLog.entries).toEqual([expect.objectContaining({ kind: 'privacy_request', outcome: 'ok', detail: { requestId: answer.id, type: 'export' } })]);
  });

  it('erases nothing and pseudonymises nothing', async () => {
    const s = scene();
    await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(s.records.ops()).toEqual(['ofAccount', 'ofEmail']);
    expect(s.log.pseudonymiseCalls).toEqual([]);
    expect(s.log.entries).toEqual(logEntries());
  });

  it('has no account section for an address alone, and no address section for an account alone', async () => {
    const s = scene();
    const byAddress = await handlePrivacyRequest(s.deps, request('export', { email: EMAIL }), facts);
    const byAccount = await handlePrivacyRequest(s.deps, request('export', { pinterestAccountId: ACCOUNT }), facts);
    const addressDocument = s.exportStore.document(exportKeyOf(byAddress.id));
    const accountDocument = s.exportStore.document(exportKeyOf(byAccount.id));
    expect(addressDocument).not.toHaveProperty('pinterestAccount');
    expect(addressDocument).toHaveProperty('email');
    expect(accountDocument).toHaveProperty('pinterestAccount');
    expect(accountDocument).not.toHaveProperty('email');
    expect(byAddress.counts).toEqual({ tickets: 2, rawMailObjects: 2, acknowledgementDays: 1, securityLogEntries: 2, earlierRequests: 0 });
    expect(byAccount.counts).toEqual({ accounts: 1, pinRecords: 2, boards: 2, imageObjects: 1, securityLogEntries: 5, earlierRequests: 0 });
    expect(s.records.calls.map((call) => call.op)).toEqual(['ofEmail', 'ofAccount']);
  });

  it('leaves its record `started` when the document could not be stored', async () => {
    const s = scene();
    s.exportStore.failNext(new Error('S3 unavailable'));
    await expect(handlePrivacyRequest(s.deps, request('export'), facts)).rejects.toThrow('S3 unavailable');
    const [record] = [...s.compliance.records.values()];
    expect(record).toMatchObject({ type: 'export', status: 'started' });
    expect(record?.export).toBeUndefined();
    expect(s.securityLog.entries).toEqual([]);
  });

  // Was a race: a deletion erases only the earlier exports whose record already carries `export`, so an
  // export still running when the deletion ran stored its document afterwards. The export now looks,
  // once recorded, for a deletion about its subject that ran meanwhile (or is unfinished), and erases
  // its own document: the answer then has no exportPath.
  it('an export still running while a deletion about the subject completes is not readable afterwards', async () => {
    const s = scene();
    s.exportStore.beforeNextPut(() => handlePrivacyRequest(s.deps, request('delete'), facts));
    const exported = await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(exported).not.toHaveProperty('exportPath');
    expect(exported.export).toMatchObject({ erasedAt: expect.any(String) as unknown });
    expect(s.exportStore.objects.has(exportKeyOf(exported.id))).toBe(false);
    await expect(readPrivacyExport(s.deps, exported.id)).rejects.toThrow(NotFoundError);
  });
});

describe('readPrivacyExport', () => {
  it('answers the stored document until its expiry', async () => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    const body = await readPrivacyExport(s.deps, answer.id);
    expect(body.equals(s.exportStore.objects.get(exportKeyOf(answer.id)) ?? Buffer.alloc(0))).toBe(true);
    expect((JSON.parse(body.toString('utf8')) as { requestId: string }).requestId).toBe(answer.id);
    s.clock.set(new Date(new Date(expiresAfter(START)).getTime() - 1));
    await expect(readPrivacyExport(s.deps, answer.id)).resolves.toEqual(body);
  });

  it.each([
    ['at', 0],
    ['after', 1],
  ])('is not found %s its expiry', async (_when, late) => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    const expiresAt = expiresAfter(START);
    s.clock.set(new Date(new Date(expiresAt).getTime() + late));
    const error = await rejectionOf(readPrivacyExport(s.deps, answer.id), NotFoundError);
    expect(error.message).toBe(`Export ${answer.id} expired at ${expiresAt}`);
  });

  it('is not found for an unknown id', async () => {
    const s = scene();
    const error = await rejectionOf(readPrivacyExport(s.deps, '20261202T101500123Z-00000000'), NotFoundError);
    expect(error.message).toBe('No export request 20261202T101500123Z-00000000');
  });

  it("is not found for a deletion request's id", async () => {
    const s = scene();
    const deletion = await handlePrivacyRequest(s.deps, request('delete'), facts);
    await expect(readPrivacyExport(s.deps, deletion.id)).rejects.toThrow(`No export request ${deletion.id}`);
  });

  it('is not found for an export that did not finish', async () => {
    const s = scene();
    s.compliance.seed({ id: '20261202T101500123Z-0000000a', type: 'export', status: 'started', requestedAt: START, subject: { hashes: subjectHashes(KEY, BOTH), kinds: ['pinterest_account', 'email'] }, counts: {}, version: 1 });
    const error = await rejectionOf(readPrivacyExport(s.deps, '20261202T101500123Z-0000000a'), NotFoundError);
    expect(error.message).toContain('did not finish (status started)');
  });

  it('is not found for an erased export', async () => {
    const s = scene();
    const exported = await earlierExport(s);
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    await expect(readPrivacyExport(s.deps, exported.id)).rejects.toThrow(NotFoundError);
  });

  it('is not found when the object is gone (an erased record not yet marked, a lifecycle rule early)', async () => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    s.exportStore.objects.delete(exportKeyOf(answer.id));
    const error = await rejectionOf(readPrivacyExport(s.deps, answer.id), NotFoundError);
    expect(error.message).toBe(`Export ${answer.id} is no longer stored`);
  });
});

describe('listPrivacyRequests', () => {
  const record = (id: string, changes: Partial<ComplianceRecord> = {}): ComplianceRecord => ({
    id,
    type: 'export',
    status: 'completed',
    requestedAt: START,
    completedAt: START,
    subject: { hashes: ['h1'], kinds: ['email'] },
    counts: { tickets: 1 },
    export: { key: exportKeyOf(id), expiresAt: expiresAfter(START) },
    version: 4,
    ...changes,
  });

  it('answers views of the records: no version, no object key', async () => {
    const s = scene();
    s.compliance.seed(record('20261202T101500123Z-00000001'));
    s.compliance.seed(record('20261202T101600123Z-00000002', { export: { key: 'exports/x.json', expiresAt: '2026-12-09T10:16:00.123Z', erasedAt: '2026-12-03T00:00:00.000Z' } }));
    s.compliance.seed(record('20261202T101700123Z-00000003', { type: 'delete', status: 'started', completedAt: undefined, export: undefined, ticketId: REF_MAIL, subject: { hashes: ['h1', 'h2'], kinds: ['pinterest_account', 'email'], environment: 'production' } }));
    const page = await listPrivacyRequests(s.deps, { limit: 10 });
    expect(page).toEqual({
      requests: [
        { id: '20261202T101700123Z-00000003', type: 'delete', status: 'started', requestedAt: START, subject: { hashes: ['h1', 'h2'], kinds: ['pinterest_account', 'email'], environment: 'production' }, ticketId: REF_MAIL, counts: { tickets: 1 } },
        {
          id: '20261202T101600123Z-00000002',
          type: 'export',
          status: 'completed',
          requestedAt: START,
          completedAt: START,
          subject: { hashes: ['h1'], kinds: ['email'] },
          counts: { tickets: 1 },
          export: { expiresAt: '2026-12-09T10:16:00.123Z', erasedAt: '2026-12-03T00:00:00.000Z' },
        },
        { id: '20261202T101500123Z-00000001', type: 'export', status: 'completed', requestedAt: START, completedAt: START, subject: { hashes: ['h1'], kinds: ['email'] }, counts: { tickets: 1 }, export: { expiresAt: expiresAfter(START) } },
      ],
    });
    for (const view of page.requests) {
      expect(view).not.toHaveProperty('version');
    }
    expect(JSON.stringify(page)).not.toContain('exports/');
    expect(page).not.toHaveProperty('cursor');
  });

  it('passes the limit and cursor through, and answers the next cursor', async () => {
    const s = scene();
    for (let i = 1; i <= 3; i += 1) s.compliance.seed(record(`20261202T10150${String(i)}123Z-0000000${String(i)}`));
    const first = await listPrivacyRequests(s.deps, { limit: 2 });
    expect(first.requests.map((view) => view.id)).toEqual(['20261202T101503123Z-00000003', '20261202T101502123Z-00000002']);
    expect(first.cursor).toBe('2');
    const second = await listPrivacyRequests(s.deps, { limit: 2, cursor: first.cursor ?? '' });
    expect(second.requests.map((view) => view.id)).toEqual(['20261202T101501123Z-00000001']);
    expect(second).not.toHaveProperty('cursor');
    expect(s.compliance.listCalls).toEqual([{ limit: 2 }, { limit: 2, cursor: '2' }]);
  });

  it('lists requests made through handlePrivacyRequest newest first', async () => {
    const s = scene();
    const first = await earlierExport(s);
    const second = await handlePrivacyRequest(s.deps, request('delete'), facts);
    const page = await listPrivacyRequests(s.deps, { limit: 10 });
    expect(page.requests.map((view) => view.id)).toEqual([second.id, first.id]);
  });
});

describe('request ids', () => {
  it('are the time without separators and 8 random hex characters', () => {
    const id = newRequestId(new Date('2026-12-02T10:15:00.123Z'), '1a2b3c4d');
    expect(id).toBe('20261202T101500123Z-1a2b3c4d');
    expect(id).toMatch(requestIdPattern);
    expect(newRequestId(new Date('2026-12-02T10:15:00.123Z'), '1a2b3c4d5e6f')).toBe('20261202T101500123Z-1a2b3c4d');
  });

  it('match the pattern for any time this century and any 8 lower-case hex characters', () => {
    const times = ['2000-01-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z', '2099-12-31T23:59:59.999Z', '2026-07-04T05:06:07.008Z'];
    for (const time of times) for (const random of ['00000000', 'ffffffff', '0a1b2c3d']) expect(newRequestId(new Date(time), random)).toMatch(requestIdPattern);
  });

  it('the pattern refuses what is not an id', () => {
    for (const id of ['20261202T101500123Z-1A2B3C4D', '20261202T101500123Z-1a2b3c', '2026-12-02T10:15:00.123Z-1a2b3c4d', '20261202T101500123-1a2b3c4d', ' 20261202T101500123Z-1a2b3c4d', '20261202T101500123Z-1a2b3c4d/x']) {
      expect(id).not.toMatch(requestIdPattern);
    }
  });

  it('sort by the time they were made', () => {
    const times = ['2026-12-02T10:15:00.123Z', '2026-12-02T10:15:00.124Z', '2026-12-02T10:15:01.000Z', '2026-12-02T11:00:00.000Z', '2026-12-03T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2026-09-30T23:59:59.999Z'];
    const randoms = ['ffffffff', '00000000', '7a7a7a7a', '12345678', 'deadbeef', '0badf00d', 'cafebabe'];
    const ids = times.map((time, i) => ({ time, id: newRequestId(new Date(time), randoms[i] ?? '00000000') }));
    const byId = [...ids].sort((a, b) => a.id.localeCompare(b.id)).map((entry) => entry.time);
    const byTime = [...ids].sort((a, b) => new Date(a.time).getTime() - new Date(b.time).getTime()).map((entry) => entry.time);
    expect(byId).toEqual(byTime);
  });

  it('are what handlePrivacyRequest gives its records: the request time and the random draw', async () => {
    const s = scene();
    const answer = await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(answer.id).toBe('20261202T101500123Z-a0000001');
    expect(answer.id).toMatch(requestIdPattern);
  });
});

describe('handlePrivacyRequest: after the review', () => {
  it('refuses a deletion with 409 while a board sync of the account is running or paused (it would write the boards back); nothing erased', async () => {
    const s = scene();
    const holdings = accountHoldings();
    s.records.accounts.set(ACCOUNT, { ...holdings, syncs: [{ environment: 'sandbox', jobId: 'sandbox.job-2', status: 'paused' }] });
    const error = await handlePrivacyRequest(s.deps, request('delete'), facts).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('board sync');
    expect((error as ConflictError).details).toEqual({ currentState: 'paused', syncs: [{ environment: 'sandbox', jobId: 'sandbox.job-2', status: 'paused' }] });
    expect(s.journal).toEqual([]);
    // An export is not held up by it.
    await expect(handlePrivacyRequest(s.deps, request('export'), facts)).resolves.toMatchObject({ status: 'completed' });
  });

  it('a deletion cut short long ago does not erase a later export (only one still running, or finished after the export began, does)', async () => {
    const s = scene();
    s.records.failNext('eraseEmail', new Error('S3 unavailable'));
    await expect(handlePrivacyRequest(s.deps, request('delete'), facts)).rejects.toThrow('S3 unavailable');
    // Within two minutes, the cut-short deletion may still be running: an export then erases its own document.
    s.clock.advance(60_000);
    const soon = await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(soon).not.toHaveProperty('exportPath');
    expect(soon.export).toMatchObject({ erasedAt: expect.any(String) as unknown });
    // Later, it was cut short: the export stays.
    s.clock.advance(10 * 60_000);
    const later = await handlePrivacyRequest(s.deps, request('export'), facts);
    expect(later).toMatchObject({ exportPath: `/privacy/requests/${later.id}/export` });
    await expect(readPrivacyExport(s.deps, later.id)).resolves.toBeInstanceOf(Buffer);
  });

  it('narrowed to one environment, leaves out (and leaves alone) log entries of the other environment, and exports made for it', async () => {
    const s = scene();
    const sandboxOnly = { pinterestAccountId: ACCOUNT, environment: 'sandbox' as const };
    const productionOnly = { pinterestAccountId: ACCOUNT, environment: 'production' as const };
    s.log.entries.push(logEntry('e20', 'account', { detail: { environment: 'production', accountId: ACCOUNT, step: 'confirmed' } }));
    const exported = await handlePrivacyRequest(s.deps, request('export', sandboxOnly), facts);
    const document = s.exportStore.document(exportKeyOf(exported.id)) as { securityLog: SecurityEvent[] };
    expect(document.securityLog.map((entry) => entry.id)).not.toContain('e20');
    s.clock.advance(60_000);
    const otherExport = await handlePrivacyRequest(s.deps, request('export', productionOnly), facts);
    s.clock.advance(60_000);
    const deleted = await handlePrivacyRequest(s.deps, request('delete', sandboxOnly), facts);
    expect(s.log.entry('e20').detail?.accountId).toBe(ACCOUNT);
    // The sandbox export is erased; the production one holds nothing this deletion erased.
    expect(deleted.counts).toMatchObject({ earlierExportsErased: 1 });
    await expect(readPrivacyExport(s.deps, exported.id)).rejects.toThrow(NotFoundError);
    await expect(readPrivacyExport(s.deps, otherExport.id)).resolves.toBeInstanceOf(Buffer);
  });

  it('force-deletes a token secret an earlier reconnect failed to delete, found through the log entry that named it', async () => {
    const s = scene();
    const orphan = `mdz-publisher/tokens/sandbox/${ACCOUNT}/connection-old`;
    const elsewhere = 'mdz-publisher/tokens/sandbox/2000000000000000002/connection-x';
    s.log.entries.push(
      logEntry('e21', 'oauth_callback', { outcome: 'server_error', errorCode: 'old_secret_not_deleted', detail: { environment: 'sandbox', secretName: orphan } }),
      logEntry('e22', 'oauth_callback', { outcome: 'server_error', errorCode: 'old_secret_not_deleted', detail: { environment: 'sandbox', secretName: elsewhere, accountId: ACCOUNT } }),
    );
    await handlePrivacyRequest(s.deps, request('delete'), facts);
    const erase = s.records.calls.find((call) => call.op === 'eraseAccount');
    expect(erase).toMatchObject({ orphanSecrets: [orphan] });
    // Its name in the log is pseudonymised like every value naming the account.
    expect(s.log.entry('e21').detail?.secretName).toBe(pseudonym(KEY, orphan));
  });
});
