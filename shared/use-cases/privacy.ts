import type { AccountHoldings, EmailHoldings } from '../adapters/subject-records';
import type { StoredLogEntry } from '../adapters/dynamo/log-pseudonyms';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import { newRequestId, normalEmail, subjectHashes, type ComplianceRecord, type PrivacyRequestType, type PrivacySubject } from '../domain/privacy';
import type { RequestFacts, SecurityEvent, SecurityLogPort } from '../domain/security-event';
import type { Clock } from '../domain/time';

/**
 * Privacy requests (POST /privacy/requests), made by the operator for the person who asked:
 * - export: one JSON document with everything held about the subject and nothing about anyone else,
 *   stored under `exports/<request id>.json` and served again for RETENTION_EXPORT_DAYS;
 * - delete: token secrets, the connection, Pin records, images, boards, tickets and raw mail erased;
 *   security-log entries naming the subject pseudonymised (kept for their retention, linkable, not
 *   readable); earlier exports about the subject erased. Refused with 409 while a Pin of the account
 *   is being published or its outcome is unknown (`publishing`, `needs_reconcile`).
 * Each request is a compliance record (audit table, RETENTION_COMPLIANCE_DAYS) written `started`
 * before anything is erased and `completed` with its counts after; the subject is in it only as keyed
 * hashes. Every erasure step is idempotent: a request that stopped half way is finished by sending it
 * again.
 */

export interface PrivacyDeps {
  clock: Clock;
  hashingKey: () => Promise<Buffer>;
  randomHex: () => string;
  settings: { exportDays: number };
  records: {
    ofAccount(accountId: string, environment: PinterestEnvironment | undefined, options?: { includeExpired?: boolean }): Promise<AccountHoldings>;
    eraseAccount(accountId: string, holdings: AccountHoldings, orphanSecrets?: readonly string[]): Promise<Record<string, number>>;
    erasePins(accountId: string, holdings: AccountHoldings): Promise<Record<string, number>>;
    ofEmail(address: string, options?: { includeExpired?: boolean }): Promise<EmailHoldings>;
    eraseEmail(address: string, holdings: EmailHoldings): Promise<Record<string, number>>;
  };
  log: {
    naming(identifiers: readonly string[], options?: { includeExpired?: boolean }): Promise<StoredLogEntry[]>;
    pseudonymise(entry: StoredLogEntry, identifiers: readonly string[], key: Buffer): Promise<string[]>;
  };
  compliance: {
    create(record: ComplianceRecord): Promise<void>;
    get(id: string): Promise<ComplianceRecord | undefined>;
    update(record: ComplianceRecord, changes: Partial<Omit<ComplianceRecord, 'id' | 'version'>>): Promise<ComplianceRecord>;
    list(options: { limit: number; cursor?: string }): Promise<{ items: ComplianceRecord[]; cursor?: string }>;
    about(hashes: readonly string[], options?: { includeExpired?: boolean }): Promise<ComplianceRecord[]>;
  };
  exports: {
    put(key: string, body: Buffer): Promise<void>;
    get(key: string): Promise<Buffer | undefined>;
    delete(key: string): Promise<void>;
  };
  securityLog: SecurityLogPort;
}

export interface PrivacyRequest {
  type: PrivacyRequestType;
  subject: PrivacySubject;
  ticketId?: string;
}

const DAY_MS = 86_400_000;
const BLOCKING = ['publishing', 'needs_reconcile'];
/** A deletion still `started` after this long was cut short (the function's timeout is far shorter). */
const UNFINISHED_MS = 120_000;
/** Security-log entries rewritten at once. */
const LOG_WRITES_AT_ONCE = 16;

/** Runs `work` over `items`, at most LOG_WRITES_AT_ONCE at a time; answers the results in order. */
async function pooled<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOG_WRITES_AT_ONCE, items.length) }, worker));
  return results;
}
export const exportPrefix = 'exports/';
const exportKey = (id: string) => `${exportPrefix}${id}.json`;
export const exportFormat = 'mdz-publisher-export/1';

export async function handlePrivacyRequest(deps: PrivacyDeps, request: PrivacyRequest, facts: RequestFacts) {
  const { subject } = request;
  if (subject.pinterestAccountId === undefined && subject.email === undefined) {
    throw new ValidationError('Name the subject: a Pinterest account id, an email address, or both', [{ path: 'body.subject', message: 'needs pinterestAccountId or email' }]);
  }
  const erasing = request.type === 'delete';
  const key = await deps.hashingKey();
  const account = subject.pinterestAccountId === undefined ? undefined : await deps.records.ofAccount(subject.pinterestAccountId, subject.environment, { includeExpired: erasing });
  const email = subject.email === undefined ? undefined : await deps.records.ofEmail(normalEmail(subject.email), { includeExpired: erasing });
  if (erasing && account !== undefined) {
    const blocking = account.pins.filter((pin) => BLOCKING.includes(pin.status));
    if (blocking.length > 0) {
      throw new ConflictError(
        'A Pin of this account is being published or its outcome is unknown: settle it first (GET /pins?status=publishing, POST /pins/{id}/resolve), then send the request again. Nothing was erased.',
        blocking[0]?.status,
        { details: { pins: blocking.map((pin) => ({ id: pin.pinId, status: pin.status })) } },
      );
    }
    // A sync still running (or paused by a rate limit) would write the boards back after their erasure.
    if (account.syncs.length > 0) {
      throw new ConflictError(
        'A board sync of this account is running or paused: wait until it has finished (GET /boards/sync/{jobId}), then send the request again. Nothing was erased.',
        account.syncs[0]?.status,
        { details: { syncs: account.syncs } },
      );
    }
  }

  const now = deps.clock.now();
  const hashes = subjectHashes(key, subject);
  const record: ComplianceRecord = {
    id: newRequestId(now, deps.randomHex()),
    type: request.type,
    status: 'started',
    requestedAt: now.toISOString(),
    subject: {
      hashes,
      kinds: [...(subject.pinterestAccountId === undefined ? [] : ['pinterest_account' as const]), ...(subject.email === undefined ? [] : ['email' as const])],
      ...(subject.environment === undefined ? {} : { environment: subject.environment }),
    },
    ...(request.ticketId === undefined ? {} : { ticketId: request.ticketId }),
    counts: {},
    version: 1,
  };
  await deps.compliance.create(record);
  const identifiers = identifiersOf(subject, account, email);
  const earlier = (await deps.compliance.about(hashes, { includeExpired: erasing })).filter((other) => other.id !== record.id);
  // Narrowed to one environment, the log entries of the other one are not about this request.
  const inScope = (entry: StoredLogEntry) => subject.environment === undefined || entry.detail?.environment === undefined || entry.detail.environment === subject.environment;

  if (!erasing) {
    const logEntries = (await deps.log.naming(identifiers)).filter(inScope).map(withoutKeys);
    const document = exportDocument(record, subject, account, email, logEntries, earlier);
    const expiresAt = new Date(now.getTime() + deps.settings.exportDays * DAY_MS).toISOString();
    await deps.exports.put(exportKey(record.id), Buffer.from(JSON.stringify({ ...document, expiresAt })));
    const counts = countsOf(account, email, logEntries.length, earlier.length);
    let done = await deps.compliance.update(record, { status: 'completed', completedAt: deps.clock.now().toISOString(), counts, export: { key: exportKey(record.id), expiresAt } });
    // A deletion about the same subject that ran while this export did (or was cut short and is still
    // `started`) may have looked for earlier exports before this one was recorded: then this document
    // may hold what it erased, and goes too (the answer then has no exportPath).
    const recently = new Date(deps.clock.now().getTime() - UNFINISHED_MS).toISOString();
    const deletedSince = (await deps.compliance.about(hashes)).some(
      (other) => other.type === 'delete' && (other.completedAt === undefined ? other.status === 'started' && other.requestedAt >= recently : other.completedAt >= record.requestedAt),
    );
    if (deletedSince && done.export !== undefined) {
      await deps.exports.delete(done.export.key);
      done = await deps.compliance.update(done, { export: { ...done.export, erasedAt: deps.clock.now().toISOString() } });
    }
    await deps.securityLog.write({ kind: 'privacy_request', outcome: 'ok', ...facts, detail: { requestId: record.id, type: 'export' } });
    return { ...view(done), ...(done.export?.erasedAt === undefined ? { exportPath: `/privacy/requests/${record.id}/export` } : {}) };
  }

  const counts: Record<string, number> = {};
  const add = (part: Record<string, number>) => {
    for (const [name, value] of Object.entries(part)) counts[name] = (counts[name] ?? 0) + value;
  };
  const keptOnPinterest = (account?.pins ?? []).flatMap((pin) => (pin.published === undefined ? [] : [{ environment: pin.environment, pinterestPinId: pin.published.pinterestPinId, url: pin.published.url }]));
  // The log first, while the records that give its identifiers (Pin, board, connection ids) still
  // exist: a request cut short after erasing them would otherwise, sent again, no longer know them.
  const named = (await deps.log.naming(identifiers, { includeExpired: true })).filter(inScope);
  // A token secret whose deletion failed at a reconnect is named only there: it goes with the others.
  const connected = new Set((account?.accounts ?? []).map((record) => record.secretName));
  const orphanSecrets = subject.pinterestAccountId === undefined ? [] : [...new Set(secretsNamedIn(named, subject.pinterestAccountId))].filter((name) => !connected.has(name));
  const pseudonymised = await pooled(named, async (entry) => (await deps.log.pseudonymise(entry, identifiers, key)).length > 0);
  add({ securityLogEntriesPseudonymised: pseudonymised.filter(Boolean).length });
  await deps.securityLog.write({ kind: 'pseudonymised', outcome: 'ok', ...facts, detail: { requestId: record.id, entries: pseudonymised.filter(Boolean).length } });
  if (account !== undefined && subject.pinterestAccountId !== undefined) add(await deps.records.eraseAccount(subject.pinterestAccountId, account, orphanSecrets));
  if (email !== undefined && subject.email !== undefined) add(await deps.records.eraseEmail(normalEmail(subject.email), email));
  // Earlier exports hold the subject in clear: they go too (their compliance records stay). One made
  // for the other environment only holds nothing this narrowed request erases.
  let exportsErased = 0;
  for (const other of earlier) {
    if (other.export === undefined || other.export.erasedAt !== undefined) continue;
    if (subject.environment !== undefined && other.subject.environment !== undefined && other.subject.environment !== subject.environment) continue;
    await deps.exports.delete(other.export.key);
    await deps.compliance.update(other, { export: { ...other.export, erasedAt: deps.clock.now().toISOString() } }).catch((error: unknown) => {
      // A concurrent change of that record (another request about the same subject): the object is gone either way.
      if (!(error instanceof ConflictError)) throw error;
    });
    exportsErased += 1;
  }
  add({ earlierExportsErased: exportsErased });
  // The Pin records last: a request cut short before them still lists, sent again, the Pins that stay.
  if (account !== undefined && subject.pinterestAccountId !== undefined) add(await deps.records.erasePins(subject.pinterestAccountId, account));
  const done = await deps.compliance.update(record, { status: 'completed', completedAt: deps.clock.now().toISOString(), counts });
  // Earlier deletions of the subject that were cut short are finished by this one.
  for (const other of earlier) {
    if (other.type !== 'delete' || other.status !== 'started') continue;
    await deps.compliance.update(other, { status: 'superseded', supersededBy: record.id }).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
  }
  await deps.securityLog.write({ kind: 'privacy_request', outcome: 'ok', ...facts, detail: { requestId: record.id, type: 'delete' } });
  return {
    ...view(done),
    pinterestPinsKept: keptOnPinterest,
    notes: [
      keptOnPinterest.length > 0
        ? 'The Pins listed in pinterestPinsKept were published and stay on Pinterest: the publisher no longer holds tokens to remove them. The account owner deletes them on Pinterest.'
        : 'No Pin of this subject was published, so nothing stays on Pinterest.',
      'Mail already delivered (acknowledgements and replies in the requester’s mailbox, notices in the operator’s, form requests in the support mailbox) is outside the publisher: delete it there.',
      'Point-in-time recovery keeps deleted table data for up to 35 days, then it is gone.',
    ],
  };
}

/** GET /privacy/requests: the compliance records, newest first. */
export async function listPrivacyRequests(deps: Pick<PrivacyDeps, 'compliance'>, options: { limit: number; cursor?: string }) {
  const page = await deps.compliance.list(options);
  return { requests: page.items.map(view), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
}

/** GET /privacy/requests/{id}/export: the export document again, until it expires or a deletion erased it. */
export async function readPrivacyExport(deps: Pick<PrivacyDeps, 'compliance' | 'exports' | 'clock'>, id: string): Promise<Buffer> {
  const record = await deps.compliance.get(id);
  if (record?.type !== 'export') throw new NotFoundError(`No export request ${id}`);
  if (record.export === undefined) throw new NotFoundError(`Export ${id} did not finish (status ${record.status}): send the request again`);
  if (record.export.erasedAt !== undefined) throw new NotFoundError(`Export ${id} was erased by a later deletion request (${record.export.erasedAt})`);
  if (new Date(record.export.expiresAt).getTime() <= deps.clock.now().getTime()) throw new NotFoundError(`Export ${id} expired at ${record.export.expiresAt}`);
  const body = await deps.exports.get(record.export.key);
  if (body === undefined) throw new NotFoundError(`Export ${id} is no longer stored`);
  return body;
}

function view(record: ComplianceRecord) {
  return {
    id: record.id,
    type: record.type,
    status: record.status,
    requestedAt: record.requestedAt,
    ...(record.completedAt === undefined ? {} : { completedAt: record.completedAt }),
    subject: record.subject,
    ...(record.ticketId === undefined ? {} : { ticketId: record.ticketId }),
    ...(record.supersededBy === undefined ? {} : { supersededBy: record.supersededBy }),
    counts: record.counts,
    ...(record.export === undefined ? {} : { export: record.export.erasedAt === undefined ? { expiresAt: record.export.expiresAt } : { expiresAt: record.export.expiresAt, erasedAt: record.export.erasedAt } }),
  };
}

/** Token secret names of the account that log entries mention (`detail.secretName`: a deletion that failed). */
function secretsNamedIn(entries: readonly StoredLogEntry[], accountId: string): string[] {
  return entries.flatMap((entry) => {
    const name = entry.detail?.secretName;
    return typeof name === 'string' && name.includes('tokens/') && name.includes(`/${accountId}/`) ? [name] : [];
  });
}

/** Every value that identifies the subject in the security log. */
function identifiersOf(subject: PrivacySubject, account: AccountHoldings | undefined, email: EmailHoldings | undefined): string[] {
  return [
    ...(subject.pinterestAccountId === undefined ? [] : [subject.pinterestAccountId]),
    ...(account?.accounts ?? []).flatMap((record) => [record.connectionId, record.secretName]),
    ...(account?.pins ?? []).flatMap((pin) => [pin.pinId, pin.content.boardId, ...(pin.published === undefined ? [] : [pin.published.pinterestPinId])]),
    ...(account?.boards ?? []).flatMap((env) => env.boards.map((board) => board.boardId)),
    ...(subject.email === undefined ? [] : [normalEmail(subject.email)]),
    ...(email?.tickets ?? []).map((ticket) => ticket.reference),
  ];
}

const withoutKeys = (entry: StoredLogEntry): SecurityEvent => Object.fromEntries(Object.entries(entry).filter(([name]) => name !== 'pk' && name !== 'sk')) as SecurityEvent;

function countsOf(account: AccountHoldings | undefined, email: EmailHoldings | undefined, logEntries: number, earlier: number): Record<string, number> {
  return {
    ...(account === undefined
      ? {}
      : {
          accounts: account.accounts.length,
          pinRecords: account.pins.length,
          boards: account.boards.reduce((sum, env) => sum + env.boards.length, 0),
          imageObjects: account.media.length,
        }),
    ...(email === undefined ? {} : { tickets: email.tickets.length, rawMailObjects: email.rawMail.length, acknowledgementDays: email.acknowledgements.length }),
    securityLogEntries: logEntries,
    earlierRequests: earlier,
  };
}

function exportDocument(
  record: ComplianceRecord,
  subject: PrivacySubject,
  account: AccountHoldings | undefined,
  email: EmailHoldings | undefined,
  logEntries: SecurityEvent[],
  earlier: ComplianceRecord[],
) {
  return {
    format: exportFormat,
    requestId: record.id,
    createdAt: record.requestedAt,
    subject,
    ...(account === undefined
      ? {}
      : {
          pinterestAccount: {
            // Token metadata (scopes, expiries, refresh history, the secret's name), never a token.
            connections: account.accounts,
            pinned: account.pinned,
            oauthResponses: logEntries.filter((entry) => entry.kind === 'oauth_callback'),
            boards: account.boards,
            pins: account.pins,
            imageObjects: account.media,
          },
        }),
    ...(email === undefined
      ? {}
      : {
          email: {
            tickets: email.tickets.map((ticket) => ({ ...ticket, rawMail: [...(ticket.s3Key === undefined ? [] : [ticket.s3Key]), ...(ticket.returned ?? []).map((entry) => entry.s3Key)] })),
            acknowledgementsPerDay: email.acknowledgements,
          },
        }),
    securityLog: logEntries,
    complianceRecords: earlier.map(view),
  };
}
