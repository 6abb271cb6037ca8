import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import { simpleParser, type ParsedMail } from 'mailparser';
import { ensureTables } from '../../local/boot';
import { invoke } from '../../local/lambda-runtime';
import { newSesMessageId, sesEvent, type SesEventOptions } from '../../local/ses-event';
import { sesClient } from '../../shared/adapters/aws/ses';
import { MARKER_HEADER } from '../../shared/adapters/ses-mailer';
import { isOurMailMarker } from '../../shared/domain/keyed-hash';
import { ticketReference } from '../../shared/domain/mail-rules';
import type { Ticket } from '../../shared/domain/tickets';
import type { FunctionId } from '../../shared/routes';
import type { InboundOutcome } from '../../shared/use-cases/inbound-mail';
import type { TicketSummary } from '../../shared/use-cases/support-tickets';
import { clients, names, uniquePrefix } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { emulatorHashingKey, mailFixture as fixture, withHeaders } from '../support/mail-fixtures';

/**
 * The operator's support-ticket routes (GET /support/tickets, GET /support/tickets/{id}, POST
 * …/reply, POST …/close) through the real handlers, adapters and emulators. Tickets are made the way
 * SES makes them: the raw message is stored under `mail/inbound/<SES message id>` in the data bucket
 * and the inbound function is invoked with SES's event. This file has tables of its own (set in the
 * environment before any wiring is used), its own operator and support addresses, and a fresh
 * requester address and Message-ID for each message; every raw message sent through the product's
 * SES client is kept (a middleware on `sesClient()`), to check what went out header by header.
 */

const SUPPORT_EMAIL = 'support@ecooffice.net';
const SES_INBOX = 'info@ecooffice.net';

let tables: { state: string; workflow: string; audit: string };
let hashingKeyText: string;

interface Captured {
  source: string | undefined;
  destinations: string[];
  raw: Buffer;
}
/** Every raw message the product's SES client sent (accepted by the emulator), oldest first. */
const captured: Captured[] = [];
/** Every answer of this file's route calls, to check none leaks a stack or the hashing key. */
const answers: TestResponse[] = [];

beforeAll(async () => {
  const prefix = uniquePrefix('support-tickets');
  tables = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
  await ensureTables(clients.dynamoDb, tables, '(test)');
  // Before any handler or wiring of this file reads them (they read lazily, once per file).
  Object.assign(process.env, {
    STATE_TABLE: tables.state,
    WORKFLOW_TABLE: tables.workflow,
    AUDIT_TABLE: tables.audit,
    OPERATOR_NOTIFY_EMAIL: `operator-${prefix}@publisher.test`,
    SUPPORT_EMAIL,
    SUPPORT_ACKNOWLEDGE: 'true',
  });
  sesClient().middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if ((context as { commandName?: string }).commandName === 'SendRawEmailCommand') {
        const input = args.input as SendRawEmailCommandInput;
        const data = input.RawMessage?.Data;
        if (data !== undefined) captured.push({ source: input.Source, destinations: [...(input.Destinations ?? [])], raw: Buffer.from(data) });
      }
      return result;
    },
    { step: 'initialize', name: 'support-tickets-capture' },
  );
  hashingKeyText = await emulatorHashingKey();
  expect(hashingKeyText.length).toBeGreaterThanOrEqual(32);
});

// ------------------------------------------------------------------------------------------------
// Mail coming in, as SES delivers it




let deliveries = 0;
/** Each delivery is received a minute after the one before (the listing is newest received first). */
function nextTimestamp(): string {
  deliveries += 1;
  return new Date(Date.parse('2026-07-01T10:00:00.000Z') + deliveries * 60_000).toISOString();
}

interface Delivered {
  sesId: string;
  reference: string;
  outcomes: InboundOutcome[];
}

/** What SES's receipt rule does: its S3 action stores the raw message, its Lambda action runs the inbound function with the event. */
async function deliver(raw: Buffer, options: Omit<SesEventOptions, 'messageId'> & { sesId?: string }): Promise<Delivered> {
  const sesId = options.sesId ?? newSesMessageId();
  await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: `mail/inbound/${sesId}`, Body: raw, ContentType: 'message/rfc822' }));
  const result = (await invoke('receiveMail', sesEvent({ timestamp: nextTimestamp(), recipients: [SES_INBOX], ...options, messageId: sesId }))) as { outcomes: InboundOutcome[] };
  return { sesId, reference: ticketReference(sesId), outcomes: result.outcomes };
}

interface Opened extends Delivered {
  requester: string;
  messageId: string;
  subject: string;
}

/** A new requester writes (plain text, SPF and DMARC pass unless told): a ticket opens. */
async function openTicket(options: { verdicts?: SesEventOptions['verdicts']; dmarcPolicy?: string; subject?: string; fixture?: string } = {}): Promise<Opened> {
  const tag = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const requester = `reader-${tag}@example.org`;
  const messageId = `<question-${tag}@example.org>`;
  const subject = options.subject ?? `Question about my Pins ${tag}`;
  const name = options.fixture ?? 'plain.eml';
  const raw = withHeaders(fixture(name), {
    From: name === 'latin1-attachment.eml' ? `=?ISO-8859-1?Q?Ren=E9e_M=FCller?= <${requester}>` : `Reader Example <${requester}>`,
    'Return-Path': `<${requester}>`,
    'Message-ID': messageId,
    Subject: subject,
  });
  const delivered = await deliver(raw, {
    source: requester,
    from: requester,
    subject,
    messageIdHeader: messageId,
    ...(options.verdicts === undefined ? {} : { verdicts: options.verdicts }),
    ...(options.dmarcPolicy === undefined ? {} : { dmarcPolicy: options.dmarcPolicy }),
  });
  expect(delivered.outcomes).toEqual([expect.objectContaining({ kind: 'ticket', reference: delivered.reference })]);
  return { ...delivered, requester, messageId, subject };
}

// ------------------------------------------------------------------------------------------------
// The routes, as API Gateway calls them

async function call(fn: FunctionId, input: Parameters<typeof callFunction>[1]): Promise<TestResponse> {
  const res = await callFunction(fn, input);
  answers.push(res);
  return res;
}

function list(query = ''): Promise<TestResponse> {
  return call('listTickets', { method: 'GET', url: `/support/tickets${query === '' ? '' : `?${query}`}` });
}

function getTicket(id: string, query = ''): Promise<TestResponse> {
  return call('getTicket', { method: 'GET', url: `/support/tickets/${encodeURIComponent(id)}${query}`, pathParameters: { id } });
}

/** POST …/reply with `body` as JSON (or as the exact text given). */
function postReply(id: string, body: unknown, raw = false): Promise<TestResponse> {
  return call('replyTicket', {
    method: 'POST',
    url: `/support/tickets/${encodeURIComponent(id)}/reply`,
    pathParameters: { id },
    headers: { 'content-type': 'application/json' },
    body: raw ? String(body) : JSON.stringify(body),
  });
}

function postClose(id: string, body?: string): Promise<TestResponse> {
  return call('closeTicket', {
    method: 'POST',
    url: `/support/tickets/${encodeURIComponent(id)}/close`,
    pathParameters: { id },
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
  });
}

interface ListJson {
  items: TicketSummary[];
  cursor?: string;
}

interface DetailJson {
  ticket: Ticket;
  raw: 'read' | 'gone' | 'none';
  headers: Record<string, string>;
  text: string;
  textTruncated: boolean;
  replyTo: { address: string; authenticated: boolean } | null;
}

interface ErrorJson {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }>; currentState?: string; requestId: string };
}

const errorOf = (res: TestResponse): ErrorJson['error'] => (res.json() as ErrorJson).error;
const issuePaths = (res: TestResponse): string[] => (errorOf(res).issues ?? []).map((issue) => issue.path);

async function detail(id: string): Promise<DetailJson> {
  const res = await getTicket(id);
  if (res.statusCode !== 200) throw new Error(`GET /support/tickets/${id} answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as DetailJson;
}

async function listed(query = ''): Promise<ListJson> {
  const res = await list(query);
  if (res.statusCode !== 200) throw new Error(`GET /support/tickets answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as ListJson;
}

/** Every ticket of a status, following the cursor with pages of `limit`; answers the references and the pages' sizes. */
async function allPages(status: string, limit: number): Promise<{ references: string[]; pageSizes: number[] }> {
  const references: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await listed(new URLSearchParams({ status, limit: String(limit), ...(cursor === undefined ? {} : { cursor }) }).toString());
    references.push(...page.items.map((t) => t.reference));
    pageSizes.push(page.items.length);
    cursor = page.cursor;
    if (pageSizes.length > 200) throw new Error('the listing never ends');
  } while (cursor !== undefined);
  return { references, pageSizes };
}

// ------------------------------------------------------------------------------------------------
// Mail going out

interface StoredMail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

/** The mails the SES emulator holds for an address, oldest first. */
async function mailsTo(address: string): Promise<StoredMail[]> {
  const res = await fetch(`${names.sesUrl}/store`);
  const store = (await res.json()) as { emails: StoredMail[] };
  return store.emails.filter((m) => m.destination.to.includes(address));
}

const capturedTo = (address: string): Captured[] => captured.filter((c) => c.destinations.includes(address));

/** The raw message the product sent with that Message-ID, parsed (with its envelope). */
async function sentMessage(messageId: string): Promise<{ envelope: Captured; parsed: ParsedMail }> {
  for (const envelope of captured) {
    const parsed = await simpleParser(envelope.raw);
    if (parsed.messageId === messageId) return { envelope, parsed };
  }
  throw new Error(`no mail with Message-ID ${messageId} went through the SES client`);
}

const referencesOf = (parsed: ParsedMail): string[] => (parsed.references === undefined ? [] : Array.isArray(parsed.references) ? parsed.references : parsed.references.split(/\s+/));

// ------------------------------------------------------------------------------------------------

describe('GET /support/tickets', () => {
  it('lists open tickets (the default) newest received first, each with its verdicts', async () => {
    const first = await openTicket();
    const second = await openTicket({ verdicts: { spf: 'FAIL', dkim: 'FAIL' } });
    const third = await openTicket();

    const page = await listed();
    expect(page.items.every((t) => t.status === 'open')).toBe(true);
    const received = page.items.map((t) => t.receivedAt);
    expect(received).toEqual([...received].sort().reverse());
    const mine = page.items.filter((t) => [first, second, third].some((o) => o.reference === t.reference));
    expect(mine.map((t) => t.reference)).toEqual([third.reference, second.reference, first.reference]);
    for (const item of page.items) expect(item.verdicts).toEqual(expect.objectContaining({ spam: expect.any(String), spf: expect.any(String), dmarc: expect.any(String) }));
    expect(mine[1]).toMatchObject({
      reference: second.reference,
      source: 'mail',
      status: 'open',
      flagged: false,
      from: second.requester,
      envelopeFrom: second.requester,
      subject: second.subject,
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'FAIL', dmarc: 'PASS' },
      acknowledgement: 'sent',
      attachments: 0,
      replies: 0,
    });
    // A summary, not the message.
    expect(mine[0]).not.toHaveProperty('text');
    expect(typeof mine[0]?.snippet).toBe('string');

    expect((await listed('status=open')).items.map((t) => t.reference)).toEqual(page.items.map((t) => t.reference));
  });

  it('lists a ticket under ?status=closed once it is closed, and no longer under open', async () => {
    const opened = await openTicket();
    expect((await listed()).items.map((t) => t.reference)).toContain(opened.reference);
    expect((await listed('status=closed')).items.map((t) => t.reference)).not.toContain(opened.reference);

    expect((await postClose(opened.reference)).statusCode).toBe(200);
    expect((await listed()).items.map((t) => t.reference)).not.toContain(opened.reference);
    const closed = await listed('status=closed');
    expect(closed.items.find((t) => t.reference === opened.reference)).toMatchObject({ status: 'closed', verdicts: { spf: 'PASS' } });
    expect(closed.items.every((t) => t.status === 'closed')).toBe(true);
  });

  it('pages with limit and cursor: every ticket once, none skipped, in the order of one long page', async () => {
    for (let i = 0; i < 5; i += 1) await openTicket();
    const whole = await listed('limit=100');
    expect(whole.cursor).toBeUndefined();
    expect(whole.items.length).toBeGreaterThanOrEqual(5);

    for (const limit of [1, 2, 3]) {
      const { references, pageSizes } = await allPages('open', limit);
      expect(new Set(references).size).toBe(references.length);
      expect(references).toEqual(whole.items.map((t) => t.reference));
      expect(pageSizes.every((n) => n <= limit)).toBe(true);
      expect(pageSizes.length).toBeGreaterThanOrEqual(Math.ceil(whole.items.length / limit));
    }
  });

  it.each([
    ['an unknown status', 'query.status', 'status=bogus'],
    ['a status list', 'query.status', 'status=open&status=closed'],
    ['limit=0', 'query.limit', 'limit=0'],
    ['limit=101', 'query.limit', 'limit=101'],
    ['a limit that is not a number', 'query.limit', 'limit=ten'],
    ['a fractional limit', 'query.limit', 'limit=2.5'],
    ['an unknown query parameter', 'query', 'sort=oldest'],
    ['a cursor that is not one', 'query.cursor', 'cursor=not-a-cursor'],
    ['a cursor of another partition', 'query.cursor', `cursor=${Buffer.from(JSON.stringify({ pk: 'PIN#x', sk: 'PIN', statusKey: 'PIN#sandbox#draft', statusTime: 'x' })).toString('base64url')}`],
    ['a cursor with extra keys', 'query.cursor', `cursor=${Buffer.from(JSON.stringify({ pk: 'TICKET#MDZ-AAAAAAAAAA', sk: 'TICKET', statusKey: 'TICKET#open', statusTime: 'x', admin: 'yes' })).toString('base64url')}`],
  ])('answers 400 for %s, naming %s', async (_case, path, query) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(issuePaths(res)).toContain(path);
  });

  it('refuses a cursor of the closed listing in the open one (400 query.cursor)', async () => {
    for (let i = 0; i < 2; i += 1) {
      const opened = await openTicket();
      expect((await postClose(opened.reference)).statusCode).toBe(200);
    }
    const closed = await listed('status=closed&limit=1');
    expect(closed.cursor).toEqual(expect.any(String));
    const res = await list(new URLSearchParams({ status: 'open', cursor: closed.cursor ?? '' }).toString());
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['query.cursor']);
  });

  it('refuses a request body (400)', async () => {
    const res = await call('listTickets', { method: 'GET', url: '/support/tickets', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body']);
  });
});

describe('GET /support/tickets/{id}', () => {
  it('shows the headers, the full text, the verdicts and where a reply would go', async () => {
    const opened = await openTicket();
    const shown = await detail(opened.reference);
    expect(shown.raw).toBe('read');
    expect(shown.headers).toEqual({
      from: `Reader Example <${opened.requester}>`,
      to: SES_INBOX,
      subject: opened.subject,
      date: 'Tue, 01 Dec 2026 10:00:00 +0000',
      'message-id': opened.messageId,
      'return-path': `<${opened.requester}>`,
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(shown.text).toBe('Hello,\r\n\r\nhow do I connect my account? Thanks 🙂\r\n'.replace(/\r\n/g, '\n'));
    expect(shown.textTruncated).toBe(false);
    expect(shown.replyTo).toEqual({ address: opened.requester, authenticated: true });
    expect(shown.ticket).toMatchObject({
      reference: opened.reference,
      status: 'open',
      flagged: false,
      sesMessageId: opened.sesId,
      messageId: opened.messageId,
      s3Key: `mail/inbound/${opened.sesId}`,
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      acknowledgement: { state: 'sent', to: opened.requester },
      attachments: [],
      replies: [],
    });
  });

  it('lists the attachments (name, type, size) of a message that has some', async () => {
    const opened = await openTicket({ fixture: 'latin1-attachment.eml' });
    const shown = await detail(opened.reference);
    expect(shown.ticket.attachments).toEqual([{ filename: 'invoice.pdf', contentType: 'application/pdf', size: expect.any(Number) as unknown }]);
    expect(shown.ticket.attachments[0]?.size).toBeGreaterThan(0);
    expect(shown.text).toContain('Grüße aus Köln');
    expect(shown.headers.from).toContain(opened.requester);
    expect((await listed()).items.find((t) => t.reference === opened.reference)?.attachments).toBe(1);
  });

  it('shows the replies sent', async () => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    expect((await postReply(opened.reference, { version: before.ticket.version, message: 'First answer' })).statusCode).toBe(200);
    const after = await detail(opened.reference);
    expect(after.ticket.replies).toEqual([expect.objectContaining({ state: 'sent', to: opened.requester, text: 'First answer', messageId: expect.stringMatching(/^<.+@ecooffice\.net>$/) as unknown })]);
  });

  it('reads a quarantined message from mail/quarantine/ (the inbound object was moved)', async () => {
    const opened = await openTicket({ verdicts: { spam: 'FAIL' } });
    const shown = await detail(opened.reference);
    expect(shown.ticket).toMatchObject({ flagged: true, quarantine: ['spam'], s3Key: `mail/quarantine/${opened.sesId}`, acknowledgement: { state: 'skipped', reason: 'quarantined' } });
    expect(shown.raw).toBe('read');
    expect(shown.headers['message-id']).toBe(opened.messageId);
    expect(shown.text).toContain('how do I connect my account?');
    await expect(clients.s3.send(new HeadObjectCommand({ Bucket: names.bucket, Key: `mail/inbound/${opened.sesId}` }))).rejects.toMatchObject({ name: 'NotFound' });
    expect((await listed()).items.find((t) => t.reference === opened.reference)).toMatchObject({ flagged: true, quarantine: ['spam'], verdicts: { spam: 'FAIL' } });
  });

  it('answers 404 for a well-formed reference no ticket has', async () => {
    const res = await getTicket('MDZ-AAAAAAAAAA');
    expect(res.statusCode).toBe(404);
    expect(errorOf(res)).toMatchObject({ code: 'not_found', message: expect.stringContaining('MDZ-AAAAAAAAAA') as unknown });
  });

  it.each([['MDZ-123'], ['mdz-aaaaaaaaaa'], ['MDZ-AAAAAAAAA1'], ['MDZ-AAAAAAAAAAA'], ['TICKET#MDZ-AAAAAAAAAA'], ['..%2F..']])('answers 400 naming path.id for the malformed id %s', async (id) => {
    const res = await getTicket(id);
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['path.id']);
  });

  it('answers 400 for a query parameter', async () => {
    const opened = await openTicket();
    const res = await getTicket(opened.reference, '?raw=true');
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['query']);
  });
});

describe('POST /support/tickets/{id}/reply', () => {
  it('sends the reply From SUPPORT_EMAIL To the requester, threaded, marked as ours, without Auto-Submitted, and records it sent', async () => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    const res = await postReply(opened.reference, { version: before.ticket.version, message: 'Hello,\r\nyou connect it from the account page.\r\n' });
    expect(res.statusCode).toBe(200);
    const ticket = res.json() as Ticket;
    const subject = `Re: ${opened.subject} [${opened.reference}]`;
    expect(ticket.version).toBe(before.ticket.version + 2);
    expect(ticket.replies).toEqual([
      {
        id: expect.any(String) as unknown,
        at: expect.any(String) as unknown,
        to: opened.requester,
        subject,
        text: 'Hello,\nyou connect it from the account page.\n',
        state: 'sent',
        messageId: expect.stringMatching(/^<[^<>\s]+@ecooffice\.net>$/) as unknown,
        sentAt: expect.any(String) as unknown,
      },
    ]);
    const messageId = ticket.replies[0]?.messageId ?? '';

    // In the SES emulator: the acknowledgement (from the inbound function), then the reply.
    const stored = await mailsTo(opened.requester);
    expect(stored.map((m) => ({ from: m.from, subject: m.subject }))).toEqual([
      { from: SUPPORT_EMAIL, subject },
      { from: SUPPORT_EMAIL, subject },
    ]);
    expect(stored[1]?.body.text).toContain('you connect it from the account page.');
    expect(stored[1]?.destination.to).toEqual([opened.requester]);

    // At the SDK client: the raw message, header by header.
    const { envelope, parsed } = await sentMessage(messageId);
    expect(envelope).toMatchObject({ source: SUPPORT_EMAIL, destinations: [opened.requester] });
    expect(parsed.from?.value.map((a) => a.address)).toEqual([SUPPORT_EMAIL]);
    expect(parsed.to).toMatchObject({ value: [{ address: opened.requester }] });
    expect(parsed.subject).toBe(subject);
    expect(parsed.inReplyTo).toBe(opened.messageId);
    expect(referencesOf(parsed)).toContain(opened.messageId);
    const marker = parsed.headers.get(MARKER_HEADER.toLowerCase());
    if (typeof marker !== 'string') throw new Error(`no ${MARKER_HEADER} header on the reply`);
    expect(isOurMailMarker(Buffer.from(hashingKeyText, 'utf8'), messageId, marker)).toBe(true);
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(parsed.cc).toBeUndefined();
    expect(parsed.bcc).toBeUndefined();
    // The acknowledgement, by contrast, was a machine's.
    const ack = await sentMessage(before.ticket.acknowledgement.messageId ?? '');
    expect(ack.parsed.headers.get('auto-submitted')).toBe('auto-replied');

    // The ticket shows it, and its Message-ID is remembered as ours.
    const after = await detail(opened.reference);
    expect(after.ticket.replies).toEqual(ticket.replies);
    expect(after.ticket.version).toBe(ticket.version);
  });

  it('refuses a retry at the same version (409) and sends no second mail', async () => {
    const opened = await openTicket();
    const { ticket } = await detail(opened.reference);
    const body = { version: ticket.version, message: 'Sent once, please' };
    expect((await postReply(opened.reference, body)).statusCode).toBe(200);
    const mails = (await mailsTo(opened.requester)).length;
    const raws = capturedTo(opened.requester).length;

    const retry = await postReply(opened.reference, body);
    expect(retry.statusCode).toBe(409);
    expect(errorOf(retry)).toMatchObject({ code: 'conflict', currentState: 'open' });
    expect(errorOf(retry).message).toContain(`version ${String(ticket.version)}`);
    expect(await mailsTo(opened.requester)).toHaveLength(mails);
    expect(capturedTo(opened.requester)).toHaveLength(raws);
    expect((await detail(opened.reference)).ticket.replies).toHaveLength(1);
  });

  it('threads a second reply under the original and the first reply', async () => {
    const opened = await openTicket();
    const first = (await postReply(opened.reference, { version: (await detail(opened.reference)).ticket.version, message: 'One' })).json() as Ticket;
    const second = await postReply(opened.reference, { version: first.version, message: 'Two' });
    expect(second.statusCode).toBe(200);
    const replies = (second.json() as Ticket).replies;
    const { parsed } = await sentMessage(replies[1]?.messageId ?? '');
    expect(parsed.inReplyTo).toBe(opened.messageId);
    expect(referencesOf(parsed)).toEqual([opened.messageId, replies[0]?.messageId]);
  });

  it('takes a custom subject (trimmed), appending the reference', async () => {
    const opened = await openTicket();
    const { ticket } = await detail(opened.reference);
    const res = await postReply(opened.reference, { version: ticket.version, message: 'See below', subject: '  Your account  ' });
    expect(res.statusCode).toBe(200);
    const reply = (res.json() as Ticket).replies[0];
    expect(reply?.subject).toBe(`Your account [${opened.reference}]`);
    expect((await sentMessage(reply?.messageId ?? '')).parsed.subject).toBe(`Your account [${opened.reference}]`);
  });

  it.each([
    ['CR LF', 'Hi\r\nBcc: x@y.z'],
    ['LF', 'Hi\nBcc: x@y.z'],
    ['CR', 'Hi\rBcc: x@y.z'],
    ['a lone CR LF', '\r\n'],
    ['a trailing LF', 'Your account\n'],
  ])('refuses a subject with %s: 400 naming body.subject, nothing sent, the ticket unchanged', async (_case, subject) => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    const raws = capturedTo(opened.requester).length;
    const mails = (await mailsTo(opened.requester)).length;
    const res = await postReply(opened.reference, { version: before.ticket.version, message: 'Hello', subject });
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toContain('body.subject');
    expect(capturedTo(opened.requester)).toHaveLength(raws);
    expect(await mailsTo(opened.requester)).toHaveLength(mails);
    expect((await detail(opened.reference)).ticket).toEqual(before.ticket);
  });

  it('refuses line breaks written as JSON escapes (\\u000d\\u000a) the same way', async () => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    const raws = capturedTo(opened.requester).length;
    for (const escaped of ['Hi\\u000d\\u000aBcc: x@y.z', 'Hi\\u000aBcc: x@y.z', 'Hi\\u000DBcc: x@y.z', 'Hi\\r\\nBcc: x@y.z']) {
      const res = await postReply(opened.reference, `{"version":${String(before.ticket.version)},"message":"Hello","subject":"${escaped}"}`, true);
      expect(res.statusCode).toBe(400);
      expect(issuePaths(res)).toEqual(['body.subject']);
    }
    expect(capturedTo(opened.requester)).toHaveLength(raws);
    expect(captured.some((c) => c.destinations.includes('x@y.z'))).toBe(false);
    expect((await detail(opened.reference)).ticket).toEqual(before.ticket);
  });

  it('sends a MIME encoded-word that spells a line break as text: no header is injected, the only recipient is the requester', async () => {
    const opened = await openTicket();
    const { ticket } = await detail(opened.reference);
    const res = await postReply(opened.reference, { version: ticket.version, message: 'Hello', subject: '=?UTF-8?Q?Hi=0D=0ABcc:_x@y.z?=' });
    expect(res.statusCode).toBe(200);
    const { envelope, parsed } = await sentMessage((res.json() as Ticket).replies[0]?.messageId ?? '');
    // nodemailer keeps an ASCII subject as given, so a mail reader decodes the encoded-word and shows
    // "Hi", a line break and "Bcc: x@y.z" as subject text; no header or recipient comes of it.
    expect(envelope.destinations).toEqual([opened.requester]);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('bcc')).toBe(false);
    const head = envelope.raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
    expect(head).not.toMatch(/^bcc:/im);
    expect(captured.some((c) => c.destinations.includes('x@y.z'))).toBe(false);
  });

  it.each([
    ['an empty message', 'body.message', (v: number) => ({ version: v, message: '' })],
    ['a message of spaces', 'body.message', (v: number) => ({ version: v, message: ' \r\n\t ' })],
    ['no message', 'body.message', (v: number) => ({ version: v })],
    ['no version', 'body.version', () => ({ message: 'Hello' })],
    ['a version as text', 'body.version', (v: number) => ({ version: String(v), message: 'Hello' })],
    ['an unknown field', 'body', (v: number) => ({ version: v, message: 'Hello', cc: 'x@y.z' })],
    ['an empty subject', 'body.subject', (v: number) => ({ version: v, message: 'Hello', subject: '   ' })],
    ['a subject of 201 characters', 'body.subject', (v: number) => ({ version: v, message: 'Hello', subject: 's'.repeat(201) })],
  ])('refuses %s (400 naming %s), sending nothing', async (_case, path, body) => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    const raws = capturedTo(opened.requester).length;
    const res = await postReply(opened.reference, body(before.ticket.version));
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('validation_failed');
    expect(issuePaths(res)).toContain(path);
    expect(capturedTo(opened.requester)).toHaveLength(raws);
    expect((await detail(opened.reference)).ticket).toEqual(before.ticket);
  });

  it('refuses a body that is not JSON (400 invalid_json), sending nothing', async () => {
    const opened = await openTicket();
    const raws = capturedTo(opened.requester).length;
    for (const text of ['version=3&message=hi', '{"version": 3, "message": "hi"', '']) {
      const res = await postReply(opened.reference, text, true);
      expect(res.statusCode).toBe(400);
    }
    expect(errorOf(await postReply(opened.reference, 'not json', true)).code).toBe('invalid_json');
    expect(capturedTo(opened.requester)).toHaveLength(raws);
  });

  it('refuses a quarantined ticket (409 quarantined): nothing is ever sent to its sender', async () => {
    const opened = await openTicket({ verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'reject' });
    const before = await detail(opened.reference);
    expect(before.ticket).toMatchObject({ flagged: true, quarantine: ['dmarc_reject'] });
    const res = await postReply(opened.reference, { version: before.ticket.version, message: 'Hello?' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', currentState: 'quarantined' });
    expect(capturedTo(opened.requester)).toEqual([]);
    expect(await mailsTo(opened.requester)).toEqual([]);
    expect((await detail(opened.reference)).ticket).toEqual(before.ticket);
  });

  it('refuses a closed ticket (409 closed), sending nothing', async () => {
    const opened = await openTicket();
    const closed = (await postClose(opened.reference)).json() as Ticket;
    const raws = capturedTo(opened.requester).length;
    const res = await postReply(opened.reference, { version: closed.version, message: 'Too late' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'conflict', currentState: 'closed' });
    expect(capturedTo(opened.requester)).toHaveLength(raws);
  });

  it('answers 404 for an unknown ticket and 400 for a malformed id', async () => {
    const unknown = await postReply('MDZ-AAAAAAAAAA', { version: 1, message: 'Hello' });
    expect(unknown.statusCode).toBe(404);
    const malformed = await postReply('MDZ-0', { version: 1, message: 'Hello' });
    expect(malformed.statusCode).toBe(400);
    expect(issuePaths(malformed)).toContain('path.id');
  });
});

describe('POST /support/tickets/{id}/close', () => {
  it('closes the ticket (200, status closed, closedAt); closing again answers it unchanged', async () => {
    const opened = await openTicket();
    const before = await detail(opened.reference);
    const res = await postClose(opened.reference);
    expect(res.statusCode).toBe(200);
    const closed = res.json() as Ticket;
    expect(closed).toMatchObject({ reference: opened.reference, status: 'closed', closedAt: expect.any(String) as unknown, version: before.ticket.version + 1 });
    expect(Date.parse(closed.closedAt ?? '')).not.toBeNaN();

    const again = await postClose(opened.reference);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(closed);
    expect((await detail(opened.reference)).ticket).toEqual(closed);
  });

  it('takes an empty JSON object as the body', async () => {
    const opened = await openTicket();
    const res = await postClose(opened.reference, '{}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'closed' });
  });

  it.each([['{"status":"closed"}'], ['[]'], ['null'], ['"close"'], ['not json']])('refuses the body %s (400), leaving the ticket open', async (body) => {
    const opened = await openTicket();
    const res = await postClose(opened.reference, body);
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res)).toEqual(['body']);
    expect((await detail(opened.reference)).ticket.status).toBe('open');
  });

  it('answers 404 for an unknown ticket and 400 for a malformed id', async () => {
    const unknown = await postClose('MDZ-AAAAAAAAAA');
    expect(unknown.statusCode).toBe(404);
    expect(errorOf(unknown).code).toBe('not_found');
    const malformed = await postClose('MDZ-lower12345');
    expect(malformed.statusCode).toBe(400);
    expect(issuePaths(malformed)).toEqual(['path.id']);
  });
});

describe('our reply coming back in', () => {
  it('opens no ticket and is linked under `returned` of the ticket it answered; nothing is sent about it', async () => {
    const opened = await openTicket();
    const { ticket } = await detail(opened.reference);
    const replied = (await postReply(opened.reference, { version: ticket.version, message: 'Here is the answer' })).json() as Ticket;
    const messageId = replied.replies[0]?.messageId ?? '';
    const { envelope } = await sentMessage(messageId);
    const raws = captured.length;
    const openBefore = (await listed('limit=100')).items.map((t) => t.reference);

    // The requester's mailbox forwards it back to us, unchanged.
    const back = await deliver(envelope.raw, { source: opened.requester, from: SUPPORT_EMAIL, subject: replied.replies[0]?.subject ?? '' });
    expect(back.outcomes).toEqual([{ kind: 'returned', linkedTo: opened.reference }]);

    expect((await getTicket(back.reference)).statusCode).toBe(404);
    expect((await listed('limit=100')).items.map((t) => t.reference)).toEqual(openBefore);
    const after = await detail(opened.reference);
    expect(after.ticket.returned).toEqual([{ at: expect.any(String) as unknown, sesMessageId: back.sesId, s3Key: `mail/inbound/${back.sesId}` }]);
    expect(after.ticket.replies).toEqual(replied.replies);
    // No acknowledgement, no operator notice: nothing went out.
    expect(captured).toHaveLength(raws);
  });
});

describe('what the answers never carry', () => {
  it('holds no stack trace and not the hashing key in any answer of this file', async () => {
    // A few answers of every kind, in case this test runs alone.
    const opened = await openTicket();
    await list();
    await list('status=bogus');
    await getTicket(opened.reference);
    await getTicket('MDZ-AAAAAAAAAA');
    await getTicket('nope');
    await postReply(opened.reference, 'not json', true);
    await postReply(opened.reference, { version: 999, message: 'x' });
    await postClose(opened.reference, '[]');
    await postClose(opened.reference);

    const keyForms = [hashingKeyText, Buffer.from(hashingKeyText, 'utf8').toString('hex'), Buffer.from(hashingKeyText, 'utf8').toString('base64')];
    expect(answers.length).toBeGreaterThanOrEqual(10);
    for (const res of answers) {
      expect(res.statusCode).toBeLessThan(500);
      for (const form of keyForms) expect(res.text).not.toContain(form);
      expect(res.text).not.toMatch(/\n\s+at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)|\.ts:\d+|node_modules/);
      expect(res.text).not.toMatch(/"stack"\s*:/);
    }
  });
});
