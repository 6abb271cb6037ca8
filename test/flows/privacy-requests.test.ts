import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { mediaKey } from '../../shared/domain/pins';
import { pinWebUrl } from '../../shared/domain/pinterest';
import { normalEmail, pseudonym } from '../../shared/domain/privacy';
import { PIN_CREATE_TIMEOUT_MS } from '../../shared/wiring-publish';
import { clients } from '../support/aws';
import { waitFor } from '../support/board-flow';
import { callFunction, type TestResponse } from '../support/http';
import { errorOf, sha256 } from '../support/pin-flow';
import {
  ackPartition,
  buildSubject,
  findValues,
  itemKey,
  plain,
  setUpPrivacyWorld,
  snapshot,
  stringsOf,
  subjectSpecs,
  workflowItem,
  type Finding,
  type Snapshot,
  type StoredItem,
  type SubjectWorld,
} from '../support/privacy-world';
import { approvedDraft, publish, tinyPng, type PublishJson } from '../support/publish-flow';
import { readSecret, storedSecretSchema } from '../support/token-flow';

/**
 * Privacy requests (POST /privacy/requests, GET /privacy/requests, GET /privacy/requests/{id}/export)
 * through the real handlers, on a world with two subjects built through the product itself
 * (../support/privacy-world.ts): A is a Pinterest account connected in the sandbox plus the email
 * address of a person who wrote to support and used the support form; B the same in production. Each
 * has every record kind the product keeps: the connection and pinned id, a token secret with two
 * versions, boards with cached sections and the sync snapshot, a published Pin and a draft with stored
 * images (holders, image references, bytes), security-log entries naming them, a mail ticket with its
 * raw message, acknowledgement counter, sent-mail entries and an operator reply, and a form ticket.
 *
 * The tests run in order on that one world: bad input changes nothing; exports of A and of B each hold
 * their own subject and nothing of the other; a deletion of A is refused while one of A's Pins is being
 * published or its outcome is unknown; then A is deleted, and a full scan of the file's three tables,
 * every object of its bucket and every version of every secret under its prefix finds no value of A
 * (security-log entries keep their place with `pseudonym:` values), while everything of B is as it was.
 * Run the file whole: its
 * tests build on each other (a `-t` filter leaves the later ones without what they expect).
 */

const world = setUpPrivacyWorld('privacy');
const specs = subjectSpecs();
let a: SubjectWorld;
let b: SubjectWorld;

beforeAll(async () => {
  a = await buildSubject(world, specs.a);
  b = await buildSubject(world, specs.b);
}, 300_000);

// ------------------------------------------------------------------------------------------------
// The routes

interface RequestView {
  id: string;
  type: 'export' | 'delete';
  status: string;
  requestedAt: string;
  completedAt?: string;
  subject: { hashes: string[]; kinds: string[]; environment?: string };
  ticketId?: string;
  counts: Record<string, number>;
  export?: { expiresAt: string; erasedAt?: string };
  exportPath?: string;
  pinterestPinsKept?: Array<{ environment: string; pinterestPinId: string; url: string }>;
  notes?: string[];
}

function postRequest(body: unknown, contentType = 'application/json'): Promise<TestResponse> {
  return callFunction('handlePrivacyRequest', {
    method: 'POST',
    url: '/privacy/requests',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Every request answered 201, in the order made (the listing's order is the reverse). */
const made: string[] = [];

async function request(body: unknown): Promise<RequestView> {
  const res = await postRequest(body);
  if (res.statusCode !== 201) throw new Error(`POST /privacy/requests answered ${String(res.statusCode)}: ${res.text}`);
  const view = res.json() as RequestView;
  made.push(view.id);
  return view;
}

function getExport(id: string): Promise<TestResponse> {
  return callFunction('getPrivacyExport', { method: 'GET', url: `/privacy/requests/${encodeURIComponent(id)}/export`, pathParameters: { id } });
}

async function exportDocument(id: string): Promise<{ text: string; doc: ExportJson }> {
  const res = await getExport(id);
  if (res.statusCode !== 200) throw new Error(`GET /privacy/requests/${id}/export answered ${String(res.statusCode)}: ${res.text}`);
  expect(res.headers['content-disposition']).toBe(`attachment; filename="privacy-export-${id}.json"`);
  return { text: res.text, doc: res.json() as ExportJson };
}

function listRequests(query: Record<string, string>): Promise<TestResponse> {
  return callFunction('listPrivacyRequests', { method: 'GET', url: `/privacy/requests?${new URLSearchParams(query).toString()}` });
}

interface ExportJson {
  format: string;
  requestId: string;
  expiresAt: string;
  subject: Record<string, string>;
  pinterestAccount?: {
    connections: Array<Record<string, unknown>>;
    pinned: Array<{ environment: string; accountId: string; pinnedAt: string }>;
    oauthResponses: Array<{ kind: string; detail?: Record<string, unknown> }>;
    boards: Array<{ environment: string; boards: Array<{ boardId: string; name: string }>; sections: Array<{ boardId: string; sections: Array<{ id: string; name: string }> }>; snapshot?: { boardCount: number } }>;
    pins: Array<{ pinId: string; status: string; content: { title?: string; media: { kind: string; key?: string; sha256?: string } }; history: Array<{ action: string }>; published?: { pinterestPinId: string } }>;
    imageObjects: string[];
  };
  email?: {
    tickets: Array<{ reference: string; source: string; rawMail: string[]; replies: Array<{ text: string }>; from?: { address: string; name: string } }>;
    acknowledgementsPerDay: Array<{ day: string; count: number }>;
  };
  securityLog: Array<{ kind: string; path?: string; detail?: Record<string, unknown> }>;
  complianceRecords: Array<{ id: string; type: string; status: string }>;
}

const subjectOf = (subject: SubjectWorld) => ({ pinterestAccountId: subject.accountId, email: subject.spec.email.toLowerCase() });

// ------------------------------------------------------------------------------------------------
// What belongs to whom

const isAccountSecret = (subject: SubjectWorld) => (name: string) => name.includes(`tokens/${subject.spec.environment}/${subject.accountId}/`);

/** The subject's ticket items: those naming its address in any field the product compares. */
function ticketsOf(subject: SubjectWorld, shot: Snapshot): Array<Record<string, unknown>> {
  const email = subject.spec.email.toLowerCase();
  return shot.items
    .filter((stored) => stored.table === 'workflow' && String(stored.item.pk).startsWith('TICKET#'))
    .map((stored) => stored.item)
    .filter((item) => stringsOf(item).some((value) => value.toLowerCase() === email));
}

/**
 * Every value of the subject, harvested from what the product stored (not only what the test sent):
 * account id, username, business name, connection and secret names, both versions' tokens, board ids,
 * names, descriptions, section ids and names, Pin record ids, titles, descriptions, links, alt texts,
 * asset labels, image hashes, media keys and references, Pinterest Pin ids, the address, the sender's
 * name, ticket references, SES and mail Message-IDs, subjects and texts, the reply, the form message.
 */
function valuesOf(subject: SubjectWorld, shot: Snapshot): string[] {
  const { spec } = subject;
  const env = spec.environment;
  const values: unknown[] = [
    subject.accountId,
    spec.user.username,
    spec.user.businessName,
    spec.email,
    spec.senderName,
    ...spec.boardNames,
    spec.boardDescription,
    spec.sectionName,
    ...Object.values(spec.pin),
    spec.draftTitle,
    spec.mailSubject,
    spec.mailText,
    spec.formText,
    spec.replyText,
    subject.mail.sesId,
    subject.mail.reference,
    subject.mail.messageId,
    subject.formReference,
    subject.section.id,
    ...subject.images.map(sha256),
  ];
  const account = shot.items.find((stored) => stored.key === itemKey('workflow', `ACCOUNT#${env}`, 'CURRENT'))?.item;
  values.push(account?.connectionId, account?.secretName);
  for (const stored of shot.items) {
    const { item } = stored;
    if (stored.table !== 'workflow') continue;
    if (item.pk === `BOARDS#${env}` && typeof item.boardId === 'string') values.push(item.boardId, item.name, item.description);
    if (item.pk === `BOARDS#${env}` && Array.isArray(item.sections)) values.push(...(item.sections as Array<{ id: string; name: string }>).flatMap((section) => [section.id, section.name]));
    if (String(item.pk).startsWith('PIN#') && item.accountId === subject.accountId) {
      const content = item.content as { title?: string; description?: string; link?: string; altText?: string; media: { sha256?: string; key?: string; ref?: string } };
      const published = item.published as { pinterestPinId?: string } | undefined;
      values.push(item.pinId, item.assetLabel, content.title, content.description, content.link, content.altText, content.media.sha256, content.media.key, content.media.ref, published?.pinterestPinId);
    }
  }
  for (const ticket of ticketsOf(subject, shot)) {
    const replies = ticket.replies as Array<{ text: string; messageId?: string }>;
    const ack = ticket.acknowledgement as { messageId?: string };
    const forwarded = ticket.forwarded as { messageId?: string } | undefined;
    values.push(ticket.reference, ticket.sesMessageId, ticket.messageId, ticket.s3Key, ticket.text, ack.messageId, forwarded?.messageId, ...replies.flatMap((r) => [r.text, r.messageId]));
  }
  for (const secret of shot.secrets.filter((s) => isAccountSecret(subject)(s.name))) {
    values.push(secret.name);
    for (const version of secret.versions) {
      const tokens = storedSecretSchema.parse(JSON.parse(version.value));
      values.push(tokens.accessToken, tokens.refreshToken);
    }
  }
  // Short values could match unrelated text; every value here is far longer.
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value.length >= 8))];
}

/** The token strings of every version of the subject's secret. */
function tokensOf(subject: SubjectWorld, shot: Snapshot): string[] {
  return shot.secrets
    .filter((secret) => isAccountSecret(subject)(secret.name))
    .flatMap((secret) => secret.versions.map((version) => storedSecretSchema.parse(JSON.parse(version.value))))
    .flatMap((tokens) => [tokens.accessToken, tokens.refreshToken]);
}

const isLog = (stored: StoredItem) => stored.table === 'audit' && stored.item.pk === 'LOG';
const isCompliance = (stored: StoredItem) => stored.table === 'audit' && stored.item.pk === 'PRIVACY';

/** The snapshot as comparable data, without the security log (every request writes an http_request entry). */
function withoutLog(shot: Snapshot) {
  return {
    items: Object.fromEntries(shot.items.filter((stored) => !isLog(stored)).map((stored) => [stored.key, plain(stored.item)])),
    objects: Object.fromEntries(shot.objects.map((object) => [object.key, sha256(object.body)])),
    secrets: shot.secrets,
  };
}

const logEntries = (shot: Snapshot) => shot.items.filter(isLog).map((stored) => stored.item as { id: string; kind: string; status?: number; path?: string; detail?: Record<string, unknown> });
const newLogEntries = (before: Snapshot, after: Snapshot) => {
  const seen = new Set(logEntries(before).map((entry) => entry.id));
  return logEntries(after).filter((entry) => !seen.has(entry.id));
};

const lower = (texts: string[]) => texts.map((text) => text.toLowerCase());
/** An `account` entry's step (`confirmed`, `refreshed`), '' for other kinds. */
const stepOf = (entry: { detail?: Record<string, unknown> }): string => (typeof entry.detail?.step === 'string' ? entry.detail.step : '');
const today = () => new Date().toISOString().slice(0, 10);

// ------------------------------------------------------------------------------------------------

describe('the world', () => {
  it('holds every record kind for both subjects', async () => {
    const shot = await snapshot(world);
    for (const subject of [a, b]) {
      const env = subject.spec.environment;
      const has = (table: string, pk: string, sk?: string) => shot.items.some((s) => s.table === table && s.item.pk === pk && (sk === undefined || s.item.sk === sk));
      const prefixed = (table: string, prefix: string) => shot.items.filter((s) => s.table === table && String(s.item.pk).startsWith(prefix));
      expect({ subject: subject.spec.label, current: has('workflow', `ACCOUNT#${env}`, 'CURRENT'), pinned: has('workflow', `ACCOUNT#${env}`, 'PINNED') }).toEqual({ subject: subject.spec.label, current: true, pinned: true });
      const boards = prefixed('workflow', `BOARDS#${env}`).map((s) => String(s.item.sk).split('#')[0]);
      expect(boards.sort()).toEqual(['BOARD', 'BOARD', 'SECTIONS', 'SECTIONS', 'SNAPSHOT']);
      const pins = prefixed('workflow', 'PIN#').filter((s) => s.item.accountId === subject.accountId);
      expect(pins.map((s) => s.item.status).sort()).toEqual(['draft', 'published']);
      expect(prefixed('workflow', `PINTEREST_PIN#${env}#`).map((s) => s.item.pinId)).toEqual([subject.published.id]);
      expect(prefixed('workflow', `MEDIA#${env}#${subject.accountId}#`)).toHaveLength(2);
      expect(shot.objects.filter((o) => o.key.startsWith(`media/${env}/${subject.accountId}/`))).toHaveLength(2);
      expect(shot.objects.some((o) => o.key === `mail/inbound/${subject.mail.sesId}`)).toBe(true);
      const tickets = ticketsOf(subject, shot);
      expect(tickets.map((t) => t.source).sort()).toEqual(['form', 'mail']);
      const sent = prefixed('workflow', 'SENT_MAIL#').filter((s) => [subject.mail.reference, subject.formReference].includes(String(s.item.reference)));
      expect(sent.length).toBeGreaterThanOrEqual(3); // acknowledgement, reply, forward (and the operator's notice)
      expect(has('state', ackPartition(world, subject.spec.email))).toBe(true);
      const secrets = shot.secrets.filter((s) => isAccountSecret(subject)(s.name));
      expect(secrets).toHaveLength(1);
      expect(secrets[0]?.versions).toHaveLength(2); // connected, then refreshed
      const log = logEntries(shot).filter((entry) => stringsOf(entry).includes(subject.accountId));
      expect(new Set(log.map((entry) => `${entry.kind}:${stepOf(entry)}`))).toEqual(new Set(['oauth_callback:', 'account:confirmed', 'account:refreshed']));
      expect(logEntries(shot).some((entry) => entry.kind === 'pin_publish' && entry.detail?.pin === subject.published.id && entry.detail.pinterestPinId === subject.published.published?.pinterestPinId)).toBe(true);
      expect(logEntries(shot).some((entry) => entry.kind === 'http_request' && entry.path === `/pins/${subject.published.id}/publish`)).toBe(true);
    }
    // No value of one subject is part of a value of the other (the scans below could not tell them apart).
    const ofA = lower(valuesOf(a, shot));
    const ofB = lower(valuesOf(b, shot));
    expect(ofA.filter((x) => ofB.some((y) => x.includes(y) || y.includes(x)))).toEqual([]);
  });
});

describe('bad input', () => {
  const email = () => a.spec.email.toLowerCase();
  const cases: Array<[string, () => unknown, string]> = [
    ['no subject', () => ({ type: 'export' }), 'validation_failed'],
    ['an empty subject', () => ({ type: 'delete', subject: {} }), 'validation_failed'],
    ['an unknown type', () => ({ type: 'erase', subject: { email: email() } }), 'validation_failed'],
    ['a malformed email', () => ({ type: 'delete', subject: { email: 'alma-at-example.org' } }), 'validation_failed'],
    ['an email with CR/LF', () => ({ type: 'delete', subject: { email: `${email()}\r\nBcc: someone@example.org` } }), 'validation_failed'],
    ['an environment without pinterestAccountId', () => ({ type: 'delete', subject: { environment: 'sandbox', email: email() } }), 'validation_failed'],
    ['an unknown field in the subject', () => ({ type: 'delete', subject: { pinterestAccountId: a.accountId, name: 'Alma' } }), 'validation_failed'],
    ['an unknown field', () => ({ type: 'delete', subject: { pinterestAccountId: a.accountId }, reason: 'asked by mail' }), 'validation_failed'],
    ['a malformed ticketId', () => ({ type: 'delete', subject: { pinterestAccountId: a.accountId }, ticketId: 'ticket 7' }), 'validation_failed'],
    ['a body that is not JSON', () => `type=delete&pinterestAccountId=${a.accountId}`, 'invalid_json'],
  ];

  it.each(cases)('%s → 400, and nothing is erased or recorded', async (_name, body, code) => {
    const before = await snapshot(world);
    const res = await postRequest(body());
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe(code);
    const after = await snapshot(world);
    expect(withoutLog(after)).toEqual(withoutLog(before));
    expect(newLogEntries(before, after).map((entry) => [entry.kind, entry.status, entry.path])).toEqual([['http_request', 400, '/privacy/requests']]);
  });

  it('GET /privacy/requests/{id}/export: a malformed id → 400, an unknown id → 404', async () => {
    for (const id of ['not-a-request-id', '20261202T101500123Z-1A2B3C4D', '20261202T101500123Z-1a2b3c4d.json', '../exports/x']) {
      const res = await getExport(id);
      expect({ id, status: res.statusCode, code: errorOf(res).code }).toEqual({ id, status: 400, code: 'validation_failed' });
    }
    const unknown = await getExport('20200101T000000000Z-0badc0de');
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).code).toBe('not_found');
  });
});

describe('exports', () => {
  it("an export of A holds each kind of A's records (never a token) and nothing of B; a second export lists the first", async () => {
    const first = await request({ type: 'export', subject: subjectOf(a) });
    expect(first).toMatchObject({ type: 'export', status: 'completed', subject: { kinds: ['pinterest_account', 'email'] }, exportPath: `/privacy/requests/${first.id}/export` });
    const view = await request({ type: 'export', subject: subjectOf(a) });
    const shot = await snapshot(world);
    expect(view.counts).toMatchObject({ accounts: 1, pinRecords: 2, boards: 2, imageObjects: 2, tickets: 2, rawMailObjects: 1, acknowledgementDays: 1, earlierRequests: 1 });
    expect(view.counts.securityLogEntries).toBeGreaterThan(5);
    // The subject only as keyed hashes in the compliance record.
    expect(view.subject.hashes).toEqual([keyedHash(world.hashingKey, 'account-subject', a.accountId), keyedHash(world.hashingKey, 'email-subject', normalEmail(a.spec.email))]);

    const { text, doc } = await exportDocument(view.id);
    expect(doc).toMatchObject({ format: 'mdz-publisher-export/1', requestId: view.id, subject: subjectOf(a) });
    const account = doc.pinterestAccount;
    if (account === undefined) throw new Error('no pinterestAccount section');
    // Connections with token metadata, never a token (any version's).
    expect(account.connections).toEqual([
      expect.objectContaining({ environment: 'sandbox', accountId: a.accountId, username: a.spec.user.username, businessName: a.spec.user.businessName, tokenVersion: 2, secretName: expect.stringContaining(`tokens/sandbox/${a.accountId}/`) as unknown }),
    ]);
    expect(account.connections[0]?.lastRefreshAt).toEqual(expect.any(String));
    const tokens = tokensOf(a, shot);
    expect(tokens).toHaveLength(4);
    expect(tokens.filter((token) => text.includes(token))).toEqual([]);
    expect(text).not.toMatch(/"(accessToken|refreshToken)"/);
    expect(account.pinned).toEqual([{ environment: 'sandbox', accountId: a.accountId, pinnedAt: expect.any(String) as unknown }]);
    expect(account.oauthResponses.length).toBeGreaterThan(0);
    for (const entry of account.oauthResponses) expect(entry).toMatchObject({ kind: 'oauth_callback', detail: { accountId: a.accountId } });
    // Boards, sections and the snapshot of the environment A is connected in.
    expect(account.boards).toHaveLength(1);
    const boards = account.boards[0];
    expect(boards?.environment).toBe('sandbox');
    expect(boards?.boards.map((board) => board.name).sort()).toEqual([...a.spec.boardNames].sort());
    expect(boards?.sections.flatMap((record) => record.sections.map((section) => section.name))).toEqual([a.spec.sectionName]);
    expect(boards?.snapshot).toMatchObject({ boardCount: 2 });
    // Pin records with history and media keys, and the image bytes' keys.
    const pins = new Map(account.pins.map((pin) => [pin.pinId, pin]));
    expect([...pins.keys()].sort()).toEqual([a.published.id, a.draft.id].sort());
    expect(pins.get(a.published.id)).toMatchObject({ status: 'published', content: { title: a.spec.pin.title }, published: { pinterestPinId: a.published.published?.pinterestPinId } });
    expect(pins.get(a.published.id)?.history.map((entry) => entry.action)).toEqual(['create', 'approve', 'publish', 'outcome']);
    const keys = a.images.map((image) => mediaKey('sandbox', a.accountId, sha256(image))).sort();
    expect(account.pins.map((pin) => pin.content.media.key).sort()).toEqual(keys);
    expect([...account.imageObjects].sort()).toEqual(keys);
    // Tickets with their raw mail keys and the reply, and the acknowledgement counter.
    const tickets = new Map((doc.email?.tickets ?? []).map((ticket) => [ticket.reference, ticket]));
    expect([...tickets.keys()].sort()).toEqual([a.mail.reference, a.formReference].sort());
    expect(tickets.get(a.mail.reference)).toMatchObject({ source: 'mail', rawMail: [`mail/inbound/${a.mail.sesId}`], from: { name: a.spec.senderName }, replies: [{ text: a.spec.replyText }] });
    expect(tickets.get(a.formReference)).toMatchObject({ source: 'form', rawMail: [] });
    expect(doc.email?.acknowledgementsPerDay).toEqual([{ day: today(), count: 1 }]);
    // Security-log entries naming A: the connection, the confirmation, the refresh, the publish, the paths.
    const kinds = new Set(doc.securityLog.map((entry) => `${entry.kind}:${stepOf(entry)}`));
    for (const kind of ['oauth_callback:', 'account:confirmed', 'account:refreshed', 'pin_publish:', 'http_request:']) expect(kinds).toContain(kind);
    const paths = doc.securityLog.flatMap((entry) => (entry.path === undefined ? [] : [entry.path]));
    expect(paths).toEqual(expect.arrayContaining([`/pins/${a.published.id}/publish`, `/pins/${a.draft.id}/media`, `/support/tickets/${a.mail.reference}/reply`]));
    expect(doc.securityLog.some((entry) => entry.kind === 'pin_publish' && entry.detail?.pinterestPinId === a.published.published?.pinterestPinId)).toBe(true);
    // The earlier request about the same subject.
    expect(doc.complianceRecords).toEqual([expect.objectContaining({ id: first.id, type: 'export', status: 'completed' })]);
    // Nothing of B, in any case.
    const ofB = valuesOf(b, shot);
    expect(ofB.length).toBeGreaterThan(30);
    expect(ofB.filter((value) => text.toLowerCase().includes(value.toLowerCase()))).toEqual([]);
  });

  it('an export of B (recording the ticket it came from) holds nothing of A', async () => {
    const view = await request({ type: 'export', subject: subjectOf(b), ticketId: b.formReference });
    expect(view).toMatchObject({ type: 'export', status: 'completed', ticketId: b.formReference, counts: { accounts: 1, pinRecords: 2, tickets: 2, earlierRequests: 0 } });
    const shot = await snapshot(world);
    const { text, doc } = await exportDocument(view.id);
    expect(doc.pinterestAccount?.connections).toEqual([expect.objectContaining({ environment: 'production', accountId: b.accountId, username: b.spec.user.username })]);
    expect(doc.pinterestAccount?.pins.map((pin) => pin.pinId).sort()).toEqual([b.published.id, b.draft.id].sort());
    expect(tokensOf(b, shot).filter((token) => text.includes(token))).toEqual([]);
    const ofA = valuesOf(a, shot);
    expect(ofA.filter((value) => text.toLowerCase().includes(value.toLowerCase()))).toEqual([]);
  });
});

/** The checks that nothing of A was erased (and no compliance record written) by a refused deletion. */
async function expectNothingOfAErased(complianceBefore: number): Promise<void> {
  const shot = await snapshot(world);
  const secret = shot.secrets.find((s) => isAccountSecret(a)(s.name));
  expect(secret?.versions).toHaveLength(2);
  await expect(readSecret(secret?.name ?? '')).resolves.toMatchObject({ tokenVersion: 2 });
  expect(await workflowItem(world, 'ACCOUNT#sandbox', 'CURRENT')).toMatchObject({ accountId: a.accountId, status: 'connected' });
  expect(await workflowItem(world, 'ACCOUNT#sandbox', 'PINNED')).toMatchObject({ accountId: a.accountId });
  for (const id of [a.published.id, a.draft.id]) expect(await workflowItem(world, `PIN#${id}`, 'PIN')).toBeDefined();
  expect(shot.objects.filter((o) => o.key.startsWith(`media/sandbox/${a.accountId}/`)).length).toBeGreaterThanOrEqual(2);
  expect(shot.objects.some((o) => o.key === `mail/inbound/${a.mail.sesId}`)).toBe(true);
  expect(ticketsOf(a, shot)).toHaveLength(2);
  expect(shot.items.filter((s) => s.item.pk === 'BOARDS#sandbox')).toHaveLength(5);
  expect(shot.items.filter(isCompliance)).toHaveLength(complianceBefore);
}

describe('a deletion while a Pin of A is being published', () => {
  it('is refused with 409 while the Pin is publishing, and again while its outcome is unknown (needs_reconcile); nothing is erased and no record written', async () => {
    const title = `${a.spec.pin.title} (second)`;
    const pin = await approvedDraft({ environment: 'sandbox', boardId: a.boards[0]?.id, title, imageBase64: tinyPng().toString('base64'), imageContentType: 'image/png' });
    const complianceBefore = (await snapshot(world)).items.filter(isCompliance).length;
    const creates = () => world.emulator.controls.requests().filter((r) => r.host === 'sandbox' && r.method === 'POST' && r.path === '/v5/pins').length;
    const sent = creates();
    // The Pin call outlasts the product's timeout: publishing while it is out, needs_reconcile after.
    world.emulator.controls.injectFault({ host: 'sandbox', method: 'POST', path: '/v5/pins', kind: 'delay', ms: PIN_CREATE_TIMEOUT_MS + 600 });
    const running = publish(pin.id);
    await waitFor(() => creates() > sent, 'the Pin creation to reach the emulator');
    expect(await workflowItem(world, `PIN#${pin.id}`, 'PIN')).toMatchObject({ status: 'publishing' });

    const whilePublishing = await postRequest({ type: 'delete', subject: subjectOf(a) });
    expect(whilePublishing.statusCode).toBe(409);
    expect(whilePublishing.json()).toMatchObject({ error: { code: 'conflict', currentState: 'publishing', pins: [{ id: pin.id, status: 'publishing' }] } });
    expect(errorOf(whilePublishing).message).toContain('Nothing was erased');
    await expectNothingOfAErased(complianceBefore);

    const outcome = await running;
    expect((outcome.json() as PublishJson).outcome).toBe('needs_reconcile');
    const before = await snapshot(world);
    // Narrowed to the environment, and with the address: refused all the same.
    const whileUnknown = await postRequest({ type: 'delete', subject: { ...subjectOf(a), environment: 'sandbox' } });
    expect(whileUnknown.statusCode).toBe(409);
    expect(whileUnknown.json()).toMatchObject({ error: { code: 'conflict', currentState: 'needs_reconcile', pins: [{ id: pin.id, status: 'needs_reconcile' }] } });
    const after = await snapshot(world);
    expect(withoutLog(after)).toEqual(withoutLog(before));
    expect(newLogEntries(before, after).map((entry) => [entry.kind, entry.status])).toEqual([['http_request', 409]]);
    await expectNothingOfAErased(complianceBefore);

    // The operator settles it: the slow Pin exists at Pinterest, and the record is resolved to it.
    await waitFor(() => world.emulator.controls.pins('sandbox').some((p) => p.title === title), 'the slow Pin', 5_000);
    const pinterestPinId = world.emulator.controls.pins('sandbox').find((p) => p.title === title)?.id ?? '';
    const resolved = await callFunction('resolvePin', { method: 'POST', url: `/pins/${pin.id}/resolve`, pathParameters: { id: pin.id }, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'published', pinterestPinId }) });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'published' });
  }, 90_000);
});

describe('a deletion of A', () => {
  let before: Snapshot;
  let after: Snapshot;
  let answer: RequestView;
  let ofA: string[];
  let ofB: string[];
  /** A's export requests made above (their documents hold A in clear). */
  let exportsOfA: string[];
  let exportOfB: string;

  beforeAll(async () => {
    before = await snapshot(world);
    ofA = valuesOf(a, before);
    ofB = valuesOf(b, before);
    const exports = before.items.filter(isCompliance).map((s) => s.item as { id: string; ticketId?: string });
    exportsOfA = exports.filter((record) => record.ticketId === undefined).map((record) => record.id);
    exportOfB = exports.find((record) => record.ticketId === b.formReference)?.id ?? '';
    // The address in another case than the mail and the form had it: addresses compare case-insensitively.
    answer = await request({ type: 'delete', subject: { pinterestAccountId: a.accountId, email: a.spec.email.toUpperCase() } });
    after = await snapshot(world);
  }, 120_000);

  it('answers 201 with what it erased, and lists the published Pins that stay on Pinterest', () => {
    const pinsOfA = before.items.filter((s) => String(s.item.pk).startsWith('PIN#') && s.item.accountId === a.accountId).map((s) => s.item as { published?: { pinterestPinId: string } });
    const kept = pinsOfA.flatMap((pin) => (pin.published === undefined ? [] : [pin.published.pinterestPinId]));
    expect(kept).toHaveLength(2);
    expect(answer).toMatchObject({ type: 'delete', status: 'completed', subject: { kinds: ['pinterest_account', 'email'] } });
    expect(answer.completedAt).toEqual(expect.any(String));
    expect([...(answer.pinterestPinsKept ?? [])].sort((x, y) => x.pinterestPinId.localeCompare(y.pinterestPinId))).toEqual(
      kept.sort().map((id) => ({ environment: 'sandbox', pinterestPinId: id, url: pinWebUrl(id) })),
    );
    expect(answer.notes?.[0]).toContain('stay on Pinterest');
    const logNamingA = logEntries(before).filter((entry) => lower(stringsOf(entry)).some((text) => ofA.some((value) => text.includes(value.toLowerCase()))));
    expect(answer.counts).toEqual({
      tokenSecrets: 1,
      pinRecords: 3,
      pinterestPinHolders: 2,
      imageReferences: 3,
      imageObjects: 3,
      boardRecords: 5,
      accountRecords: 2,
      pacingReferences: 1,
      tickets: 2,
      rawMailObjects: 1,
      sentMailEntries: 4,
      acknowledgementCounters: 1,
      earlierExportsErased: 2,
      securityLogEntriesPseudonymised: logNamingA.length,
    });
    expect(logNamingA.length).toBeGreaterThan(10);
  });

  const pinIdsOfA = () => before.items.filter((s) => String(s.item.pk).startsWith('PIN#') && s.item.accountId === a.accountId).map((s) => String(s.item.pinId));
  const referencesOfA = () => ticketsOf(a, before).map((ticket) => String(ticket.reference));
  const afterItem = (key: string) => after.items.find((stored) => stored.key === key)?.item;
  const pacingKey = itemKey('state', 'PACING#sandbox', 'PIN_WRITES');

  /** The places still holding a value of A, with the values. */
  const leftovers = (): Finding[] => findValues(after, ofA);

  it('leaves no value of A in any item of the three tables, any object of the bucket, or any version of any secret', () => {
    expect(ofA.length).toBeGreaterThan(40);
    // The same scan found A in every kind of place before: it can see what it looks for.
    const place = (where: string) =>
      where.startsWith('s3:') ? where.split('/').slice(0, where.startsWith('s3:mail/') ? 2 : 1).join('/') : where.startsWith('secret:') ? (where.includes('#') ? 'secret version' : 'secret') : where.split(' ').slice(0, 2).join(' ').split('#')[0];
    expect([...new Set(findValues(before, ofA).map((finding) => place(finding.where)))].sort()).toEqual(
      [
        'audit LOG',
        's3:exports',
        's3:mail/inbound',
        's3:media',
        'secret',
        'secret version',
        'state PACING',
        'workflow ACCOUNT',
        'workflow BOARDS',
        'workflow MEDIA',
        'workflow PIN',
        'workflow PINTEREST_PIN',
        'workflow SENT_MAIL',
        'workflow TICKET',
      ].sort(),
    );
    expect(leftovers()).toEqual([]);
    // Not even the image bytes under another key.
    const images = new Set(a.images.map(sha256));
    expect(after.objects.filter((object) => images.has(sha256(object.body))).map((object) => object.key)).toEqual([]);
    // A's secret is gone (no version left), and the ACK# counters of A's address too.
    expect(after.secrets.filter((secret) => isAccountSecret(a)(secret.name))).toEqual([]);
    expect(after.items.filter((s) => s.item.pk === ackPartition(world, a.spec.email))).toEqual([]);
  });

  it('security-log entries that named A are kept with each such value replaced by its pseudonym; every other record (all of B) is unchanged', () => {
    const afterByKey = new Map(after.items.map((stored) => [stored.key, stored]));
    const namesA = (value: unknown) => lower(stringsOf(value)).some((text) => ofA.some((v) => text.includes(v.toLowerCase())));
    const unexpected: string[] = [];
    for (const stored of before.items) {
      const now = afterByKey.get(stored.key);
      if (isLog(stored) && namesA(stored.item)) {
        // Kept, with the values naming A pseudonymised whole and nothing else changed.
        const entry = stored.item as Record<string, unknown> & { detail?: Record<string, unknown> };
        const expected: Record<string, unknown> = { ...entry };
        if (typeof entry.path === 'string' && namesA(entry.path)) expected.path = pseudonym(world.hashingKey, entry.path);
        if (entry.detail !== undefined) {
          expected.detail = Object.fromEntries(
            Object.entries(entry.detail).map(([name, value]) => [
              name,
              Array.isArray(value) ? (value as unknown[]).map((item) => (namesA(item) ? pseudonym(world.hashingKey, String(item)) : item)) : namesA(value) ? pseudonym(world.hashingKey, String(value)) : value,
            ]),
          );
        }
        if (JSON.stringify(plain(now?.item)) !== JSON.stringify(plain(expected))) unexpected.push(`${stored.key}: ${JSON.stringify(plain(now?.item))} instead of ${JSON.stringify(plain(expected))}`);
      } else if (namesA(stored.item) || stored.key === itemKey('workflow', 'BOARDS#sandbox', 'SNAPSHOT') || stored.item.pk === ackPartition(world, a.spec.email)) {
        if (stored.key === pacingKey) {
          // The counter stays (it paces the environment), without its reference to A's last record.
          const expected = Object.fromEntries(Object.entries(stored.item).filter(([name]) => name !== 'lastPinId'));
          if (JSON.stringify(plain(now?.item)) !== JSON.stringify(plain(expected))) unexpected.push(`${stored.key}: ${JSON.stringify(plain(now?.item))} instead of ${JSON.stringify(plain(expected))}`);
        } else if (now !== undefined) unexpected.push(`${stored.key} is still there`);
      } else if (isCompliance(stored) && exportsOfA.includes(String(stored.item.id))) {
        // A's earlier exports: the record stays, marked erased.
        const record = stored.item as { export: Record<string, unknown>; version: number };
        expect(now?.item).toEqual({ ...stored.item, export: { ...record.export, erasedAt: expect.any(String) as unknown }, version: record.version + 1 });
      } else if (JSON.stringify(plain(now?.item)) !== JSON.stringify(plain(stored.item))) {
        unexpected.push(`${stored.key} changed: ${JSON.stringify(plain(now?.item))}`);
      }
    }
    // New: the deletion's compliance record and its log entries.
    const known = new Set(before.items.map((stored) => stored.key));
    const added = after.items.filter((stored) => !known.has(stored.key));
    expect(added.filter((stored) => !isLog(stored)).map((stored) => stored.key)).toEqual([itemKey('audit', 'PRIVACY', `REQUEST#${answer.id}`)]);
    expect(unexpected).toEqual([]);
    // Objects: A's images, raw mail and exports gone; all else (B's) byte for byte the same.
    const erased = (key: string) => key.startsWith(`media/sandbox/${a.accountId}/`) || key === `mail/inbound/${a.mail.sesId}` || exportsOfA.some((id) => key === `exports/${id}.json`);
    expect(before.objects.filter((object) => erased(object.key))).toHaveLength(6);
    expect(Object.fromEntries(after.objects.map((o) => [o.key, sha256(o.body)]))).toEqual(Object.fromEntries(before.objects.filter((o) => !erased(o.key)).map((o) => [o.key, sha256(o.body)])));
    // Secrets: A's gone, every other one (B's with both versions, the hashing key, the app's) as it was.
    expect(after.secrets).toEqual(before.secrets.filter((secret) => !isAccountSecret(a)(secret.name)));
    expect(after.secrets.filter((secret) => isAccountSecret(b)(secret.name)).map((secret) => secret.versions.length)).toEqual([2]);
  });

  it("keeps B's records usable: the account, its token secret, boards, Pins, tickets with raw mail, and B's export", async () => {
    const account = await callFunction('getAccount', { method: 'GET', url: '/account' });
    expect(account.json()).toMatchObject({ environments: { production: { status: 'connected', accountId: b.accountId }, sandbox: { status: 'not_connected' } } });
    const secretName = String((await workflowItem(world, 'ACCOUNT#production', 'CURRENT'))?.secretName);
    await expect(readSecret(secretName)).resolves.toMatchObject({ tokenVersion: 2 });
    const boards = await callFunction('listBoards', { method: 'GET', url: '/boards?environment=production' });
    expect((boards.json() as { items: Array<{ name: string }> }).items.map((board) => board.name).sort()).toEqual([...b.spec.boardNames].sort());
    for (const id of [b.published.id, b.draft.id]) expect((await callFunction('getPin', { method: 'GET', url: `/pins/${id}`, pathParameters: { id } })).statusCode).toBe(200);
    const ticket = await callFunction('getTicket', { method: 'GET', url: `/support/tickets/${b.mail.reference}`, pathParameters: { id: b.mail.reference } });
    expect(ticket.json()).toMatchObject({ raw: 'read', text: expect.stringContaining(b.spec.mailText) as unknown });
    const { doc } = await exportDocument(exportOfB);
    expect(doc.subject).toEqual(subjectOf(b));
    // A's connection is gone, and A's records with it.
    for (const id of [a.published.id, a.draft.id]) expect((await callFunction('getPin', { method: 'GET', url: `/pins/${id}`, pathParameters: { id } })).statusCode).toBe(404);
    const gone = await callFunction('getTicket', { method: 'GET', url: `/support/tickets/${a.mail.reference}`, pathParameters: { id: a.mail.reference } });
    expect(gone.statusCode).toBe(404);
    const name = before.secrets.find((secret) => isAccountSecret(a)(secret.name))?.name ?? '';
    await expect(clients.secrets.send(new GetSecretValueCommand({ SecretId: name }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('is a compliance record in the audit table: completed, type delete, its counts, the subject only as keyed hashes', () => {
    const record = after.items.find((stored) => stored.key === itemKey('audit', 'PRIVACY', `REQUEST#${answer.id}`))?.item;
    expect(record).toMatchObject({
      id: answer.id,
      type: 'delete',
      status: 'completed',
      counts: answer.counts,
      subject: { hashes: [keyedHash(world.hashingKey, 'account-subject', a.accountId), keyedHash(world.hashingKey, 'email-subject', normalEmail(a.spec.email))], kinds: ['pinterest_account', 'email'] },
      expiresAt: expect.any(Number) as unknown,
    });
    expect(record?.ticketId).toBeUndefined();
    expect(findValues({ items: after.items.filter(isCompliance), objects: [], secrets: [] }, ofA)).toEqual([]);
  });

  it('writes a `pseudonymised` and a `privacy_request` entry to the security log, neither naming A', () => {
    const added = newLogEntries(before, after);
    expect(added.find((entry) => entry.kind === 'pseudonymised')).toMatchObject({ outcome: 'ok', detail: { requestId: answer.id, entries: answer.counts.securityLogEntriesPseudonymised } });
    expect(added.find((entry) => entry.kind === 'privacy_request')).toMatchObject({ outcome: 'ok', detail: { requestId: answer.id, type: 'delete' } });
    expect(added.find((entry) => entry.kind === 'http_request')).toMatchObject({ status: 201, path: '/privacy/requests' });
    expect(added.flatMap((entry) => ofA.filter((value) => lower(stringsOf(entry)).some((text) => text.includes(value.toLowerCase()))))).toEqual([]);
  });

  it("erases A's earlier exports: the objects are gone, GET answers 404, their records say when", async () => {
    expect(exportsOfA).toHaveLength(2);
    for (const id of exportsOfA) {
      expect(after.objects.some((object) => object.key === `exports/${id}.json`)).toBe(false);
      const res = await getExport(id);
      expect(res.statusCode).toBe(404);
      expect(errorOf(res).message).toContain('was erased by a later deletion request');
      const record = after.items.find((stored) => stored.key === itemKey('audit', 'PRIVACY', `REQUEST#${id}`))?.item as { export?: { erasedAt?: string } } | undefined;
      expect(record?.export?.erasedAt).toEqual(expect.any(String));
    }
    // A deletion's id has no export.
    expect((await getExport(answer.id)).statusCode).toBe(404);
    // B's export is still served.
    expect((await getExport(exportOfB)).statusCode).toBe(200);
    expect(ofB.length).toBeGreaterThan(30);
  });

  // Two places held a value of A after the deletion until they were fixed; each keeps its own check.
  // The operator's notice about a mail ticket is remembered in the sent-mail index under its Message-ID,
  // which the ticket now keeps (`operatorNoticeId`), so the deletion forgets that entry too.
  it("erases the sent-mail entry of the operator's notice about A's mail ticket too (it names the ticket)", () => {
    const naming = after.items.filter((s) => String(s.item.pk).startsWith('SENT_MAIL#') && referencesOfA().includes(String(s.item.reference)));
    expect(naming.map((s) => s.key)).toEqual([]);
  });

  // The pin-write pacing counter remembers the record that took the last slot (`lastPinId`); the
  // deletion removes that reference when it names a record of the account.
  it('the pin-write pacing counter no longer names a Pin record of A', () => {
    const counter = afterItem(pacingKey);
    expect(counter).toBeDefined();
    expect(pinIdsOfA()).not.toContain(counter?.lastPinId);
  });

  it('a second deletion of A finds nothing more: 201 with zero counts, and nothing changes but its own records', async () => {
    const first = await snapshot(world);
    const again = await request({ type: 'delete', subject: subjectOf(a) });
    expect(again).toMatchObject({ type: 'delete', status: 'completed', pinterestPinsKept: [] });
    expect(Object.entries(again.counts).filter(([, count]) => count !== 0)).toEqual([]);
    expect(again.counts).toMatchObject({ tokenSecrets: 0, pinRecords: 0, tickets: 0, earlierExportsErased: 0, securityLogEntriesPseudonymised: 0 });
    expect(again.notes?.[0]).toContain('No Pin of this subject was published');
    const second = await snapshot(world);
    const own = itemKey('audit', 'PRIVACY', `REQUEST#${again.id}`);
    const view = withoutLog(second);
    expect(view.items[own]).toMatchObject({ id: again.id, type: 'delete', status: 'completed' });
    expect({ ...view, items: Object.fromEntries(Object.entries(view.items).filter(([key]) => key !== own)) }).toEqual(withoutLog(first));
    expect(newLogEntries(first, second).map((entry) => entry.kind).sort()).toEqual(['http_request', 'privacy_request', 'pseudonymised']);
  });
});

describe('GET /privacy/requests', () => {
  it('lists the compliance records newest first, and pages through them with limit=1 and the cursor', async () => {
    expect(made).toHaveLength(5);
    const all = await listRequests({ limit: '100' });
    expect(all.statusCode).toBe(200);
    const body = all.json() as { requests: RequestView[]; cursor?: string };
    expect(body.cursor).toBeUndefined();
    expect(body.requests.map((r) => r.id)).toEqual([...made].reverse());
    expect(body.requests.map((r) => r.type)).toEqual(['delete', 'delete', 'export', 'export', 'export']);
    expect(body.requests.every((r) => r.status === 'completed')).toBe(true);
    const requestedAt = body.requests.map((r) => r.requestedAt);
    expect([...requestedAt].sort().reverse()).toEqual(requestedAt);

    const paged: string[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const res = await listRequests({ limit: '1', ...(cursor === undefined ? {} : { cursor }) });
      expect(res.statusCode).toBe(200);
      const next = res.json() as { requests: RequestView[]; cursor?: string };
      pages.push(next.requests.length);
      paged.push(...next.requests.map((r) => r.id));
      cursor = next.cursor;
      if (cursor === undefined) break;
    }
    expect(paged).toEqual([...made].reverse());
    // One record a page; the cursor after the last record may lead to one empty page (a DynamoDB page
    // ends where Limit items were read, not knowing whether more follow), which has no cursor.
    expect(pages.slice(0, made.length)).toEqual(made.map(() => 1));
    expect(pages.slice(made.length).every((n) => n === 0)).toBe(true);
    expect(pages.length).toBeLessThanOrEqual(made.length + 1);
    // Nothing of either subject in clear in the listing.
    expect(findValues({ items: [{ table: 'audit', key: 'listing', item: body }], objects: [], secrets: [] }, [a.accountId, b.accountId, a.spec.email, b.spec.email])).toEqual([]);
  });

  it('refuses a bad limit or cursor with 400', async () => {
    const queries: Array<Record<string, string>> = [{ limit: '0' }, { limit: '101' }, { limit: 'ten' }, { cursor: '' }, { cursor: randomBytes(8).toString('hex') }, { sort: 'asc' }];
    for (const query of queries) {
      const res = await listRequests(query);
      expect({ query, status: res.statusCode }).toEqual({ query, status: 400 });
    }
  });
});
