import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendRawEmailCommandInput } from '@aws-sdk/client-ses';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { ensureTables } from '../../local/boot';
import { invoke } from '../../local/lambda-runtime';
import { sesEvent } from '../../local/ses-event';
import { sesClient } from '../../shared/adapters/aws/ses';
import { MARKER_HEADER } from '../../shared/adapters/ses-mailer';
import { isOurMailMarker, mailMarker } from '../../shared/domain/keyed-hash';
import { ticketReference } from '../../shared/domain/mail-rules';
import { topicLabels } from '../../shared/domain/support-form';
import type { Ticket } from '../../shared/domain/tickets';
import { logger } from '../../shared/observability/logger';
import type { FunctionId } from '../../shared/routes';
import type { InboundOutcome } from '../../shared/use-cases/inbound-mail';
import type { TicketSummary } from '../../shared/use-cases/support-tickets';
import { clients, names, uniquePrefix } from '../support/aws';
import { callFunction, type TestResponse } from '../support/http';
import { emulatorHashingKey } from '../support/mail-fixtures';

/**
 * The public support form (GET /support, POST /support) through the real handlers (run in-process as
 * Lambda would, with API Gateway's events), the real adapters and the emulators: tickets are read back
 * from DynamoDB, mails from the SES emulator's store, and every raw message the product hands to the
 * process-wide SES client is captured there (then sent on), to check its headers byte by byte. The
 * forwarded mail coming back is delivered the way SES's receipt rule does it (raw bytes under
 * `mail/inbound/<id>`, then the inbound function invoked with SES's event).
 *
 * This file has tables of its own and a support address of its own (set in the environment before
 * any wiring reads them, once per file), so its counters, tickets and mails are its own; each test
 * uses requester addresses and client addresses (sourceIp) of its own. SUPPORT_FORM_PER_HOUR is left
 * unset: the limit is the default, 5 per client per hour.
 */

const PER_HOUR = 5;
const REFERENCE = /^MDZ-[A-HJ-NP-Z2-9]{10}$/;
const FORM = 'application/x-www-form-urlencoded';

const prefix = uniquePrefix('support-form');
const fileTables = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
const SUPPORT_EMAIL = `support-${prefix}@ecooffice.net`;
let SENDER_EMAIL = '';
let hashingKey: Buffer;

interface Captured {
  source: string | undefined;
  destinations: string[];
  raw: Buffer;
}
/** Every raw message the product's SES client sent (and the emulator accepted), oldest first. */
const captured: Captured[] = [];
/** When set, the next SendRawEmail fails at the SDK client with it (SES refused the message), before reaching the emulator. */
let sesFailure: Error | undefined;
/** Every answer of this file's calls, to check none is a 5xx or shows a stack. */
const answers: Array<{ what: string; res: TestResponse }> = [];

beforeAll(async () => {
  await ensureTables(clients.dynamoDb, fileTables, '(test)');
  // Before any handler or wiring of this file reads them (they read lazily, once per file).
  Object.assign(process.env, {
    STATE_TABLE: fileTables.state,
    WORKFLOW_TABLE: fileTables.workflow,
    AUDIT_TABLE: fileTables.audit,
    OPERATOR_NOTIFY_EMAIL: `operator-${prefix}@publisher.test`,
    SUPPORT_EMAIL,
  });
  delete process.env.SUPPORT_FORM_PER_HOUR;
  SENDER_EMAIL = process.env.SENDER_EMAIL ?? '';
  expect(SENDER_EMAIL).not.toBe('');
  expect(SENDER_EMAIL).not.toBe(SUPPORT_EMAIL);
  sesClient().middlewareStack.add(
    (next, context) => async (args) => {
      const failure = sesFailure;
      if (failure !== undefined && (context as { commandName?: string }).commandName === 'SendRawEmailCommand') {
        sesFailure = undefined;
        throw failure;
      }
      const result = await next(args);
      if ((context as { commandName?: string }).commandName === 'SendRawEmailCommand') {
        const input = args.input as SendRawEmailCommandInput;
        const data = input.RawMessage?.Data;
        if (data !== undefined) captured.push({ source: input.Source, destinations: [...(input.Destinations ?? [])], raw: Buffer.from(data) });
      }
      return result;
    },
    { step: 'initialize', name: 'support-form-capture' },
  );
  // The hashing key as the secrets emulator holds it (read with the SDK, not through the product).
  const text = await emulatorHashingKey();
  expect(text.length).toBeGreaterThanOrEqual(32);
  hashingKey = Buffer.from(text, 'utf8');
});

const errorLogged = jest.fn();
beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(errorLogged);
});
afterEach(() => {
  jest.restoreAllMocks();
  sesFailure = undefined;
});

afterAll(() => {
  // No answer of this file was a 5xx, showed a stack, a source path or the hashing key, and nothing was logged as an error.
  expect(answers.length).toBeGreaterThan(0);
  for (const { what, res } of answers) {
    expect({ what, status: res.statusCode < 500 }).toEqual({ what, status: true });
    expectNoStack(res);
  }
  expect(errorLogged).not.toHaveBeenCalled();
});

// ------------------------------------------------------------------------------------------------
// Calling the routes, as API Gateway does

let clientCount = 0;
/** A client address (API Gateway's sourceIp) of this test's own. */
function newClient(): string {
  clientCount += 1;
  return `10.77.${String(Math.floor(clientCount / 250))}.${String((clientCount % 250) + 1)}`;
}

/** A requester address of this test's own (lower case). */
function newEmail(label: string): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}@example.org`;
}

function expectNoStack(res: TestResponse): void {
  for (const pattern of [/\n\s+at\s/, /\bat .*\(.*:\d+:\d+\)/, /\.ts:\d+/, /node_modules/, /\/work\//, /\b\w*Error: /]) {
    expect(res.text).not.toMatch(pattern);
  }
  expect(res.text).not.toContain(hashingKey.toString('utf8'));
}

async function call(fn: FunctionId, input: Parameters<typeof callFunction>[1]): Promise<TestResponse> {
  const res = await callFunction(fn, input);
  const what = `${fn} ${input.method} ${input.url.slice(0, 60)}`;
  answers.push({ what, res });
  if (res.statusCode >= 500) throw new Error(`${what} answered ${String(res.statusCode)}: ${res.text}`);
  expectNoStack(res);
  // The headers every answer carries.
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  return res;
}

function getForm(query = '', sourceIp = newClient()): Promise<TestResponse> {
  return call('getSupportForm', { method: 'GET', url: `/support${query}`, sourceIp });
}

type Fields = Record<string, string | undefined> | Array<[string, string]>;

/** The body a browser sends for the form (each field once, URL-encoded; undefined leaves a field out). */
function formBody(fields: Fields): string {
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new URLSearchParams(pairs).toString();
}

interface PostOptions {
  sourceIp?: string;
  headers?: Record<string, string>;
}

function postForm(fields: Fields, options: PostOptions = {}): Promise<TestResponse> {
  return call('submitSupportRequest', {
    method: 'POST',
    url: '/support',
    sourceIp: options.sourceIp ?? newClient(),
    headers: { 'content-type': FORM, ...options.headers },
    body: formBody(fields),
  });
}

function postJson(body: unknown, options: PostOptions = {}): Promise<TestResponse> {
  return call('submitSupportRequest', {
    method: 'POST',
    url: '/support',
    sourceIp: options.sourceIp ?? newClient(),
    headers: { 'content-type': 'application/json', ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The fields a person fills in, with the hidden field empty as a browser sends it. */
function filled(email: string, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { email, topic: 'support', message: 'Hello,\r\nhow do I connect my Pinterest account?\r\nThanks', leave_blank: '', ...overrides };
}

/** The reference a confirmation page shows. */
function referenceOnPage(res: TestResponse): string {
  const match = /Its reference is <strong>([^<]+)<\/strong>/.exec(res.text);
  if (match?.[1] === undefined) throw new Error(`no reference on the page: ${res.text}`);
  return match[1];
}

function expectConfirmationPage(res: TestResponse): string {
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['cache-control']).toBe('no-store');
  expectPageHeaders(res);
  expect(res.text).toContain('<h1>Thank you: your request was received</h1>');
  const reference = referenceOnPage(res);
  expect(reference).toMatch(REFERENCE);
  return reference;
}

function expectAccepted(res: TestResponse): string {
  expect(res.statusCode).toBe(202);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { reference?: unknown };
  expect(Object.keys(body)).toEqual(['reference']);
  expect(body.reference).toMatch(REFERENCE);
  return String(body.reference);
}

/** The CSP and framing headers of every HTML answer. */
function expectPageHeaders(res: TestResponse): void {
  const csp = res.headers['content-security-policy'] ?? '';
  const directives = csp.split(';').map((d) => d.trim());
  expect(directives).toContain("default-src 'none'");
  expect(directives).toContain("form-action 'self'");
  expect(directives).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src/);
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.text).not.toMatch(/<script/i);
}

// ------------------------------------------------------------------------------------------------
// Reading back

async function ticketItem(reference: string): Promise<(Ticket & Record<string, unknown>) | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: fileTables.workflow, Key: { pk: `TICKET#${reference}`, sk: 'TICKET' }, ConsistentRead: true }));
  return Item as (Ticket & Record<string, unknown>) | undefined;
}

async function storedTicket(reference: string): Promise<Ticket & Record<string, unknown>> {
  const item = await ticketItem(reference);
  if (item === undefined) throw new Error(`no ticket ${reference} in the workflow table`);
  return item;
}

/** Every ticket item of this file's workflow table. */
async function allTickets(): Promise<Array<Ticket & { pk: string }>> {
  const items: Array<Ticket & { pk: string }> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new ScanCommand({ TableName: fileTables.workflow, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': 'TICKET' }, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...((page.Items ?? []) as Array<Ticket & { pk: string }>));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

async function workflowItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: fileTables.workflow, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

interface StoredMail {
  from: string;
  replyTo?: string[];
  destination: { to: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  body: { text?: string };
}

/** The mails the SES emulator holds to this file's support address, oldest first. */
async function supportMails(): Promise<StoredMail[]> {
  const res = await fetch(`${names.sesUrl}/store`);
  const store = (await res.json()) as { emails: StoredMail[] };
  return store.emails.filter((m) => m.destination.to.some((to) => to.toLowerCase() === SUPPORT_EMAIL));
}

async function supportMailsAbout(reference: string): Promise<StoredMail[]> {
  return (await supportMails()).filter((m) => m.subject.includes(reference));
}

/** The raw messages handed to the SES client whose subject names `reference`, parsed. */
async function capturedAbout(reference: string): Promise<Array<Captured & { mail: ParsedMail }>> {
  const parsed = await Promise.all(captured.map(async (c) => ({ ...c, mail: await simpleParser(c.raw) })));
  return parsed.filter((c) => (c.mail.subject ?? '').includes(reference));
}

const headerText = (mail: ParsedMail, name: string): string | undefined => {
  const value = mail.headers.get(name.toLowerCase());
  return typeof value === 'string' ? value : undefined;
};

const addressesOf = (value: AddressObject | AddressObject[] | undefined): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((a) => a.value.map((v) => v.address ?? ''));

/** The header block of a raw message, unfolded, as lines. */
function headerLines(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

interface Counts {
  tickets: number;
  captured: number;
  mails: number;
}

async function counts(): Promise<Counts> {
  return { tickets: (await allTickets()).length, captured: captured.length, mails: (await supportMails()).length };
}

/** Runs `action` and checks it stored no ticket and sent no mail. */
async function expectNothingStoredOrSent<T>(action: () => Promise<T>): Promise<T> {
  const before = await counts();
  const result = await action();
  expect(await counts()).toEqual(before);
  return result;
}

/** One forwarded request, checked end to end: the mail in the emulator, its raw form at the client, the ticket and the sent-mail index. */
async function expectForwarded(reference: string, email: string): Promise<{ ticket: Ticket; raw: Buffer; mail: ParsedMail }> {
  const mails = await supportMailsAbout(reference);
  expect(mails).toHaveLength(1);
  expect(mails[0]).toMatchObject({ from: SENDER_EMAIL, replyTo: [email], destination: { to: [SUPPORT_EMAIL], cc: [], bcc: [] } });

  const raws = await capturedAbout(reference);
  expect(raws).toHaveLength(1);
  const sent = raws[0];
  if (sent === undefined) throw new Error('no forward captured');
  expect(sent.source).toBe(SENDER_EMAIL);
  expect(sent.destinations).toEqual([SUPPORT_EMAIL]);
  expect(addressesOf(sent.mail.from)).toEqual([SENDER_EMAIL]);
  expect(addressesOf(sent.mail.to)).toEqual([SUPPORT_EMAIL]);
  expect(addressesOf(sent.mail.replyTo)).toEqual([email]);
  expect(sent.mail.cc).toBeUndefined();
  expect(sent.mail.bcc).toBeUndefined();
  expect(headerText(sent.mail, 'Auto-Submitted')).toBe('auto-generated');
  // Our marker: the HMAC of this message's Message-ID with the real hashing key.
  const messageId = sent.mail.messageId ?? '';
  expect(messageId).toMatch(/^<[^<>\s]+@[^<>\s]+>$/);
  const marker = headerText(sent.mail, MARKER_HEADER) ?? '';
  expect(marker).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
  expect(marker).toBe(mailMarker(hashingKey, messageId));
  expect(isOurMailMarker(hashingKey, messageId, marker)).toBe(true);
  expect(isOurMailMarker(hashingKey, `<other-${messageId.slice(1)}`, marker)).toBe(false);

  const ticket = await storedTicket(reference);
  expect(ticket).toMatchObject({
    reference,
    source: 'form',
    status: 'open',
    flagged: false,
    from: { address: email, name: '' },
    acknowledgement: { state: 'skipped', reason: 'form_request' },
    forwarded: { state: 'sent', messageId, at: expect.any(String) },
    attachments: [],
    replies: [],
  });
  expect(ticket).not.toHaveProperty('s3Key');
  // The forward's Message-ID leads back to the ticket (how the copy coming back is recognised).
  expect(await workflowItem(`SENT_MAIL#${messageId}`, 'SENT')).toMatchObject({ reference });
  return { ticket, raw: sent.raw, mail: sent.mail };
}

// ------------------------------------------------------------------------------------------------
// Reading the form page

interface Control {
  tag: string;
  id: string | undefined;
  name: string | undefined;
  html: string;
}

function controls(html: string): Control[] {
  return [...html.matchAll(/<(input|select|textarea|button)\b[^>]*>/g)].map((m) => ({
    tag: m[1] ?? '',
    id: /\bid="([^"]*)"/.exec(m[0])?.[1],
    name: /\bname="([^"]*)"/.exec(m[0])?.[1],
    html: m[0],
  }));
}

/** The hidden field's wrapper, and what it holds. */
function honeypotWrapper(html: string): { open: string; inner: string } {
  const match = /(<div\b[^>]*>)((?:(?!<\/div>)[\s\S])*name="leave_blank"(?:(?!<\/div>)[\s\S])*)<\/div>/.exec(html);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error('the hidden field is not inside a wrapper');
  return { open: match[1], inner: match[2] };
}

function emailValue(html: string): string | undefined {
  return /<input id="email"[^>]*\svalue="([^"]*)"/.exec(html)?.[1];
}

function messageValue(html: string): string | undefined {
  return /<textarea id="message"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1];
}

function selectedTopics(html: string): string[] {
  return [...html.matchAll(/<option value="([^"]+)" selected>/g)].map((m) => m[1] ?? '');
}

/** The problem shown right after a field (its own paragraph, which the field points to), or undefined. */
function problemBeside(html: string, field: 'email' | 'topic' | 'message'): string | undefined {
  const after = { email: '<input id="email"[^>]*>', topic: '</select>', message: '</textarea>' }[field];
  const match = new RegExp(`${after}\\n<p class="problem" id="${field}-problem">([^<]*)</p>`).exec(html);
  return match?.[1];
}

function fieldTag(html: string, field: 'email' | 'topic' | 'message'): string {
  return controls(html).find((c) => c.id === field)?.html ?? '';
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

// ------------------------------------------------------------------------------------------------

describe('GET /support: the form page', () => {
  it('is an HTML page under the pages’ CSP (no script may run, the form may post only here), not cached, with no script in it', async () => {
    const res = await getForm();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/i);
    expect(res.headers['cache-control']).toBe('no-store');
    expectPageHeaders(res);
    expect(res.text).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(res.text).not.toMatch(/\bon[a-z]+\s*=/i);
    expect(res.text).not.toMatch(/javascript:/i);
    // A plain form posting back to the same address: works without script.
    expect(res.text).toMatch(/<form method="post">/);
    expect(res.text).toMatch(/<button type="submit">Send request<\/button>/);
  });

  it('gives every visible field a label whose for= names its id, keeps the tab order natural, and names the support address', async () => {
    const { text } = await getForm();
    const visible = controls(text).filter((c) => c.tag !== 'button' && c.name !== 'leave_blank');
    expect(visible.map((c) => c.name)).toEqual(['email', 'topic', 'message']);
    for (const control of visible) {
      expect(control.id).toBe(control.name);
      expect(text).toContain(`<label for="${control.id ?? ''}">`);
      expect(control.html).not.toMatch(/tabindex/);
    }
    expect(fieldTag(text, 'email')).toMatch(/type="email"/);
    expect(fieldTag(text, 'email')).toMatch(/maxlength="254"/);
    // No maxlength on the message: a browser counts UTF-16 units (an emoji is two) and silently cuts a
    // pasted text at the limit; the server counts characters and says so instead.
    expect(fieldTag(text, 'message')).not.toMatch(/maxlength/);
    // Nothing is taken out of (or forced into) the keyboard order but the hidden field.
    expect([...text.matchAll(/tabindex="([^"]*)"/g)].map((m) => m[1])).toEqual(['-1']);
    // Nothing is said to be wrong on an empty form.
    const main = text.slice(text.indexOf('<main>'));
    expect(main).not.toMatch(/aria-invalid|class="problem"|role="alert"/);
    expect(text).toContain(`mailto:${SUPPORT_EMAIL}`);
  });

  it('puts the hidden field inside an aria-hidden wrapper, out of the tab order, off-screen', async () => {
    const { text } = await getForm();
    const { open, inner } = honeypotWrapper(text);
    expect(open).toMatch(/aria-hidden="true"/);
    const field = controls(inner).find((c) => c.name === 'leave_blank');
    expect(field?.html).toMatch(/tabindex="-1"/);
    expect(field?.html).toMatch(/autocomplete="off"/);
    expect(field?.html).not.toMatch(/\brequired\b/);
    // The wrapper's class is placed off-screen by the page's style.
    const wrapperClass = /class="([^"]+)"/.exec(open)?.[1] ?? '';
    expect(wrapperClass).not.toBe('');
    expect(text).toMatch(new RegExp(`\\.${wrapperClass}\\{position:absolute;left:-10000px`));
    // Only one hidden field, and it is the one in the wrapper.
    expect(controls(text).filter((c) => c.name === 'leave_blank')).toHaveLength(1);
  });

  it('offers the four topics, Support chosen unless a link preselects one', async () => {
    const { text } = await getForm();
    const options = [...text.matchAll(/<option value="([^"]+)"( selected)?>([^<]*)<\/option>/g)].map((m) => ({ value: m[1], selected: m[2] !== undefined, label: m[3] }));
    expect(options).toEqual([
      { value: 'support', selected: true, label: 'Support' },
      { value: 'data_access', selected: false, label: 'Data access (a copy of my data)' },
      { value: 'data_deletion', selected: false, label: 'Data deletion' },
      { value: 'other', selected: false, label: 'Other' },
    ]);
    expect(text).toMatch(/<select id="topic" name="topic"[^>]*>\n<option value="support" selected>/);
  });

  it('?topic=data_deletion preselects it; tracking parameters beside it are ignored', async () => {
    const res = await getForm('?topic=data_deletion&utm_source=newsletter');
    expect(res.statusCode).toBe(200);
    expect(selectedTopics(res.text)).toEqual(['data_deletion']);
  });

  it('?topic=bogus is a 400 page naming the topic, under the same CSP', async () => {
    const res = await getForm('?topic=bogus');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectPageHeaders(res);
    expect(res.text).toContain('topic must be one of support, data_access, data_deletion, other');
  });
});

describe('POST /support: a request is taken, stored and forwarded once', () => {
  it('from the form: a confirmation page with the reference; one mail to SUPPORT_EMAIL From SENDER_EMAIL, Reply-To the submitter, with our marker; the ticket stored', async () => {
    const email = newEmail('form');
    const message = `Hello,\r\nplease send me a copy of my data.\r\nAccount: @reader 🙂`;
    const res = await postForm(filled(email, { topic: 'data_access', message }));
    const reference = expectConfirmationPage(res);
    expect(res.text).not.toContain(email);

    const { ticket, mail } = await expectForwarded(reference, email);
    const text = 'Hello,\nplease send me a copy of my data.\nAccount: @reader 🙂';
    expect(ticket).toMatchObject({ subject: 'Support form: Data access (a copy of my data)', topic: 'data_access', privacyCandidate: 'data_access', text, snippet: 'Hello, please send me a copy of my data. Account: @reader 🙂' });
    expect(mail.subject).toBe(`[${reference}] Support form: ${topicLabels.data_access}`);
    expect(mail.text).toContain(`Support request ${reference} from the support form.`);
    expect(mail.text).toContain('Topic: Data access (a copy of my data) (a privacy request)');
    expect(mail.text).toContain(`From: ${email} (as typed in the form, not verified; Reply answers it)`);
    expect(mail.text).toContain(text);
    // Nothing goes to the submitter.
    expect(captured.filter((c) => c.destinations.includes(email))).toEqual([]);
  });

  it('as JSON: 202 {reference}, and the same ticket and mail', async () => {
    const email = newEmail('json');
    const res = await postJson({ email, topic: 'other', message: 'A question about Pins.' });
    const reference = expectAccepted(res);
    const { ticket } = await expectForwarded(reference, email);
    expect(ticket).toMatchObject({ topic: 'other', text: 'A question about Pins.', subject: 'Support form: Other' });
    expect(ticket).not.toHaveProperty('privacyCandidate');
  });

  it('marks data deletion as a privacy request candidate, and support as none', async () => {
    const deletion = expectAccepted(await postJson({ email: newEmail('deletion'), topic: 'data_deletion', message: 'Delete my data.' }));
    const support = expectAccepted(await postJson({ email: newEmail('support'), topic: 'support', message: 'Help.' }));
    expect((await storedTicket(deletion)).privacyCandidate).toBe('data_deletion');
    expect(await storedTicket(support)).not.toHaveProperty('privacyCandidate');
  });

  it('takes the limits themselves: a 254-character address and a 5,000-character message of emoji (counted as characters, not UTF-16 units)', async () => {
    const email = emailOfLength(254, 'edge');
    const message = '🙂'.repeat(5000);
    const reference = expectConfirmationPage(await postForm(filled(email, { message })));
    const ticket = await storedTicket(reference);
    expect(ticket.from?.address).toBe(email);
    expect(Array.from(ticket.text ?? '')).toHaveLength(5000);
    expect(Array.from(ticket.snippet)).toHaveLength(500);
    expect(ticket.forwarded?.state).toBe('sent');
  });

  it('trims the address and takes a form post with a charset parameter', async () => {
    const email = newEmail('trim');
    const reference = expectConfirmationPage(await postForm(filled(`  ${email}  `), { headers: { 'content-type': `${FORM}; charset=UTF-8` } }));
    await expectForwarded(reference, email);
  });
});

/** An address of exactly `length` characters, unique to the test (labels of at most 63 characters). */
function emailOfLength(length: number, label: string): string {
  const local = `${label}-${randomBytes(4).toString('hex')}`;
  const tld = '.org';
  let domain = '';
  let left = length - local.length - 1 - tld.length;
  while (left > 0) {
    const take = Math.min(63, left - (domain === '' ? 0 : 1));
    domain += `${domain === '' ? '' : '.'}${'x'.repeat(take)}`;
    left = length - local.length - 1 - tld.length - domain.length;
  }
  const email = `${local}@${domain}${tld}`;
  expect(email).toHaveLength(length);
  return email;
}

describe('POST /support: when SES refuses the forward', () => {
  it.each(['form', 'json'] as const)('%s: still the success answer; the ticket is kept, marked failed; nothing reaches the emulator; said in the log', async (kind) => {
    const warn = jest.spyOn(logger, 'warn');
    const email = newEmail(`ses-down-${kind}`);
    const mailsBefore = (await supportMails()).length;
    sesFailure = Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' });
    const res = kind === 'form' ? await postForm(filled(email, { topic: 'data_access' })) : await postJson({ email, topic: 'data_access', message: 'Hi' });
    const reference = kind === 'form' ? expectConfirmationPage(res) : expectAccepted(res);
    expect(sesFailure).toBeUndefined();

    const ticket = await storedTicket(reference);
    expect(ticket).toMatchObject({ source: 'form', status: 'open', topic: 'data_access', privacyCandidate: 'data_access', forwarded: { state: 'failed', at: expect.any(String) } });
    expect(ticket.forwarded).not.toHaveProperty('messageId');
    expect((await supportMails()).length).toBe(mailsBefore);
    expect(await supportMailsAbout(reference)).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/forward/), expect.objectContaining({ reference }));

    const listing = await call('listTickets', { method: 'GET', url: '/support/tickets?limit=100' });
    expect((listing.json() as { items: TicketSummary[] }).items.find((t) => t.reference === reference)).toMatchObject({ forwarded: 'failed', privacyCandidate: 'data_access' });
  });
});

describe('POST /support: bad input is refused naming the field, nothing stored or sent', () => {
  const typedMessage = '<script>alert("x")</script> & it\'s urgent';
  interface Case {
    name: string;
    fields: (email: string) => Record<string, string | undefined>;
    field: 'email' | 'topic' | 'message';
    problem: string;
    path: string;
  }
  const cases: Case[] = [
    { name: 'missing email', fields: () => ({ email: undefined }), field: 'email', problem: 'email is required', path: 'body.email' },
    { name: 'empty email', fields: () => ({ email: '' }), field: 'email', problem: 'email is required', path: 'body.email' },
    { name: 'bad email', fields: () => ({ email: '<b>"not an email"</b>' }), field: 'email', problem: 'email must be a valid email address', path: 'body.email' },
    { name: '255-character email', fields: () => ({ email: emailOfLength(255, 'long') }), field: 'email', problem: 'email must be at most 254 characters', path: 'body.email' },
    { name: 'missing topic', fields: () => ({ topic: undefined }), field: 'topic', problem: 'topic must be one of support, data_access, data_deletion, other', path: 'body.topic' },
    { name: 'unknown topic', fields: () => ({ topic: 'billing' }), field: 'topic', problem: 'topic must be one of support, data_access, data_deletion, other', path: 'body.topic' },
    { name: 'empty message', fields: () => ({ message: '' }), field: 'message', problem: 'message must not be empty', path: 'body.message' },
    { name: 'blank message', fields: () => ({ message: ' \r\n\t ' }), field: 'message', problem: 'message must not be empty', path: 'body.message' },
    { name: '5,001-character message (emoji)', fields: () => ({ message: '🙂'.repeat(5001) }), field: 'message', problem: 'message must be at most 5000 characters', path: 'body.message' },
  ];

  /** The page words a problem with the field's visible label (`Your email address must be …`); JSON with its name. */
  const labels = { email: 'Your email address', topic: 'Topic', message: 'Message' } as const;
  const onThePage = (c: Case) => `${labels[c.field]}${c.problem.slice(c.field.length)}`;

  it.each(cases.map((c) => [c.name, c] as const))('form, %s: the page again, the problem beside the field, every typed value kept (escaped)', async (_name, c) => {
    const email = newEmail('bad-form');
    const fields = filled(email, { topic: 'data_deletion', message: typedMessage, ...c.fields(email) });
    const res = await expectNothingStoredOrSent(() => postForm(fields));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expectPageHeaders(res);
    expect(res.text).toContain('<title>Contact support: please correct the form</title>');

    // The problem, beside its field (which points to it) and in the summary, linked to the field.
    expect(problemBeside(res.text, c.field)).toBe(escape(onThePage(c)));
    expect(fieldTag(res.text, c.field)).toMatch(new RegExp(`aria-describedby="[^"]*\\b${c.field}-problem\\b`));
    expect(fieldTag(res.text, c.field)).toMatch(/aria-invalid="true"/);
    expect(res.text).toContain(`<li><a href="#${c.field}">${escape(onThePage(c))}</a></li>`);
    for (const other of (['email', 'topic', 'message'] as const).filter((f) => f !== c.field)) {
      expect(problemBeside(res.text, other)).toBeUndefined();
      expect(fieldTag(res.text, other)).not.toMatch(/aria-invalid/);
    }

    // Every value as typed, escaped: no markup of the submitter's reaches the page.
    expect(emailValue(res.text)).toBe(escape(fields.email ?? ''));
    expect(messageValue(res.text)).toBe(escape(fields.message ?? ''));
    const topic = fields.topic;
    expect(selectedTopics(res.text)).toEqual([topic === 'data_deletion' ? 'data_deletion' : 'support']);
    // The hidden field is never filled in by the page.
    expect(controls(res.text).find((ctl) => ctl.name === 'leave_blank')?.html).not.toMatch(/value=/);
  });

  it.each(cases.map((c) => [c.name, c] as const))('JSON, %s: 400 validation_failed naming the field', async (_name, c) => {
    const email = newEmail('bad-json');
    const fields = filled(email, { topic: 'data_deletion', message: typedMessage, leave_blank: undefined, ...c.fields(email) });
    const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const res = await expectNothingStoredOrSent(() => postJson(body));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { error } = res.json() as { error: { code: string; message: string; issues: Array<{ path: string; message: string }>; requestId: string } };
    expect(error.code).toBe('validation_failed');
    expect(error.issues[0]).toEqual({ path: c.path, message: c.problem });
    expect(error.issues.every((issue) => issue.path === c.path)).toBe(true);
    expect(error.message).toContain(c.path);
    expect(typeof error.requestId).toBe('string');
  });

  it('form, an unknown extra field: the page again naming it, the values kept', async () => {
    const email = newEmail('extra-form');
    const res = await expectNothingStoredOrSent(() => postForm(filled(email, { message: typedMessage, extra: '1' })));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<div class="summary" role="alert"[^>]*>[\s\S]*<li>body: Unrecognized key: &quot;extra&quot;<\/li>/);
    expect(emailValue(res.text)).toBe(email);
    expect(messageValue(res.text)).toBe(escape(typedMessage));
  });

  it('JSON, an unknown extra field: 400 validation_failed naming it', async () => {
    const res = await expectNothingStoredOrSent(() => postJson({ email: newEmail('extra-json'), topic: 'support', message: 'Hi', extra: 1 }));
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as { error: { code: string; issues: Array<{ path: string; message: string }> } };
    expect(error.code).toBe('validation_failed');
    // zod reports unknown keys on the object itself (`body`), the key named in the message.
    expect(error.issues).toEqual([{ path: 'body', message: 'Unrecognized key: "extra"' }]);
  });

  it('form, a field sent twice: 400 naming the field, nothing stored or sent', async () => {
    const email = newEmail('twice');
    const res = await expectNothingStoredOrSent(() =>
      postForm([
        ['email', email],
        ['email', newEmail('twice-other')],
        ['topic', 'support'],
        ['message', 'Hi'],
        ['leave_blank', ''],
      ]),
    );
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectPageHeaders(res);
    expect(problemBeside(res.text, 'email')).toBe('sent twice');
  });

  // Like every bad form input (browsers never send a field twice; a hand-made post may): the form
  // again, the problem beside the field, the values kept.
  it('form, a field sent twice: the form page again, the problem beside the field, the values kept', async () => {
    const email = newEmail('twice-page');
    const res = await postForm([
      ['email', email],
      ['email', email],
      ['topic', 'data_access'],
      ['message', 'Hi <there>'],
      ['leave_blank', ''],
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.text).toContain('<form method="post">');
    expect(problemBeside(res.text, 'email')).toBe('sent twice');
    expect(messageValue(res.text)).toBe('Hi &lt;there&gt;');
    expect(selectedTopics(res.text)).toEqual(['data_access']);
  });
});

describe('POST /support: line breaks meant to inject mail headers', () => {
  const injectedEmail = (label: string) => `${newEmail(label)}\r\nBcc: victim-${randomBytes(3).toString('hex')}@example.net`;

  it.each([
    ['email with CRLF and a Bcc line', { email: injectedEmail('crlf') }, 'email', 'Your email address must not contain line breaks'],
    ['email ending in CRLF', { email: `${newEmail('crlf-end')}\r\n` }, 'email', 'Your email address must not contain line breaks'],
    ['email with a bare LF', { email: `${newEmail('lf')}\nX-Injected: 1` }, 'email', 'Your email address must not contain line breaks'],
    ['topic with CRLF', { topic: 'support\r\nBcc: victim@example.net' }, 'topic', 'Topic must be one of support, data_access, data_deletion, other'],
  ] as const)('form, %s: 400 naming the field, nothing sent', async (_name, override, field, problem) => {
    const res = await expectNothingStoredOrSent(() => postForm(filled(newEmail('inject-form'), override)));
    expect(res.statusCode).toBe(400);
    expect(problemBeside(res.text, field)).toBe(escape(problem));
  });

  it.each([
    ['email with CRLF and a Bcc line', { email: injectedEmail('crlf-json') }, 'body.email', 'email must not contain line breaks'],
    ['topic with CRLF', { topic: 'support\r\nBcc: victim@example.net' }, 'body.topic', 'topic must be one of support, data_access, data_deletion, other'],
  ] as const)('JSON, %s: 400 naming the field, nothing sent', async (_name, override, path, message) => {
    const res = await expectNothingStoredOrSent(() => postJson({ email: newEmail('inject-json'), topic: 'support', message: 'Hi', ...override }));
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { issues: unknown[] } }).error.issues).toContainEqual({ path, message });
  });

  it.each(['form', 'json'] as const)('%s, a message with CRLF and header-like lines: body text, taken; the raw forward has no injected header', async (kind) => {
    const email = newEmail(`inject-message-${kind}`);
    const victim = `victim-${randomBytes(4).toString('hex')}@example.net`;
    const message = `Hi\r\nBcc: ${victim}\r\nX-Injected: yes\r\n\r\nSubject: changed\nTo: ${victim}\rCc: ${victim}`;
    const res = kind === 'form' ? await postForm(filled(email, { message })) : await postJson({ email, topic: 'support', message });
    const reference = kind === 'form' ? expectConfirmationPage(res) : expectAccepted(res);
    const { raw, mail, ticket } = await expectForwarded(reference, email);

    // Header by header: none was added by the message.
    const lines = headerLines(raw);
    const headerNames = lines.map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
    expect(headerNames).not.toContain('bcc');
    expect(headerNames).not.toContain('cc');
    expect(headerNames).not.toContain('x-injected');
    expect(headerNames.filter((n) => n === 'to')).toHaveLength(1);
    expect(headerNames.filter((n) => n === 'subject')).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(victim);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.subject).toBe(`[${reference}] Support form: Support`);
    expect(captured.filter((c) => c.destinations.includes(victim))).toEqual([]);
    const stored = await supportMailsAbout(reference);
    expect(stored[0]?.destination).toEqual({ to: [SUPPORT_EMAIL], cc: [], bcc: [] });

    // The lines are the message's text, as typed (line breaks made LF).
    const text = `Hi\nBcc: ${victim}\nX-Injected: yes\n\nSubject: changed\nTo: ${victim}\nCc: ${victim}`;
    expect(ticket.text).toBe(text);
    expect(mail.text).toContain(`Bcc: ${victim}\nX-Injected: yes`);
  });

  it.each(['form', 'json'] as const)('%s, the hidden field with CRLF: the same success, nothing stored or sent', async (kind) => {
    const email = newEmail(`inject-honeypot-${kind}`);
    const leave_blank = 'https://spam.example\r\nBcc: victim@example.net';
    const res = await expectNothingStoredOrSent(() => (kind === 'form' ? postForm(filled(email, { leave_blank })) : postJson({ email, topic: 'support', message: 'Hi', leave_blank })));
    const reference = kind === 'form' ? expectConfirmationPage(res) : expectAccepted(res);
    expect(await ticketItem(reference)).toBeUndefined();
  });
});

describe('POST /support: the body itself', () => {
  it.each([
    ['text/plain', 'text/plain'],
    ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ] as const)('%s: 415, nothing stored or sent', async (_name, contentType) => {
    const email = newEmail('media');
    const res = await expectNothingStoredOrSent(() =>
      call('submitSupportRequest', {
        method: 'POST',
        url: '/support',
        sourceIp: newClient(),
        headers: contentType === undefined ? {} : { 'content-type': contentType },
        body: JSON.stringify({ email, topic: 'support', message: 'Hi' }),
      }),
    );
    expect(res.statusCode).toBe(415);
    expect((res.json() as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('form, a body over 64 KiB: a 413 page, nothing stored or sent', async () => {
    const res = await expectNothingStoredOrSent(() => postForm(filled(newEmail('big-form'), { message: 'a'.repeat(64 * 1024) })));
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectPageHeaders(res);
  });

  it('JSON, a body over 64 KiB: 413 payload_too_large, nothing stored or sent', async () => {
    const res = await expectNothingStoredOrSent(() => postJson({ email: newEmail('big-json'), topic: 'support', message: 'a'.repeat(64 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect((res.json() as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('malformed JSON: 400 invalid_json, nothing stored or sent', async () => {
    const res = await expectNothingStoredOrSent(() => postJson('{"email":'));
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { code: string } }).error.code).toBe('invalid_json');
  });
});

describe('POST /support: the hidden field filled (a robot)', () => {
  it('form: the very same confirmation page (a reference of the same shape), nothing stored or sent, said in the function log', async () => {
    const warn = jest.spyOn(logger, 'warn');
    const real = await postForm(filled(newEmail('human')));
    const realReference = expectConfirmationPage(real);

    const email = newEmail('robot-form');
    const res = await expectNothingStoredOrSent(() => postForm(filled(email, { leave_blank: 'https://spam.example' })));
    const reference = expectConfirmationPage(res);
    expect(reference).not.toBe(realReference);
    // Apart from the reference, the robot's answer is the person's, byte for byte.
    expect(res.text.replace(reference, 'REF')).toBe(real.text.replace(realReference, 'REF'));
    expect(Object.keys(res.headers).sort()).toEqual(Object.keys(real.headers).sort());
    expect(await ticketItem(reference)).toBeUndefined();
    expect(await capturedAbout(reference)).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/hidden field/), { reference });
  });

  it('JSON: 202 {reference} as for a person, nothing stored or sent', async () => {
    const res = await expectNothingStoredOrSent(() => postJson({ email: newEmail('robot-json'), topic: 'support', message: 'Buy now', leave_blank: 'x' }));
    const reference = expectAccepted(res);
    expect(await ticketItem(reference)).toBeUndefined();
    expect(await supportMailsAbout(reference)).toEqual([]);
  });

  it('with every other field wrong too: still the same success, so the robot learns nothing', async () => {
    const form = await expectNothingStoredOrSent(() => postForm({ email: 'nope', topic: 'bogus', message: '', leave_blank: 'filled', extra: 'x' }));
    expect(await ticketItem(expectConfirmationPage(form))).toBeUndefined();
    const json = await expectNothingStoredOrSent(() => postJson({ email: 'nope', leave_blank: 'filled' }));
    expect(await ticketItem(expectAccepted(json))).toBeUndefined();
  });
});

describe('POST /support: the per-client limit (5 an hour)', () => {
  it('form: with one sourceIp, 5 requests are taken and the 6th is a 429 page with Retry-After, nothing stored or sent', async () => {
    const sourceIp = newClient();
    for (let i = 0; i < PER_HOUR; i += 1) expectConfirmationPage(await postForm(filled(newEmail(`limit-form-${String(i)}`)), { sourceIp }));
    const email = newEmail('limit-form-over');
    const refused = await expectNothingStoredOrSent(() => postForm(filled(email), { sourceIp }));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expectPageHeaders(refused);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.text).toContain('Too many requests');
    expect((await allTickets()).filter((t) => t.from?.address === email)).toEqual([]);
    // Another client is not affected.
    expectConfirmationPage(await postForm(filled(newEmail('limit-form-other'))));
  });

  it('JSON: the 6th is 429 rate_limited with Retry-After, nothing stored or sent', async () => {
    const sourceIp = newClient();
    for (let i = 0; i < PER_HOUR; i += 1) expectAccepted(await postJson({ email: newEmail(`limit-json-${String(i)}`), topic: 'support', message: 'Hi' }, { sourceIp }));
    const refused = await expectNothingStoredOrSent(() => postJson({ email: newEmail('limit-json-over'), topic: 'support', message: 'Hi' }, { sourceIp }));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect((refused.json() as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
  });

  it('counts the address API Gateway saw: a new X-Forwarded-For does not reset it; another sourceIp with the same header is not limited', async () => {
    const sourceIp = newClient();
    for (let i = 0; i < PER_HOUR; i += 1) {
      expectAccepted(await postJson({ email: newEmail(`xff-${String(i)}`), topic: 'support', message: 'Hi' }, { sourceIp, headers: { 'x-forwarded-for': `198.51.100.${String(i + 1)}` } }));
    }
    const forwarded = { 'x-forwarded-for': '198.51.100.200' };
    const refused = await expectNothingStoredOrSent(() => postJson({ email: newEmail('xff-over'), topic: 'support', message: 'Hi' }, { sourceIp, headers: forwarded }));
    expect(refused.statusCode).toBe(429);
    // The same header from another address: counted for that address.
    expectAccepted(await postJson({ email: newEmail('xff-other'), topic: 'support', message: 'Hi' }, { sourceIp: newClient(), headers: { 'x-forwarded-for': sourceIp } }));
  });
});

describe('the forward coming back through inbound mail', () => {
  it('is recognised by our marker: no second ticket, linked to the form ticket', async () => {
    const email = newEmail('round-trip');
    const reference = expectConfirmationPage(await postForm(filled(email, { topic: 'data_deletion' })));
    const { raw } = await expectForwarded(reference, email);
    const before = await counts();

    // SUPPORT_EMAIL is the inbound address: SES stores the message, then runs the inbound function.
    const sesId = `${Date.now().toString(36)}${randomBytes(12).toString('hex')}`;
    await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: `mail/inbound/${sesId}`, Body: raw, ContentType: 'message/rfc822' }));
    const deliver = async () =>
      (await invoke('receiveMail', sesEvent({ messageId: sesId, source: SENDER_EMAIL, from: SENDER_EMAIL, recipients: [SUPPORT_EMAIL], timestamp: new Date().toISOString() }))) as {
        received: number;
        outcomes: InboundOutcome[];
      };
    await expect(deliver()).resolves.toEqual({ received: 1, outcomes: [{ kind: 'returned', linkedTo: reference }] });

    expect(await ticketItem(ticketReference(sesId))).toBeUndefined();
    expect(await counts()).toEqual(before);
    const ticket = await storedTicket(reference);
    expect(ticket.returned).toEqual([{ at: expect.any(String), sesMessageId: sesId, s3Key: `mail/inbound/${sesId}` }]);
    expect(ticket).toMatchObject({ status: 'open', forwarded: { state: 'sent' }, privacyCandidate: 'data_deletion' });

    // Delivered again (Lambda retries asynchronous events): still linked once.
    await expect(deliver()).resolves.toEqual({ received: 1, outcomes: [{ kind: 'returned', linkedTo: reference }] });
    expect((await storedTicket(reference)).returned).toHaveLength(1);
    expect(await counts()).toEqual(before);
  });
});

describe('the operator sees form tickets', () => {
  it('GET /support/tickets lists it with source form, topic and privacy candidate; GET /support/tickets/{ref} shows the whole text (raw none)', async () => {
    const email = newEmail('operator');
    const message = `Please delete everything about me.\r\n${'Details. '.repeat(150)}\r\nThanks`;
    const reference = expectAccepted(await postJson({ email, topic: 'data_deletion', message }));

    const listing = await call('listTickets', { method: 'GET', url: '/support/tickets?limit=100' });
    expect(listing.statusCode).toBe(200);
    const items = (listing.json() as { items: TicketSummary[] }).items;
    const summary = items.find((t) => t.reference === reference);
    expect(summary).toMatchObject({
      reference,
      source: 'form',
      status: 'open',
      flagged: false,
      from: email,
      subject: 'Support form: Data deletion',
      topic: 'data_deletion',
      privacyCandidate: 'data_deletion',
      forwarded: 'sent',
      acknowledgement: 'skipped',
      attachments: 0,
      replies: 0,
    });
    // A summary: a bounded snippet, never the whole text.
    expect(summary).not.toHaveProperty('text');
    expect(Array.from(summary?.snippet ?? '')).toHaveLength(500);

    const res = await call('getTicket', { method: 'GET', url: `/support/tickets/${reference}`, pathParameters: { id: reference } });
    expect(res.statusCode).toBe(200);
    const detail = res.json() as { ticket: Ticket; raw: string; text: string; textTruncated: boolean; headers: Record<string, string>; replyTo: unknown };
    const text = message.replace(/\r\n/g, '\n');
    expect(detail).toMatchObject({ raw: 'none', text, textTruncated: false, headers: {} });
    expect(detail.ticket).toMatchObject({ reference, source: 'form', topic: 'data_deletion', privacyCandidate: 'data_deletion', text });
    // The address was typed into a form: a reply may go there, but it is not authenticated.
    expect(detail.replyTo).toEqual({ address: email, authenticated: false });
  });
});
