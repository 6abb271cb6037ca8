import { randomBytes } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { simpleParser, type ParsedMail } from 'mailparser';
import { ensureTables } from '../../local/boot';
import { invoke } from '../../local/lambda-runtime';
import { sesEvent, type SesEventOptions } from '../../local/ses-event';
import { dynamoDocumentClient } from '../../shared/adapters/aws/dynamo';
import { s3Client } from '../../shared/adapters/aws/s3';
import { sesClient } from '../../shared/adapters/aws/ses';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { TicketStore } from '../../shared/adapters/dynamo/ticket-store';
import { MARKER_HEADER } from '../../shared/adapters/ses-mailer';
import { isOurMailMarker, keyedHash } from '../../shared/domain/keyed-hash';
import { ticketReference } from '../../shared/domain/mail-rules';
import type { Ticket } from '../../shared/domain/tickets';
import { systemClock } from '../../shared/domain/time';
import { tables } from '../../shared/tables';
import { clients, names, uniquePrefix } from '../support/aws';
import { emulatorHashingKey, mailFixture as fixture, withHeaders } from '../support/mail-fixtures';

/**
 * Inbound support mail through the real `receiveMail` handler (run in-process as Lambda would), the
 * real adapters and the emulators: a message is delivered the way an SES receipt rule does it — the
 * raw bytes stored under `mail/inbound/<SES message id>` in the data bucket, then the function invoked
 * with SES's event — and the outcome is read back where it really lands: the ticket in DynamoDB, the
 * objects in S3, the mails in the SES emulator. The emulator's store drops custom headers, so every
 * raw message handed to the process-wide SES client is also captured (and still sent) to check them.
 *
 * This file has a state and a workflow table of its own (tickets, the sent-mail index, the per-sender
 * acknowledgement counter) and its own operator address; every test uses SES message ids and sender
 * addresses of its own, so tests never see each other's tickets, counters or mails.
 */

const SUPPORT_EMAIL = 'support@ecooffice.net';
const ALL_PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };



/** Bytes that are no mail message: a fixed pseudo-random sequence (xorshift), the same on every run. */
function garbage(length: number, seed = 0x2545f491): Buffer {
  let state = seed;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

const inbound = (id: string): string => `mail/inbound/${id}`;
const quarantined = (id: string): string => `mail/quarantine/${id}`;
/** An SES message id of this test's own. */
const sesId = (label: string): string => uniquePrefix(label);
/** A sender address of this test's own (lower case, as the product writes addresses). */
const address = (label: string, domain = 'example.org'): string => `${uniquePrefix(label)}@${domain}`;
const utcDay = (): string => new Date().toISOString().slice(0, 10);

/** plain.eml from `sender`, with a Message-ID of its own (and any other headers given). */
function plainFrom(sender: string, headers: Record<string, string> = {}): { raw: Buffer; messageId: string } {
  const messageId = `<${uniquePrefix('plain')}@example.org>`;
  const raw = withHeaders(fixture('plain.eml'), { 'Return-Path': `<${sender}>`, From: `Reader Example <${sender}>`, 'Message-ID': messageId, ...headers });
  return { raw, messageId };
}

// The file's own tables and addresses, set before the handler's wiring reads them (once per file).
const prefix = uniquePrefix('support-mail');
const fileTables = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: names.audit };
const OPERATOR = `operator-${prefix}@publisher.test`;
let SENDER_EMAIL: string;
let hashingKey: Buffer;
let hashingKeyText: string;
let ticketStore: TicketStore;

/** A raw message the product handed to the SES client (captured at the client, then sent on). */
interface CapturedMail {
  raw: Buffer;
  source: string | undefined;
  destinations: string[];
}
const captured: CapturedMail[] = [];
/** Every AWS command the process-wide clients (the handler's) sent, oldest first. */
const commands: string[] = [];

/**
 * Holds the next raw message to `to` at the SES client until `release` is called: `arrived` settles
 * when it gets there. Nothing else is held, and the mail still goes to the emulator once released.
 */
let hold: { to: string; arrived: () => void; released: Promise<void> } | undefined;
function holdNextMailTo(to: string): { arrived: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  let arrived: () => void = () => undefined;
  const arrival = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  hold = { to, arrived, released };
  return { arrived: arrival, release };
}

/** The part of an SDK client's middleware stack used here (the clients differ only in their command types). */
interface RecordableStack {
  add(middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
  identify(): string[];
}

/**
 * Records every command a process-wide client sends, and captures (then passes on) every raw message
 * handed to SES; a message `holdNextMailTo` names waits here until released.
 */
function recordCommands(client: { middlewareStack: unknown }, label: string): void {
  const stack = client.middlewareStack as RecordableStack;
  if (stack.identify().some((entry) => entry.startsWith(`support-mail-recorder-${label}`))) return;
  stack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      commands.push(`${label}:${command}`);
      if (command === 'SendRawEmailCommand') {
        const input = (args as { input: { RawMessage?: { Data?: Uint8Array }; Source?: string; Destinations?: string[] } }).input;
        const destinations = input.Destinations ?? [];
        if (input.RawMessage?.Data !== undefined) captured.push({ raw: Buffer.from(input.RawMessage.Data), source: input.Source, destinations });
        const held = hold;
        if (held !== undefined && destinations.includes(held.to)) {
          hold = undefined;
          held.arrived();
          await held.released;
        }
      }
      return next(args);
    },
    { step: 'initialize', name: `support-mail-recorder-${label}` },
  );
}

beforeAll(async () => {
  await ensureTables(clients.dynamoDb, fileTables, '(test)', [tables.state, tables.workflow]);
  Object.assign(process.env, { STATE_TABLE: fileTables.state, WORKFLOW_TABLE: fileTables.workflow, OPERATOR_NOTIFY_EMAIL: OPERATOR, SUPPORT_EMAIL });
  delete process.env.SUPPORT_ACKNOWLEDGE;
  SENDER_EMAIL = process.env.SENDER_EMAIL ?? '';
  expect(SENDER_EMAIL).not.toBe('');
  expect(SENDER_EMAIL).not.toBe(SUPPORT_EMAIL);
  // The hashing key as the secrets emulator holds it (read with the SDK, not through the product).
  hashingKeyText = await emulatorHashingKey();
  hashingKey = Buffer.from(hashingKeyText, 'utf8');
  ticketStore = new TicketStore(new DynamoTable(clients.dynamo, fileTables.workflow, systemClock), systemClock, 365);
  // The clients the handler will use (process-wide, built once per module registry).
  recordCommands(sesClient(), 'ses');
  recordCommands(s3Client(), 's3');
  recordCommands(dynamoDocumentClient(), 'dynamodb');
});

afterEach(() => {
  hold = undefined;
});

// Delivering, as SES's receipt rule does.

interface HandlerAnswer {
  received: number;
  outcomes?: unknown[];
}

/** The rule's S3 action stores the raw message, then its Lambda action runs with SES's event. */
async function deliver(raw: Buffer | undefined, options: SesEventOptions): Promise<HandlerAnswer> {
  if (raw !== undefined) await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: inbound(options.messageId), Body: raw }));
  return redeliver(options);
}

/** The same event again (Lambda's retry of an asynchronous event, or a second delivery): the object is not written again. */
async function redeliver(options: SesEventOptions): Promise<HandlerAnswer> {
  return (await invoke('receiveMail', sesEvent({ timestamp: new Date().toISOString(), ...options }))) as HandlerAnswer;
}

// Reading back.

async function ticketOf(sesMessageId: string): Promise<Ticket> {
  const ticket = await ticketStore.get(ticketReference(sesMessageId));
  if (ticket === undefined) throw new Error(`no ticket for ${sesMessageId}`);
  return ticket;
}

async function workflowItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: fileTables.workflow, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

/**
 * How many acknowledgements to an address the state table has counted (keyed by the address's keyed
 * hash, one counter per UTC day): today's and yesterday's together, so a test that a UTC midnight
 * falls into still sees its own (every test has addresses of its own); undefined when none.
 */
async function ackCount(to: string): Promise<number | undefined> {
  const pk = `ACK#${keyedHash(hashingKey, 'mail-recipient', to.trim().toLowerCase())}`;
  const today = new Date();
  const days = [new Date(today.getTime() - 86_400_000), today].map((d) => d.toISOString().slice(0, 10));
  const counts = await Promise.all(
    days.map(async (sk) => (await clients.dynamo.send(new GetCommand({ TableName: fileTables.state, Key: { pk, sk }, ConsistentRead: true }))).Item?.count as number | undefined),
  );
  const found = counts.filter((count): count is number => count !== undefined);
  return found.length === 0 ? undefined : found.reduce((a, b) => a + b, 0);
}

async function objectAt(key: string): Promise<Buffer | undefined> {
  try {
    const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: key }));
    return Body === undefined ? Buffer.alloc(0) : Buffer.from(await Body.transformToByteArray());
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

/** The mails the SES emulator holds to `to` (any case), oldest first. */
async function mailsTo(to: string): Promise<StoredMail[]> {
  const res = await fetch(`${names.sesUrl}/store`);
  const store = (await res.json()) as { emails: StoredMail[] };
  return store.emails.filter((mail) => mail.destination.to.some((d) => d.toLowerCase() === to.toLowerCase()));
}

/** The operator's notices about one ticket in the SES emulator. */
async function noticesAbout(reference: string): Promise<StoredMail[]> {
  return (await mailsTo(OPERATOR)).filter((mail) => mail.subject.includes(reference));
}

/** The raw messages handed to the SES client for `to` (any case), parsed, oldest first. */
async function capturedTo(to: string): Promise<Array<CapturedMail & { mail: ParsedMail }>> {
  const mine = captured.filter((c) => c.destinations.some((d) => d.toLowerCase() === to.toLowerCase()));
  return Promise.all(mine.map(async (c) => ({ ...c, mail: await simpleParser(c.raw) })));
}

async function capturedNoticeAbout(reference: string): Promise<Array<CapturedMail & { mail: ParsedMail }>> {
  return (await capturedTo(OPERATOR)).filter((c) => (c.mail.subject ?? '').includes(reference));
}

const headerText = (mail: ParsedMail, name: string): string | undefined => {
  const value = mail.headers.get(name.toLowerCase());
  return typeof value === 'string' ? value : undefined;
};
const referencesOf = (mail: ParsedMail): string[] => (mail.references === undefined ? [] : Array.isArray(mail.references) ? mail.references : mail.references.split(/\s+/));

/** No mail to `to` reached the SES client or the emulator, and none was counted. */
async function expectNothingSentTo(to: string): Promise<void> {
  expect(await capturedTo(to)).toEqual([]);
  expect(await mailsTo(to)).toEqual([]);
  expect(await ackCount(to)).toBeUndefined();
}

describe('receiveMail: a plain message', () => {
  it('one ticket with everything the operator needs, one acknowledgement to the sender with the right headers, one notice to the operator', async () => {
    const sender = address('plain');
    const id = sesId('plain');
    const { raw, messageId } = plainFrom(sender);
    const reference = ticketReference(id);
    const receivedAt = new Date().toISOString();

    await expect(deliver(raw, { messageId: id, source: sender, timestamp: receivedAt })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: true }] });

    // The ticket, read back from DynamoDB.
    const ticket = await ticketOf(id);
    expect(ticket).toEqual({
      reference,
      source: 'mail',
      status: 'open',
      flagged: false,
      sesMessageId: id,
      messageId,
      envelopeFrom: sender,
      from: { address: sender, name: 'Reader Example' },
      subject: 'Question about my Pins',
      receivedAt,
      snippet: 'Hello, how do I connect my account? Thanks 🙂',
      attachments: [],
      s3Key: inbound(id),
      verdicts: ALL_PASS,
      acknowledgement: { state: 'sent', to: sender, messageId: expect.stringMatching(/^<[^<>\s]+@ecooffice\.net>$/), at: expect.any(String) },
      operatorNotifiedAt: expect.any(String),
      operatorNoticeId: expect.stringMatching(/^<[^<>@\s]+@[^<>@\s]+>$/),
      replies: [],
      version: 4,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(reference).toMatch(/^MDZ-[A-HJ-NP-Z2-9]{10}$/);
    // The raw message stays where SES put it.
    expect(await objectAt(inbound(id))).toEqual(raw);
    expect(await objectAt(quarantined(id))).toBeUndefined();

    // Exactly one acknowledgement, in the SES emulator: To the sender, From SUPPORT_EMAIL.
    const acks = await mailsTo(sender);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ from: SUPPORT_EMAIL, destination: { to: [sender] }, subject: `Re: Question about my Pins [${reference}]` });
    expect(acks[0]?.body.text).toContain(`opened support request ${reference}`);
    expect(acks[0]?.body.text).toContain(`Please keep ${reference} in the subject`);

    // Its headers, as handed to SES.
    const raws = await capturedTo(sender);
    expect(raws).toHaveLength(1);
    const ack = raws[0];
    if (ack === undefined) throw new Error('no acknowledgement captured');
    expect(ack.source).toBe(SUPPORT_EMAIL);
    expect(ack.destinations).toEqual([sender]);
    expect(ack.mail.from?.value).toEqual([{ address: SUPPORT_EMAIL, name: '' }]);
    expect(headerText(ack.mail, 'Auto-Submitted')).toBe('auto-replied');
    expect(ack.mail.messageId).toBe(ticket.acknowledgement.messageId);
    const marker = headerText(ack.mail, MARKER_HEADER);
    expect(marker).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(isOurMailMarker(hashingKey, ack.mail.messageId ?? '', marker ?? '')).toBe(true);
    expect(ack.mail.inReplyTo).toBe(messageId);
    expect(referencesOf(ack.mail)).toContain(messageId);
    expect(ack.mail.subject).toContain(reference);
    expect(ack.mail.text).toContain(reference);
    // The sent-mail index links our Message-ID to the ticket (how a returned copy is recognised).
    expect(await workflowItem(`SENT_MAIL#${ack.mail.messageId ?? ''}`, 'SENT')).toMatchObject({ reference });
    expect(await ackCount(sender)).toBe(1);

    // One notice to the operator, From SENDER_EMAIL, marked as ours too.
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ from: SENDER_EMAIL, destination: { to: [OPERATOR] }, subject: `[MiraDigitalZen Publisher] New support request ${reference}` });
    expect(notices[0]?.body.text).toContain(`New support request ${reference} from ${sender}.`);
    expect(notices[0]?.body.text).toContain('Subject: Question about my Pins');
    expect(notices[0]?.body.text).toContain('Acknowledgement: sent.');
    const rawNotices = await capturedNoticeAbout(reference);
    expect(rawNotices).toHaveLength(1);
    const notice = rawNotices[0];
    if (notice === undefined) throw new Error('no notice captured');
    expect(notice.source).toBe(SENDER_EMAIL);
    expect(headerText(notice.mail, 'Auto-Submitted')).toBe('auto-generated');
    expect(isOurMailMarker(hashingKey, notice.mail.messageId ?? '', headerText(notice.mail, MARKER_HEADER) ?? '')).toBe(true);
  });

  it('keeps the thread: References carries the message’s own references, then its Message-ID', async () => {
    const sender = address('thread');
    const id = sesId('thread');
    const { raw, messageId } = plainFrom(sender, { 'In-Reply-To': '<b@ecooffice.net>', References: '<a@example.org>\r\n <b@ecooffice.net>' });
    await deliver(raw, { messageId: id, source: sender });
    const [ack] = await capturedTo(sender);
    if (ack === undefined) throw new Error('no acknowledgement captured');
    expect(ack.mail.inReplyTo).toBe(messageId);
    expect(referencesOf(ack.mail)).toEqual(['<a@example.org>', '<b@ecooffice.net>', messageId]);
  });
});

describe('receiveMail: redelivery', () => {
  it('the same SES message id delivered twice: one ticket, one acknowledgement, one operator notice', async () => {
    const sender = address('twice');
    const id = sesId('twice');
    const reference = ticketReference(id);
    await deliver(plainFrom(sender).raw, { messageId: id, source: sender });
    const first = await ticketOf(id);

    await expect(redeliver({ messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'duplicate', reference }] });
    expect(await ticketOf(id)).toEqual(first);
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await capturedTo(sender)).toHaveLength(1);
    expect(await noticesAbout(reference)).toHaveLength(1);
    expect(await ackCount(sender)).toBe(1);
    // Only one ticket in the table for it.
    const { Items = [] } = await clients.dynamo.send(new ScanCommand({ TableName: fileTables.workflow, FilterExpression: 'sesMessageId = :id', ExpressionAttributeValues: { ':id': id }, ConsistentRead: true }));
    expect(Items).toHaveLength(1);
  });

  // The acknowledgement is claimed (`sending`), sent, then recorded `sent`. A second delivery of the
  // same event that arrives meanwhile (Lambda delivers asynchronous events at least once) sees
  // `sending`, skips the acknowledgement and claims the operator's notice, changing the ticket's
  // version: the first delivery's `sent` write must be decided again on the fresh ticket, not fail
  // after the mail went out (which left the ticket `sending` for good).
  it('a second delivery while the first is sending the acknowledgement: the ticket still records it as sent', async () => {
    const sender = address('overlap');
    const id = sesId('overlap');
    const reference = ticketReference(id);
    const held = holdNextMailTo(sender);
    const first = deliver(plainFrom(sender).raw, { messageId: id, source: sender }).then(
      (answer) => ({ ok: true as const, answer }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await Promise.race([
      held.arrived,
      first.then(() => {
        throw new Error('the first delivery ended before its acknowledgement reached SES');
      }),
    ]);
    expect((await ticketOf(id)).acknowledgement.state).toBe('sending');
    // The duplicate delivery finishes while the first one's acknowledgement is on its way to SES.
    await expect(redeliver({ messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'duplicate', reference }] });
    held.release();
    const firstResult = await first;
    // Lambda retries a failed asynchronous event: the retry should leave the ticket complete.
    if (!firstResult.ok) await redeliver({ messageId: id, source: sender });

    // What holds today: one acknowledgement, one notice.
    const [ack] = await capturedTo(sender);
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await noticesAbout(reference)).toHaveLength(1);
    // What fails today: the ticket never records the acknowledgement that went out.
    expect((await ticketOf(id)).acknowledgement).toEqual({ state: 'sent', to: sender, messageId: ack?.mail.messageId, at: expect.any(String) });
    expect(firstResult).toMatchObject({ ok: true });
  });
});

describe('receiveMail: quarantine', () => {
  it.each([
    ['spam FAIL', { verdicts: { spam: 'FAIL' } }, ['spam'], { spam: 'FAIL' }],
    ['virus FAIL', { verdicts: { virus: 'FAIL' } }, ['virus'], { virus: 'FAIL' }],
    ['DMARC FAIL under a reject policy', { verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'reject' }, ['dmarc_reject'], { dmarc: 'FAIL', dmarcPolicy: 'reject' }],
  ] as const)('%s: moved to mail/quarantine/, flagged with the reason, never answered, the operator told once', async (label, options, reasons, verdicts) => {
    const sender = address('quarantine');
    const id = sesId(label.split(' ')[0] ?? 'quarantine');
    const reference = ticketReference(id);
    const { raw } = plainFrom(sender);

    await expect(deliver(raw, { messageId: id, source: sender, ...options })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    expect(await objectAt(inbound(id))).toBeUndefined();
    expect(await objectAt(quarantined(id))).toEqual(raw);
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({
      status: 'open',
      flagged: true,
      quarantine: reasons,
      s3Key: quarantined(id),
      verdicts: { ...ALL_PASS, ...verdicts },
      acknowledgement: { state: 'skipped', reason: 'quarantined' },
    });
    expect(ticket.acknowledgement.to).toBeUndefined();
    await expectNothingSentTo(sender);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toBe(`[MiraDigitalZen Publisher] Quarantined mail ${reference}`);
    expect(notices[0]?.body.text).toContain(`Quarantined for: ${reasons.join(', ')} (not answered).`);
    expect(notices[0]?.body.text).toContain('Acknowledgement: skipped (quarantined).');

    // A redelivery finds the same ticket and the object where it was moved; nothing is told twice.
    await expect(redeliver({ messageId: id, source: sender, ...options })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'duplicate', reference }] });
    expect(await ticketOf(id)).toEqual(ticket);
    expect(await objectAt(quarantined(id))).toEqual(raw);
    expect(await noticesAbout(reference)).toHaveLength(1);
  });
});

describe('receiveMail: whom an acknowledgement may go to', () => {
  it('DMARC FAIL under policy none with SPF passing: not quarantined, acknowledged to the envelope sender', async () => {
    const sender = address('dmarc-none');
    const id = sesId('dmarc-none');
    const reference = ticketReference(id);
    const { raw } = plainFrom(sender);
    await expect(deliver(raw, { messageId: id, source: sender, verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'none' })).resolves.toEqual({
      received: 1,
      outcomes: [{ kind: 'ticket', reference, acknowledged: true }],
    });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ status: 'open', flagged: false, s3Key: inbound(id), verdicts: { ...ALL_PASS, dmarc: 'FAIL', dmarcPolicy: 'none' }, acknowledgement: { state: 'sent', to: sender } });
    expect(ticket.quarantine).toBeUndefined();
    expect(await objectAt(inbound(id))).toEqual(raw);
    expect(await objectAt(quarantined(id))).toBeUndefined();
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await noticesAbout(reference)).toHaveLength(1);
  });

  it.each([
    ['SPF, DKIM and DMARC failing (policy none)', { spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' }, 'none'],
    ['SPF and DKIM failing, DMARC GRAY', { spf: 'FAIL', dkim: 'FAIL', dmarc: 'GRAY' }, undefined],
    ['SPF and DKIM failing, DMARC not evaluated', { spf: 'FAIL', dkim: 'FAIL', dmarc: 'PROCESSING_FAILED' }, undefined],
  ] as const)('%s: a ticket, not quarantined, no reply', async (_label, verdicts, dmarcPolicy) => {
    const sender = address('unauth');
    const id = sesId('unauth');
    const reference = ticketReference(id);
    await expect(deliver(plainFrom(sender).raw, { messageId: id, source: sender, verdicts, ...(dmarcPolicy === undefined ? {} : { dmarcPolicy }) })).resolves.toEqual({
      received: 1,
      outcomes: [{ kind: 'ticket', reference, acknowledged: false }],
    });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ status: 'open', flagged: false, s3Key: inbound(id), acknowledgement: { state: 'skipped', reason: 'unauthenticated' } });
    expect(ticket.acknowledgement.to).toBeUndefined();
    await expectNothingSentTo(sender);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain('Acknowledgement: skipped (unauthenticated).');
  });

  it('SPF passing with a forged From: the acknowledgement goes to the envelope sender only, never to the From', async () => {
    const envelope = address('mass', 'spammer.example');
    const forgedFrom = address('ceo', 'bank.example');
    const id = sesId('forged-from');
    const { raw } = plainFrom(envelope, { From: `Your Bank <${forgedFrom}>` });
    await deliver(raw, { messageId: id, source: envelope, from: `Your Bank <${forgedFrom}>`, verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'none' });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ from: { address: forgedFrom, name: 'Your Bank' }, envelopeFrom: envelope, acknowledgement: { state: 'sent', to: envelope } });
    const acks = await capturedTo(envelope);
    expect(acks).toHaveLength(1);
    expect(acks[0]?.destinations).toEqual([envelope]);
    expect(await mailsTo(envelope)).toHaveLength(1);
    await expectNothingSentTo(forgedFrom);
  });

  it.each([
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }, 'auto_submitted'],
    ['List-Id', { 'List-Id': 'Newsletter <news.example.org>' }, 'mailing_list'],
    ['Precedence: bulk', { Precedence: 'bulk' }, 'bulk'],
  ] as const)('%s: a ticket, no reply', async (_label, headers, reason) => {
    const sender = address('noreply');
    const id = sesId('noreply');
    const reference = ticketReference(id);
    await expect(deliver(plainFrom(sender, headers).raw, { messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    expect(await ticketOf(id)).toMatchObject({ status: 'open', flagged: false, s3Key: inbound(id), acknowledgement: { state: 'skipped', reason } });
    await expectNothingSentTo(sender);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain(`Acknowledgement: skipped (${reason}).`);
  });

  it('a bounce (empty envelope sender): a ticket, no reply, the operator told who it names', async () => {
    const from = address('bounced');
    const id = sesId('bounce-empty');
    const reference = ticketReference(id);
    await expect(deliver(plainFrom(from).raw, { messageId: id, source: '', from })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    expect(await ticketOf(id)).toMatchObject({ envelopeFrom: '', from: { address: from }, acknowledgement: { state: 'skipped', reason: 'bounce' } });
    await expectNothingSentTo(from);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain(`from ${from}.`);
    expect(notices[0]?.body.text).toContain('Acknowledgement: skipped (bounce).');
  });

  it('a bounce from MAILER-DAEMON: a ticket, no reply', async () => {
    const daemon = `MAILER-DAEMON@${uniquePrefix('mx')}.example.org`;
    const id = sesId('bounce-daemon');
    const reference = ticketReference(id);
    const raw = withHeaders(plainFrom(daemon).raw, { From: `Mail Delivery System <${daemon}>`, Subject: 'Undelivered Mail Returned to Sender' });
    await expect(deliver(raw, { messageId: id, source: daemon })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    expect(await ticketOf(id)).toMatchObject({ envelopeFrom: daemon, subject: 'Undelivered Mail Returned to Sender', acknowledgement: { state: 'skipped', reason: 'bounce' } });
    await expectNothingSentTo(daemon);
    expect(await noticesAbout(reference)).toHaveLength(1);
  });
});

describe('receiveMail: at most one acknowledgement per sender per day', () => {
  /** Runs `scenario` again (fresh ids) in the rare case that a UTC midnight fell inside it. */
  async function onOneUtcDay(scenario: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const day = utcDay();
      await scenario();
      if (utcDay() === day || attempt > 0) return;
    }
  }

  it('two messages from one sender in a day: two tickets, one acknowledgement; the second skipped with its reason', async () => {
    let sender = '';
    let first = '';
    let second = '';
    await onOneUtcDay(async () => {
      sender = address('daily');
      first = sesId('daily-1');
      second = sesId('daily-2');
      await expect(deliver(plainFrom(sender).raw, { messageId: first, source: sender })).resolves.toMatchObject({ outcomes: [{ kind: 'ticket', acknowledged: true }] });
      await expect(deliver(plainFrom(sender, { Subject: 'And another thing' }).raw, { messageId: second, source: sender.toUpperCase() })).resolves.toEqual({
        received: 1,
        outcomes: [{ kind: 'ticket', reference: ticketReference(second), acknowledged: false }],
      });
    });
    expect((await ticketOf(first)).acknowledgement).toMatchObject({ state: 'sent', to: sender });
    expect(await ticketOf(second)).toMatchObject({ subject: 'And another thing', acknowledgement: { state: 'skipped', reason: 'already_acknowledged_today', to: sender } });
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await capturedTo(sender)).toHaveLength(1);
    // Both counted: the second was claimed, then refused by the counter.
    expect(await ackCount(sender)).toBe(2);
    // The operator hears of both.
    expect(await noticesAbout(ticketReference(first))).toHaveLength(1);
    const notices = await noticesAbout(ticketReference(second));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain('Acknowledgement: skipped (already_acknowledged_today).');
  });
});

describe('receiveMail: our own mail coming back', () => {
  it('an acknowledgement we really sent, delivered back: no ticket, no reply, linked to the ticket it came from', async () => {
    const sender = address('loop');
    const original = sesId('loop');
    const reference = ticketReference(original);
    await deliver(plainFrom(sender).raw, { messageId: original, source: sender });
    const [ack] = await capturedTo(sender);
    if (ack === undefined) throw new Error('no acknowledgement captured');

    // The reader's mailbox sends it back to us unchanged.
    const back = sesId('loop-back');
    await expect(deliver(ack.raw, { messageId: back, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'returned', linkedTo: reference }] });
    expect(await ticketStore.get(ticketReference(back))).toBeUndefined();
    expect((await ticketOf(original)).returned).toEqual([{ at: expect.any(String), sesMessageId: back, s3Key: inbound(back) }]);
    expect(await capturedTo(sender)).toHaveLength(1);
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await ackCount(sender)).toBe(1);
    expect(await noticesAbout(ticketReference(back))).toEqual([]);
    expect(await noticesAbout(reference)).toHaveLength(1);
    // Kept where SES put it, not quarantined.
    expect(await objectAt(inbound(back))).toEqual(ack.raw);

    // Delivered again: linked once.
    await expect(redeliver({ messageId: back, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'returned', linkedTo: reference }] });
    expect((await ticketOf(original)).returned).toHaveLength(1);
    expect(await ticketStore.get(ticketReference(back))).toBeUndefined();
  });

  it('an operator notice we really sent, delivered back (the operator’s address is one SES receives): no ticket, no reply, linked to its ticket', async () => {
    const sender = address('loop-notice');
    const original = sesId('loop-notice');
    await deliver(plainFrom(sender).raw, { messageId: original, source: sender });
    const [notice] = await capturedNoticeAbout(ticketReference(original));
    if (notice === undefined) throw new Error('no notice captured');

    const back = sesId('loop-notice-back');
    await expect(deliver(notice.raw, { messageId: back, source: OPERATOR })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'returned', linkedTo: ticketReference(original) }] });
    expect(await ticketStore.get(ticketReference(back))).toBeUndefined();
    expect((await ticketOf(original)).returned?.map((entry) => entry.sesMessageId)).toEqual([back]);
    expect(await noticesAbout(ticketReference(back))).toEqual([]);
    expect(await capturedTo(OPERATOR).then((all) => all.filter((c) => (c.mail.subject ?? '').includes(ticketReference(back))))).toEqual([]);
  });

  it('a forged marker (a random value): treated as normal mail, a ticket and an acknowledgement', async () => {
    const sender = address('forged-marker');
    const id = sesId('forged-marker');
    const reference = ticketReference(id);
    const { raw } = plainFrom(sender, { [MARKER_HEADER]: `v1.${randomBytes(32).toString('base64url')}` });
    await expect(deliver(raw, { messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: true }] });
    expect(await ticketOf(id)).toMatchObject({ status: 'open', acknowledgement: { state: 'sent', to: sender } });
    expect((await ticketOf(id)).returned).toBeUndefined();
    expect(await mailsTo(sender)).toHaveLength(1);
    expect(await noticesAbout(reference)).toHaveLength(1);
  });

  it('a valid marker copied onto another message is forged too: a ticket, acknowledged, nothing linked', async () => {
    const victim = address('copied-from');
    const original = sesId('copied-from');
    await deliver(plainFrom(victim).raw, { messageId: original, source: victim });
    const [ack] = await capturedTo(victim);
    const marker = ack === undefined ? undefined : headerText(ack.mail, MARKER_HEADER);
    if (marker === undefined) throw new Error('no marker on our mail');

    const sender = address('copier');
    const id = sesId('copier');
    await expect(deliver(plainFrom(sender, { [MARKER_HEADER]: marker }).raw, { messageId: id, source: sender })).resolves.toEqual({
      received: 1,
      outcomes: [{ kind: 'ticket', reference: ticketReference(id), acknowledged: true }],
    });
    expect((await ticketOf(original)).returned).toBeUndefined();
    expect(await mailsTo(sender)).toHaveLength(1);
  });
});

describe('receiveMail: what the message holds', () => {
  it('multipart with an attachment: names and sizes on the ticket, the ISO-8859-1 encoded-word subject and name decoded', async () => {
    const sender = address('renee', 'example.de');
    const id = sesId('latin1');
    const reference = ticketReference(id);
    await deliver(fixture('latin1-attachment.eml'), { messageId: id, source: sender });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({
      messageId: '<latin1-1@example.de>',
      from: { address: 'renee@example.de', name: 'Renée Müller' },
      subject: 'Frage zu meinem Könto',
      snippet: 'Grüße aus Köln',
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 54 }],
      acknowledgement: { state: 'sent', to: sender },
    });
    expect(ticket.problem).toBeUndefined();
    const acks = await mailsTo(sender);
    expect(acks).toHaveLength(1);
    expect(acks[0]?.subject).toBe(`Re: Frage zu meinem Könto [${reference}]`);
    expect(acks[0]?.body.text).toContain('"Frage zu meinem Könto"');
    const notices = await noticesAbout(reference);
    expect(notices[0]?.body.text).toContain('Subject: Frage zu meinem Könto');
    expect(notices[0]?.body.text).toContain('Grüße aus Köln');
  });

  it('an HTML-only body: the snippet is its text, without tags, style or script', async () => {
    const sender = address('html');
    const id = sesId('html');
    await deliver(fixture('html-only.eml'), { messageId: id, source: sender });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ subject: 'HTML only', from: { address: 'news@example.org', name: '' }, snippet: 'Hello & welcome Line two', attachments: [] });
    expect(ticket.snippet).not.toMatch(/[<>]|color|alert/);
    expect(ticket.problem).toBeUndefined();
  });
});

describe('receiveMail: messages that cannot be read in full', () => {
  it('a truncated MIME object: a ticket with what could be read, its problem says so, the object kept', async () => {
    const sender = address('truncated');
    const id = sesId('truncated');
    const reference = ticketReference(id);
    const answer = await deliver(fixture('truncated.eml'), { messageId: id, source: sender });
    expect(answer.received).toBe(1);
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ status: 'open', from: { address: 'broken@example.org', name: '' }, subject: 'cut', snippet: 'The message stops he', s3Key: inbound(id) });
    expect(ticket.problem).toMatch(/truncated/);
    expect(await objectAt(inbound(id))).toEqual(fixture('truncated.eml'));
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain(`Note: ${ticket.problem ?? ''}.`);
    // Its headers were read in full (only the body was cut), so the rules apply as to any message:
    // SPF passed, so the envelope sender is acknowledged.
    expect(answer.outcomes).toEqual([{ kind: 'ticket', reference, acknowledged: true }]);
    expect(ticket.acknowledgement).toMatchObject({ state: 'sent', to: sender });
    expect(await mailsTo(sender)).toHaveLength(1);
  });

  it.each([
    ['a garbage object (bytes that are no message)', garbage(1024), /no readable From|no headers|could not be parsed/],
    ['an empty object', Buffer.alloc(0), /^the message is empty$/],
  ] as const)('%s: a ticket whose problem says so, the object kept, no acknowledgement', async (_label, raw, problem) => {
    const sender = address('unreadable');
    const id = sesId('unreadable');
    const reference = ticketReference(id);
    await expect(deliver(raw, { messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ status: 'open', envelopeFrom: sender, subject: '(no subject)', snippet: '', attachments: [], s3Key: inbound(id), acknowledgement: { state: 'skipped', reason: 'unreadable' } });
    expect(ticket.problem).toMatch(problem);
    expect(ticket.from).toBeUndefined();
    expect(await objectAt(inbound(id))).toEqual(raw);
    await expectNothingSentTo(sender);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain(`Note: ${ticket.problem ?? ''}.`);
    expect(notices[0]?.body.text).toContain(`from ${sender}.`);
  });

  it('a missing object (an event without a stored message): a ticket from the event alone, never a throw, no acknowledgement', async () => {
    const sender = address('missing');
    const id = sesId('missing');
    const reference = ticketReference(id);
    await expect(deliver(undefined, { messageId: id, source: sender })).resolves.toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({
      status: 'open',
      sesMessageId: id,
      envelopeFrom: sender,
      subject: '(no subject)',
      problem: `the raw message was not found at ${inbound(id)}`,
      acknowledgement: { state: 'skipped', reason: 'unreadable' },
    });
    expect(ticket.s3Key).toBeUndefined();
    expect(await objectAt(quarantined(id))).toBeUndefined();
    await expectNothingSentTo(sender);
    const notices = await noticesAbout(reference);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.body.text).toContain(`Note: the raw message was not found at ${inbound(id)}.`);
  });
});

describe('receiveMail: SUPPORT_ACKNOWLEDGE', () => {
  it('SUPPORT_ACKNOWLEDGE=false is read at cold start: a warm container keeps acknowledging, a new one acknowledges nothing', async () => {
    // This container's settings are read on its first delivery.
    const before = address('ack-on');
    await expect(deliver(plainFrom(before).raw, { messageId: sesId('ack-on'), source: before })).resolves.toMatchObject({ outcomes: [{ kind: 'ticket', acknowledged: true }] });

    process.env.SUPPORT_ACKNOWLEDGE = 'false';
    try {
      // The warm container keeps what it read.
      const warm = address('ack-warm');
      await expect(deliver(plainFrom(warm).raw, { messageId: sesId('ack-warm'), source: warm })).resolves.toMatchObject({ outcomes: [{ kind: 'ticket', acknowledged: true }] });
      expect(await mailsTo(warm)).toHaveLength(1);

      // A new container (a fresh module registry: the function's modules loaded again) reads `false`.
      const cold = address('ack-cold');
      const id = sesId('ack-cold');
      const reference = ticketReference(id);
      const { raw } = plainFrom(cold);
      await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: inbound(id), Body: raw }));
      let answer: unknown;
      await jest.isolateModulesAsync(async () => {
        const runtime = await import('../../local/lambda-runtime');
        answer = await runtime.invoke('receiveMail', sesEvent({ messageId: id, source: cold, timestamp: new Date().toISOString() }));
      });
      expect(answer).toEqual({ received: 1, outcomes: [{ kind: 'ticket', reference, acknowledged: false }] });
      expect((await ticketOf(id)).acknowledgement).toEqual({ state: 'skipped', reason: 'acknowledgements_off' });
      expect(await mailsTo(cold)).toEqual([]);
      expect(await ackCount(cold)).toBeUndefined();
      const notices = await noticesAbout(reference);
      expect(notices).toHaveLength(1);
      expect(notices[0]?.body.text).toContain('Acknowledgement: skipped (acknowledgements_off).');
    } finally {
      delete process.env.SUPPORT_ACKNOWLEDGE;
    }
  });
});

describe('receiveMail: an event that is not an SES receipt', () => {
  const ses = sesEvent({ messageId: 'not-used' });
  it.each([
    ['an empty object', {}],
    ['null', null],
    ['no records', { Records: [] }],
    ['an S3 notification', { Records: [{ eventSource: 'aws:s3', s3: { bucket: { name: names.bucket }, object: { key: 'mail/inbound/x' } } }] }],
    ['an SES event whose message id would leave the inbound prefix', sesEvent({ messageId: '../../keys/hashing-key' })],
    ['an SES event without a receipt', { Records: [{ ses: { mail: ses.Records[0]?.ses.mail } }] }],
  ])('%s: answers { received: 0 } and touches nothing', async (_label, event) => {
    commands.length = 0;
    const capturedBefore = captured.length;
    await expect(invoke('receiveMail', event)).resolves.toEqual({ received: 0 });
    // No request of any kind reached DynamoDB, S3 or SES.
    expect(commands).toEqual([]);
    expect(captured).toHaveLength(capturedBefore);
  });
});

describe('receiveMail: nothing secret in the ticket or the logs', () => {
  it('the ticket item, the sent-mail index and the log lines hold no hashing key and no marker value', async () => {
    const sender = address('secret');
    const id = sesId('secret');
    const reference = ticketReference(id);
    const { raw } = plainFrom(sender);
    await clients.s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: inbound(id), Body: raw }));

    // A container logging all it can, as a careless deployment might: the DEBUG level and
    // Powertools' event logging on. The log level is read when the logger is built (at cold start),
    // so this is a new container: the function's modules loaded again with these settings.
    const lines: string[] = [];
    const record = (chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
    const saved = { level: process.env.POWERTOOLS_LOG_LEVEL, logEvent: process.env.POWERTOOLS_LOGGER_LOG_EVENT };
    Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(record), jest.spyOn(process.stderr, 'write').mockImplementation(record)];
    try {
      await jest.isolateModulesAsync(async () => {
        // That container's own SES client, captured like this file's.
        const ses = await import('../../shared/adapters/aws/ses');
        recordCommands(ses.sesClient(), 'ses-verbose');
        const runtime = await import('../../local/lambda-runtime');
        await runtime.invoke('receiveMail', sesEvent({ messageId: id, source: sender, timestamp: new Date().toISOString() }));
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
      if (saved.level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved.level;
      if (saved.logEvent === undefined) delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
      else process.env.POWERTOOLS_LOGGER_LOG_EVENT = saved.logEvent;
    }
    const log = lines.join('');
    // Lines were written (the outcome at least).
    expect(log).toContain('support mail received');
    expect(log).toContain(reference);

    const [ack] = await capturedTo(sender);
    const [notice] = await capturedNoticeAbout(reference);
    const markers = [ack, notice].map((c) => (c === undefined ? undefined : headerText(c.mail, MARKER_HEADER)));
    expect(markers).toEqual([expect.stringMatching(/^v1\./), expect.stringMatching(/^v1\./)]);
    const secrets = [hashingKeyText, hashingKey.toString('hex'), hashingKey.toString('base64'), ...markers.map((m) => m ?? 'missing'), ...markers.map((m) => (m ?? 'missing').slice(3))];

    const item = await workflowItem(`TICKET#${reference}`, 'TICKET');
    expect(item).toMatchObject({ reference, acknowledgement: { state: 'sent', to: sender } });
    const sentItem = await workflowItem(`SENT_MAIL#${ack?.mail.messageId ?? ''}`, 'SENT');
    expect(sentItem).toMatchObject({ reference });
    const stored = JSON.stringify([item, sentItem]);
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
    expect(stored.toLowerCase()).not.toContain('marker');
    // The event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says: neither the sender nor the subject shows.
    expect(log).not.toContain(sender);
    expect(log).not.toContain('Question about my Pins');
  });
});
