import { MARKER_HEADER } from '../../shared/adapters/ses-mailer';
import { ticketReference } from '../../shared/domain/mail-rules';
import type { Ticket } from '../../shared/domain/tickets';
import { receiveMail, sesEventSchema, type InboundOutcome } from '../../shared/use-cases/inbound-mail';
import { mailerOver, memoryInboundDeps, sesEvent, type MemoryInbound, type SesEventOptions } from '../support/memory-mail';
import { mailFixture as fixture, withHeaders } from '../support/mail-fixtures';



const plain = (): Buffer => fixture('plain.eml');
const inbound = (id: string): string => `mail/inbound/${id}`;

/** What SES's receipt rule does: the S3 action stores the raw message, then the Lambda action runs with its event. */
async function deliver(m: MemoryInbound, raw: Buffer | undefined, options: SesEventOptions): Promise<InboundOutcome[]> {
  if (raw !== undefined) m.raw.put(inbound(options.messageId), raw);
  return redeliver(m, options);
}

/** The same event again (Lambda's async retry, or SES delivering twice): the object is not written again. */
function redeliver(m: MemoryInbound, options: SesEventOptions): Promise<InboundOutcome[]> {
  const event = sesEventSchema.parse(sesEvent({ timestamp: m.clock.now().toISOString(), ...options }));
  return receiveMail(m.deps, event);
}

function ticketOf(m: MemoryInbound, sesMessageId: string): Ticket {
  const ticket = m.tickets.ticket(ticketReference(sesMessageId));
  if (ticket === undefined) throw new Error(`no ticket for ${sesMessageId}`);
  return ticket;
}

const ALL_PASS = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };

describe('sesEventSchema: the Lambda action event', () => {
  it('accepts the event as SES documents it, keeping the fields it does not read', () => {
    const event = sesEventSchema.parse(sesEvent({ messageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', dmarcPolicy: 'reject', verdicts: { dmarc: 'FAIL' } }));
    expect(event.Records[0]).toMatchObject({ eventSource: 'aws:ses', eventVersion: '1.0' });
    expect(event.Records[0]?.ses.receipt).toMatchObject({ dmarcVerdict: { status: 'FAIL' }, dmarcPolicy: 'reject', action: { type: 'Lambda', invocationType: 'Event' } });
  });

  it('refuses a message id that could leave the inbound prefix, and an event without records', () => {
    expect(sesEventSchema.safeParse(sesEvent({ messageId: '../../secrets' })).success).toBe(false);
    expect(sesEventSchema.safeParse(sesEvent({ messageId: 'a/b' })).success).toBe(false);
    expect(sesEventSchema.safeParse({ Records: [] }).success).toBe(false);
  });
});

describe('receiveMail: a plain message', () => {
  const id = 'plain0001';

  it('opens a ticket with everything the operator needs, keyed by the SES message id', async () => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, plain(), { messageId: id, source: 'reader@example.org' });
    const reference = ticketReference(id);
    expect(reference).toMatch(/^MDZ-[A-HJ-NP-Z2-9]{10}$/);
    expect(outcomes).toEqual([{ kind: 'ticket', reference, acknowledged: true }]);
    const now = m.clock.now().toISOString();
    expect(m.tickets.all()).toEqual([
      {
        reference,
        source: 'mail',
        status: 'open',
        flagged: false,
        sesMessageId: id,
        messageId: '<plain-1@example.org>',
        envelopeFrom: 'reader@example.org',
        from: { address: 'reader@example.org', name: 'Reader Example' },
        subject: 'Question about my Pins',
        receivedAt: now,
        snippet: 'Hello, how do I connect my account? Thanks 🙂',
        attachments: [],
        s3Key: inbound(id),
        verdicts: ALL_PASS,
        acknowledgement: { state: 'sent', to: 'reader@example.org', messageId: '<1@ecooffice.net>', at: now },
        operatorNotifiedAt: now,
        operatorNoticeId: '<notice-1@ecooffice.net>',
        replies: [],
        version: 4,
        createdAt: now,
        updatedAt: now,
      },
    ]);
    // The raw message stays where SES put it.
    expect(m.raw.objects.get(inbound(id))).toEqual(plain());
    expect(m.raw.moves).toEqual([]);
  });

  it('acknowledges once to the envelope sender, as an auto-reply threaded on the message', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: id, source: 'reader@example.org' });
    const reference = ticketReference(id);
    expect(m.mail.sent).toHaveLength(1);
    const [ack] = m.mail.sent;
    expect(ack).toMatchObject({
      to: ['reader@example.org'],
      subject: `Re: Question about my Pins [${reference}]`,
      autoSubmitted: 'auto-replied',
      inReplyTo: '<plain-1@example.org>',
      references: ['<plain-1@example.org>'],
    });
    expect(ack?.text).toContain(`opened support request ${reference}`);
    expect(ack?.text).toContain('"Question about my Pins"');
    expect(ack?.text).toContain(`Please keep ${reference} in the subject`);
    expect(m.tickets.sentIndex.get('<1@ecooffice.net>')).toBe(reference);
    expect(m.acks.on('reader@example.org', '2026-07-01')).toBe(1);
  });

  it('keeps the reference in the acknowledgement of a message with a very long subject', async () => {
    const m = memoryInboundDeps();
    await deliver(m, withHeaders(plain(), { Subject: 'Zen '.repeat(100).trim() }), { messageId: id, source: 'reader@example.org' });
    const subject = m.mail.sent[0]?.subject ?? '';
    expect(subject.endsWith(` [${ticketReference(id)}]`)).toBe(true);
    expect(subject.startsWith('Re: Zen Zen')).toBe(true);
    expect(Array.from(subject).length).toBeLessThanOrEqual(230 + 3 + ticketReference(id).length);
  });

  it('records an acknowledgement SES refuses as failed (terminal, visible), still tells the operator, and sends nothing on a redelivery', async () => {
    const m = memoryInboundDeps();
    m.mail.failNextSend(Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
    await deliver(m, plain(), { messageId: id, source: 'reader@example.org' });
    expect(ticketOf(m, id).acknowledgement).toEqual({ state: 'failed', reason: 'ses_refused:MessageRejected', to: 'reader@example.org' });
    expect(m.mail.sent).toEqual([]);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: failed (ses_refused:MessageRejected).');
    await redeliver(m, { messageId: id, source: 'reader@example.org' });
    expect(m.mail.sent).toEqual([]);
    expect(m.operator.notices).toHaveLength(1);
  });

  it('tells the operator once: who, what, and that it was acknowledged', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: id, source: 'reader@example.org' });
    const reference = ticketReference(id);
    expect(m.operator.notices).toEqual([
      {
        subject: `New support request ${reference}`,
        text: [
          `New support request ${reference} from reader@example.org.`,
          'Subject: Question about my Pins',
          'Acknowledgement: sent.',
          '',
          'Hello, how do I connect my account? Thanks 🙂',
        ].join('\n'),
      },
    ]);
  });

  it('keeps the thread: References carries the message’s own references, then its Message-ID', async () => {
    const m = memoryInboundDeps();
    const reply = withHeaders(plain(), { 'Message-ID': '<plain-2@example.org>', 'In-Reply-To': '<b@ecooffice.net>', References: '<a@example.org>\r\n <b@ecooffice.net>' });
    await deliver(m, reply, { messageId: 'plain0002' });
    expect(m.mail.sent[0]).toMatchObject({ inReplyTo: '<plain-2@example.org>', references: ['<a@example.org>', '<b@ecooffice.net>', '<plain-2@example.org>'] });
  });

  it('sends several records of one event each to its own ticket, in order', async () => {
    const m = memoryInboundDeps();
    m.raw.put(inbound('multi0001'), plain());
    m.raw.put(inbound('multi0002'), fixture('latin1-attachment.eml'));
    const one = sesEvent({ messageId: 'multi0001', timestamp: m.clock.now().toISOString() });
    const two = sesEvent({ messageId: 'multi0002', source: 'renee@example.de', timestamp: m.clock.now().toISOString() });
    const outcomes = await receiveMail(m.deps, sesEventSchema.parse({ Records: [...one.Records, ...two.Records] }));
    expect(outcomes).toEqual([
      { kind: 'ticket', reference: ticketReference('multi0001'), acknowledged: true },
      { kind: 'ticket', reference: ticketReference('multi0002'), acknowledged: true },
    ]);
    expect(m.mail.sent.map((mail) => mail.to)).toEqual([['reader@example.org'], ['renee@example.de']]);
  });
});

describe('receiveMail: redelivery', () => {
  const id = 'redeliver01';

  it('the same SES message twice: one ticket, one acknowledgement, one notice', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: id });
    const first = ticketOf(m, id);
    m.clock.advance(60_000);
    await expect(redeliver(m, { messageId: id })).resolves.toEqual([{ kind: 'duplicate', reference: ticketReference(id) }]);
    expect(m.tickets.all()).toEqual([first]);
    expect(m.mail.sent).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.acks.on('reader@example.org', '2026-07-01')).toBe(1);
  });

  it('two deliveries of one message at once: one ticket, one acknowledgement, one notice', async () => {
    const m = memoryInboundDeps();
    m.raw.put(inbound(id), plain());
    const outcomes = await Promise.all([redeliver(m, { messageId: id }), redeliver(m, { messageId: id })]);
    expect(outcomes.flat().map((o) => o.kind).sort()).toEqual(['duplicate', 'ticket']);
    expect(m.tickets.all()).toHaveLength(1);
    expect(m.mail.sent).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(1);
    expect(ticketOf(m, id).acknowledgement.state).toBe('sent');
  });

  it('a crash between the ticket and the acknowledgement: the next delivery sends it, once', async () => {
    const m = memoryInboundDeps();
    m.tickets.failUpdateOnce((changes) => changes.acknowledgement?.state === 'sending', new Error('simulated Lambda crash'));
    await expect(deliver(m, plain(), { messageId: id })).rejects.toThrow('simulated Lambda crash');
    const left = ticketOf(m, id);
    expect(left).toMatchObject({ version: 1, acknowledgement: { state: 'pending', to: 'reader@example.org' } });
    expect(left.operatorNotifiedAt).toBeUndefined();
    expect(m.mail.sent).toEqual([]);
    expect(m.operator.notices).toEqual([]);

    m.clock.advance(90_000);
    await expect(redeliver(m, { messageId: id })).resolves.toEqual([{ kind: 'duplicate', reference: ticketReference(id) }]);
    expect(m.mail.sent).toHaveLength(1);
    expect(m.mail.sent[0]).toMatchObject({ to: ['reader@example.org'], inReplyTo: '<plain-1@example.org>', references: ['<plain-1@example.org>'], autoSubmitted: 'auto-replied' });
    expect(ticketOf(m, id).acknowledgement).toEqual({ state: 'sent', to: 'reader@example.org', messageId: '<1@ecooffice.net>', at: m.clock.now().toISOString() });
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: sent.');

    await redeliver(m, { messageId: id });
    expect(m.mail.sent).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(1);
  });

  it('a crash after the acknowledgement went out, before it was recorded: never a second one', async () => {
    const m = memoryInboundDeps();
    m.tickets.failUpdateOnce((changes) => changes.acknowledgement?.state === 'sent', new Error('simulated Lambda crash'));
    await expect(deliver(m, plain(), { messageId: id })).rejects.toThrow('simulated Lambda crash');
    expect(m.mail.sent).toHaveLength(1);
    expect(ticketOf(m, id).acknowledgement.state).toBe('sending');

    await redeliver(m, { messageId: id });
    expect(m.mail.sent).toHaveLength(1);
    // The operator still hears of the ticket, and where its acknowledgement stands.
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: sending.');
    expect(ticketOf(m, id).operatorNotifiedAt).toEqual(expect.any(String));
  });

  it('a notice that failed to send is sent by the redelivery', async () => {
    const m = memoryInboundDeps();
    m.operator.failNextNotice();
    await expect(deliver(m, plain(), { messageId: id })).rejects.toThrow('simulated SES failure');
    await redeliver(m, { messageId: id });
    expect(m.operator.notices).toHaveLength(1);
    // The retry reuses the Message-ID kept on the ticket: one sent-mail entry, found again by a privacy deletion.
    expect(m.operator.messageIds).toEqual(['<notice-1@ecooffice.net>']);
    expect(ticketOf(m, id)).toMatchObject({ operatorNoticeId: '<notice-1@ecooffice.net>', operatorNotifiedAt: expect.any(String) as unknown });
  });
});

describe('receiveMail: quarantine', () => {
  it.each([
    ['spam FAIL', { verdicts: { spam: 'FAIL' } }, ['spam']],
    ['virus FAIL', { verdicts: { virus: 'FAIL' } }, ['virus']],
    ['DMARC FAIL under a reject policy', { verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'reject' }, ['dmarc_reject']],
    ['DMARC FAIL under REJECT (any case)', { verdicts: { dmarc: 'fail' }, dmarcPolicy: 'REJECT' }, ['dmarc_reject']],
    ['spam and virus FAIL', { verdicts: { spam: 'FAIL', virus: 'FAIL' } }, ['spam', 'virus']],
  ] as const)('%s: moved under the quarantine prefix, flagged, never answered', async (_, options, reasons) => {
    const m = memoryInboundDeps();
    const id = 'quarantine01';
    const outcomes = await deliver(m, plain(), { messageId: id, ...options });
    const reference = ticketReference(id);
    expect(outcomes).toEqual([{ kind: 'ticket', reference, acknowledged: false }]);
    expect(m.raw.moves).toEqual([{ from: inbound(id), to: `mail/quarantine/${id}` }]);
    expect(m.raw.objects.has(inbound(id))).toBe(false);
    expect(m.raw.objects.get(`mail/quarantine/${id}`)).toEqual(plain());
    const ticket = ticketOf(m, id);
    expect(ticket).toMatchObject({ flagged: true, quarantine: reasons, s3Key: `mail/quarantine/${id}`, acknowledgement: { state: 'skipped', reason: 'quarantined' } });
    expect(ticket.acknowledgement.to).toBeUndefined();
    expect(m.mail.sent).toEqual([]);
    expect(m.acks.counts.size).toBe(0);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.subject).toBe(`Quarantined mail ${reference}`);
    expect(m.operator.notices[0]?.text).toContain(`Quarantined support request ${reference} from reader@example.org.`);
    expect(m.operator.notices[0]?.text).toContain(`Quarantined for: ${reasons.join(', ')} (not answered).`);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: skipped (quarantined).');

    // A redelivery moves nothing again and finds the same ticket.
    await expect(redeliver(m, { messageId: id, ...options })).resolves.toEqual([{ kind: 'duplicate', reference }]);
    expect(m.raw.moves).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(1);
  });

  it('a crash between the quarantine move and the ticket: the redelivered ticket still points at the message', async () => {
    const m = memoryInboundDeps();
    const id = 'quarantine02';
    m.tickets.failCreateOnce();
    await expect(deliver(m, plain(), { messageId: id, verdicts: { spam: 'FAIL' } })).rejects.toThrow('simulated DynamoDB failure');
    expect(m.raw.objects.has(`mail/quarantine/${id}`)).toBe(true);
    await redeliver(m, { messageId: id, verdicts: { spam: 'FAIL' } });
    const ticket = ticketOf(m, id);
    expect(ticket.problem).toBeUndefined();
    expect(ticket.s3Key).toBe(`mail/quarantine/${id}`);
  });

  it('DMARC FAIL under a quarantine policy is noted, not quarantined', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: 'dmarcq01', verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'quarantine' });
    const ticket = ticketOf(m, 'dmarcq01');
    expect(ticket.flagged).toBe(false);
    expect(ticket.quarantine).toBeUndefined();
    expect(ticket.verdicts).toEqual({ ...ALL_PASS, dmarc: 'FAIL', dmarcPolicy: 'quarantine' });
    expect(m.raw.moves).toEqual([]);
  });
});

describe('receiveMail: whom an acknowledgement may go to', () => {
  it('DMARC FAIL under none with SPF passing: a ticket, not quarantined, acknowledged to the envelope sender', async () => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, plain(), { messageId: 'dmarcn01', verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'none' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('dmarcn01'), acknowledged: true }]);
    const ticket = ticketOf(m, 'dmarcn01');
    expect(ticket).toMatchObject({ flagged: false, s3Key: inbound('dmarcn01'), verdicts: { dmarc: 'FAIL', dmarcPolicy: 'none' } });
    expect(ticket.quarantine).toBeUndefined();
    expect(m.mail.sent.map((mail) => mail.to)).toEqual([['reader@example.org']]);
    expect(m.raw.moves).toEqual([]);
  });

  it('DMARC FAIL under none with SPF failing: a ticket, not quarantined, not answered', async () => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, plain(), { messageId: 'dmarcn02', verdicts: { dmarc: 'FAIL', spf: 'FAIL' }, dmarcPolicy: 'none' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('dmarcn02'), acknowledged: false }]);
    expect(ticketOf(m, 'dmarcn02')).toMatchObject({ flagged: false, acknowledgement: { state: 'skipped', reason: 'unauthenticated' } });
    expect(m.mail.sent).toEqual([]);
    expect(m.raw.moves).toEqual([]);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: skipped (unauthenticated).');
  });

  it('SPF and DKIM both failing: a ticket, no reply', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: 'unauth01', verdicts: { spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' }, dmarcPolicy: 'none' });
    expect(ticketOf(m, 'unauth01')).toMatchObject({ flagged: false, acknowledgement: { state: 'skipped', reason: 'unauthenticated' } });
    expect(m.mail.sent).toEqual([]);
    expect(m.acks.counts.size).toBe(0);
    expect(m.operator.notices).toHaveLength(1);
  });

  it('SPF GRAY and DMARC PASS: acknowledged to the From address the DMARC pass vouches for', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: 'dmarcp01', source: 'bounces+123@mailer.example.net', verdicts: { spf: 'GRAY' } });
    expect(ticketOf(m, 'dmarcp01').acknowledgement).toMatchObject({ state: 'sent', to: 'reader@example.org' });
    expect(m.mail.sent.map((mail) => mail.to)).toEqual([['reader@example.org']]);
  });

  it('SPF passing with a forged From: the reply goes to the envelope sender only, never to the From', async () => {
    const m = memoryInboundDeps();
    const forged = withHeaders(plain(), { From: 'Your Bank <ceo@bank.example>', 'Return-Path': '<mass@spammer.example>' });
    await deliver(m, forged, { messageId: 'forged01', source: 'mass@spammer.example', verdicts: { dmarc: 'FAIL' }, dmarcPolicy: 'none' });
    const ticket = ticketOf(m, 'forged01');
    expect(ticket).toMatchObject({ from: { address: 'ceo@bank.example', name: 'Your Bank' }, envelopeFrom: 'mass@spammer.example', acknowledgement: { state: 'sent', to: 'mass@spammer.example' } });
    expect(m.mail.sent.map((mail) => mail.to)).toEqual([['mass@spammer.example']]);
    expect(m.mail.to('ceo@bank.example')).toEqual([]);
  });

  it.each([
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }, {}, 'auto_submitted'],
    ['Auto-Submitted: auto-generated (any case)', { 'AUTO-SUBMITTED': 'Auto-Generated' }, {}, 'auto_submitted'],
    ['Precedence: bulk', { Precedence: 'bulk' }, {}, 'bulk'],
    ['Precedence: junk', { Precedence: 'junk' }, {}, 'bulk'],
    ['List-Id', { 'List-Id': 'Newsletter <news.example.org>' }, {}, 'mailing_list'],
    ['List-Unsubscribe', { 'List-Unsubscribe': '<mailto:leave@example.org>' }, {}, 'mailing_list'],
    ['a bounce (empty envelope sender)', {}, { source: '' }, 'bounce'],
    ['a bounce from MAILER-DAEMON', { From: 'Mail Delivery System <MAILER-DAEMON@mx.example.org>' }, { source: 'MAILER-DAEMON@mx.example.org' }, 'bounce'],
    ['a bounce from postmaster', {}, { source: 'postmaster@example.org' }, 'bounce'],
  ] as const)('%s: a ticket, no reply', async (_, headers, event, reason) => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, withHeaders(plain(), headers), { messageId: 'noreply01', ...event });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('noreply01'), acknowledged: false }]);
    expect(ticketOf(m, 'noreply01')).toMatchObject({ flagged: false, s3Key: inbound('noreply01'), acknowledgement: { state: 'skipped', reason } });
    expect(m.mail.sent).toEqual([]);
    expect(m.acks.counts.size).toBe(0);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.text).toContain(`Acknowledgement: skipped (${reason}).`);
  });

  it('Auto-Submitted: no is a person writing: acknowledged', async () => {
    const m = memoryInboundDeps();
    await deliver(m, withHeaders(plain(), { 'Auto-Submitted': 'no' }), { messageId: 'autono01' });
    expect(m.mail.sent).toHaveLength(1);
  });

  it('the bounce’s ticket keeps the empty envelope sender and names the From address to the operator', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: 'bounce02', source: '' });
    expect(ticketOf(m, 'bounce02').envelopeFrom).toBe('');
    expect(m.operator.notices[0]?.text).toContain('from reader@example.org.');
  });
});

describe('receiveMail: at most one acknowledgement per sender per day', () => {
  it('two messages in a day: one acknowledgement; the next day: acknowledged again', async () => {
    const m = memoryInboundDeps();
    m.clock.set('2026-07-01T08:00:00.000Z');
    await deliver(m, plain(), { messageId: 'daily0001' });
    m.clock.set('2026-07-01T23:59:59.000Z');
    const second = await deliver(m, withHeaders(plain(), { 'Message-ID': '<plain-2@example.org>', Subject: 'And another thing' }), { messageId: 'daily0002', source: 'Reader@Example.org' });
    expect(second).toEqual([{ kind: 'ticket', reference: ticketReference('daily0002'), acknowledged: false }]);
    expect(ticketOf(m, 'daily0002').acknowledgement).toEqual({ state: 'skipped', reason: 'already_acknowledged_today', to: 'reader@example.org' });
    expect(m.mail.sent).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(2);
    expect(m.operator.notices[1]?.text).toContain('Acknowledgement: skipped (already_acknowledged_today).');

    m.clock.set('2026-07-02T00:00:01.000Z');
    const third = await deliver(m, withHeaders(plain(), { 'Message-ID': '<plain-3@example.org>' }), { messageId: 'daily0003' });
    expect(third).toEqual([{ kind: 'ticket', reference: ticketReference('daily0003'), acknowledged: true }]);
    expect(m.mail.sent).toHaveLength(2);
    expect(m.mail.sent[1]).toMatchObject({ to: ['reader@example.org'], inReplyTo: '<plain-3@example.org>' });
    expect(m.acks.on('reader@example.org', '2026-07-01')).toBe(2);
    expect(m.acks.on('reader@example.org', '2026-07-02')).toBe(1);
  });

  it('another sender the same day is acknowledged', async () => {
    const m = memoryInboundDeps();
    await deliver(m, plain(), { messageId: 'daily0011' });
    await deliver(m, fixture('latin1-attachment.eml'), { messageId: 'daily0012', source: 'renee@example.de' });
    expect(m.mail.sent.map((mail) => mail.to)).toEqual([['reader@example.org'], ['renee@example.de']]);
  });
});

describe('receiveMail: our own mail coming back', () => {
  it('a message with our valid marker: no ticket, no reply, linked to the ticket whose acknowledgement it was', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    await deliver(m, plain(), { messageId: 'loop0001' });
    const reference = ticketReference('loop0001');
    const [ack] = m.mail.sent;
    if (ack?.raw === undefined) throw new Error('the acknowledgement was not composed');
    expect(ack.raw.toString('utf8')).toMatch(/^X-MDZ-Publisher-Marker: v1\./im);
    expect(m.ses?.sent).toHaveLength(1);

    m.clock.advance(5 * 60_000);
    // The reader's mailbox forwards it back to us unchanged.
    const outcomes = await deliver(m, ack.raw, { messageId: 'loop0002', source: 'reader@example.org' });
    expect(outcomes).toEqual([{ kind: 'returned', linkedTo: reference }]);
    expect(m.tickets.ticket(ticketReference('loop0002'))).toBeUndefined();
    expect(m.tickets.all()).toHaveLength(1);
    expect(ticketOf(m, 'loop0001').returned).toEqual([{ at: m.clock.now().toISOString(), sesMessageId: 'loop0002', s3Key: inbound('loop0002') }]);
    expect(m.mail.sent).toHaveLength(1);
    expect(m.ses?.sent).toHaveLength(1);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.acks.on('reader@example.org', '2026-07-01')).toBe(1);
    // Kept, not quarantined.
    expect(m.raw.objects.get(inbound('loop0002'))).toEqual(ack.raw);
  });

  it('the same returned message delivered twice is linked once', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    await deliver(m, plain(), { messageId: 'loop0011' });
    const raw = m.mail.sent[0]?.raw;
    if (raw === undefined) throw new Error('the acknowledgement was not composed');
    await deliver(m, raw, { messageId: 'loop0012' });
    await redeliver(m, { messageId: 'loop0012' });
    expect(ticketOf(m, 'loop0011').returned).toHaveLength(1);
  });

  it('our valid marker on mail no ticket sent (an operator notice, say): kept as a ticket of its own, no reply, no notice', async () => {
    const m = memoryInboundDeps();
    const { mailer } = mailerOver(m.clock);
    const { raw } = await mailer.compose({ to: ['operator@ecooffice.net'], subject: 'Access revoked', text: 'Connect again.', autoSubmitted: 'auto-generated' });
    const outcomes = await deliver(m, raw, { messageId: 'loop0021', source: 'info@ecooffice.net' });
    // Kept as a ticket of its own (so a notice sent to an address SES receives for us is not lost),
    // answered by nothing and told to no one: the notice could come back the same way.
    expect(outcomes).toEqual([{ kind: 'returned', linkedTo: undefined, keptAs: ticketReference('loop0021') }]);
    expect(m.tickets.all()).toEqual([expect.objectContaining({ reference: ticketReference('loop0021'), ours: true, acknowledgement: { state: 'skipped', reason: 'ours' } })]);
    expect(m.tickets.ticket(ticketReference('loop0021'))?.operatorNotifiedAt).toBeUndefined();
    expect(m.mail.sent).toEqual([]);
    expect(m.operator.notices).toEqual([]);
  });

  it('a marker made with another key is forged: treated as normal mail (a ticket)', async () => {
    const m = memoryInboundDeps();
    const { mailer } = mailerOver(m.clock, Buffer.alloc(32, 9));
    const { raw, messageId } = await mailer.compose({ to: ['info@ecooffice.net'], subject: 'Re: your request', text: 'Looks like you.', autoSubmitted: 'auto-replied' });
    const outcomes = await deliver(m, raw, { messageId: 'forge0001', source: 'info@ecooffice.net' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('forge0001'), acknowledged: false }]);
    // A ticket like any other; its Auto-Submitted header still keeps it from being answered.
    expect(ticketOf(m, 'forge0001')).toMatchObject({ messageId, subject: 'Re: your request', acknowledgement: { state: 'skipped', reason: 'auto_submitted' } });
    expect(ticketOf(m, 'forge0001').returned).toBeUndefined();
    expect(m.operator.notices).toHaveLength(1);
  });

  it('a valid marker copied onto another message is forged too: a ticket, answered as normal mail', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    await deliver(m, plain(), { messageId: 'forge0011' });
    const marker = /^X-MDZ-Publisher-Marker: (\S+)\r?$/im.exec(m.mail.sent[0]?.raw?.toString('utf8') ?? '')?.[1];
    if (marker === undefined) throw new Error('no marker on our mail');
    m.clock.set('2026-07-02T10:00:00.000Z');
    const copied = withHeaders(plain(), { 'Message-ID': '<plain-9@example.org>', [MARKER_HEADER]: marker });
    const outcomes = await deliver(m, copied, { messageId: 'forge0012' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('forge0012'), acknowledged: true }]);
    expect(ticketOf(m, 'forge0011').returned).toBeUndefined();
    expect(m.mail.sent).toHaveLength(2);
  });
});

describe('receiveMail: what the message holds', () => {
  it('multipart with an attachment, an ISO-8859-1 encoded-word subject and sender name', async () => {
    const m = memoryInboundDeps();
    await deliver(m, fixture('latin1-attachment.eml'), { messageId: 'latin0001', source: 'renee@example.de' });
    const reference = ticketReference('latin0001');
    expect(ticketOf(m, 'latin0001')).toMatchObject({
      messageId: '<latin1-1@example.de>',
      from: { address: 'renee@example.de', name: 'Renée Müller' },
      subject: 'Frage zu meinem Könto',
      snippet: 'Grüße aus Köln',
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 54 }],
    });
    expect(ticketOf(m, 'latin0001').problem).toBeUndefined();
    expect(m.mail.sent[0]?.subject).toBe(`Re: Frage zu meinem Könto [${reference}]`);
    expect(m.operator.notices[0]?.text).toContain('Subject: Frage zu meinem Könto');
  });

  it('an HTML-only body: the snippet is its text, without style or script', async () => {
    const m = memoryInboundDeps();
    await deliver(m, fixture('html-only.eml'), { messageId: 'html00001', source: 'news@example.org' });
    const ticket = ticketOf(m, 'html00001');
    expect(ticket.snippet).toBe('Hello & welcome Line two');
    expect(ticket.subject).toBe('HTML only');
    expect(ticket.from).toEqual({ address: 'news@example.org', name: '' });
  });

  it('a long body and subject are bounded in the ticket', async () => {
    const m = memoryInboundDeps();
    const long = Buffer.from(`From: reader@example.org\r\nSubject: ${'s'.repeat(400)}\r\nMessage-ID: <long@example.org>\r\n\r\n${'word '.repeat(300)}\r\n`);
    await deliver(m, long, { messageId: 'long00001' });
    const ticket = ticketOf(m, 'long00001');
    expect(Array.from(ticket.subject)).toHaveLength(300);
    expect(Array.from(ticket.snippet)).toHaveLength(500);
    expect(ticket.snippet.endsWith('…')).toBe(true);
    expect(m.mail.sent[0]?.subject.length).toBeLessThanOrEqual(250);
  });
});

describe('receiveMail: messages that cannot be read in full', () => {
  it('a truncated object: a ticket with what could be read, never a throw, the object kept', async () => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, fixture('truncated.eml'), { messageId: 'trunc0001', source: 'broken@example.org' });
    expect(outcomes).toHaveLength(1);
    expect(ticketOf(m, 'trunc0001')).toMatchObject({ from: { address: 'broken@example.org', name: '' }, subject: 'cut', snippet: 'The message stops he', s3Key: inbound('trunc0001') });
    expect(m.raw.objects.get(inbound('trunc0001'))).toEqual(fixture('truncated.eml'));
    expect(m.operator.notices).toHaveLength(1);
  });

  it('a truncated object: the ticket’s problem says it could not be read in full', async () => {
    const m = memoryInboundDeps();
    await deliver(m, fixture('truncated.eml'), { messageId: 'trunc0002', source: 'broken@example.org' });
    expect(ticketOf(m, 'trunc0002').problem).toEqual(expect.any(String));
  });

  it('a garbage object: a ticket whose problem says so, the object kept', async () => {
    const m = memoryInboundDeps();
    const garbage = Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 73 + 11) % 256));
    const outcomes = await deliver(m, garbage, { messageId: 'garbage01' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('garbage01'), acknowledged: expect.any(Boolean) }]);
    const ticket = ticketOf(m, 'garbage01');
    expect(ticket).toMatchObject({ subject: '(no subject)', snippet: '', attachments: [], s3Key: inbound('garbage01'), envelopeFrom: 'reader@example.org' });
    expect(ticket.problem).toEqual(expect.any(String));
    expect(ticket.from).toBeUndefined();
    expect(m.raw.objects.get(inbound('garbage01'))).toEqual(garbage);
    expect(m.operator.notices[0]?.text).toContain(`Note: ${ticket.problem ?? ''}.`);
  });

  it('an empty object: a ticket saying the message is empty', async () => {
    const m = memoryInboundDeps();
    await deliver(m, Buffer.alloc(0), { messageId: 'empty0001' });
    expect(ticketOf(m, 'empty0001')).toMatchObject({ problem: 'the message is empty', s3Key: inbound('empty0001'), subject: '(no subject)' });
  });

  it('a missing raw object: a ticket whose problem says so, from the event alone, never a throw', async () => {
    const m = memoryInboundDeps();
    const outcomes = await deliver(m, undefined, { messageId: 'missing01', verdicts: { spam: 'FAIL' } });
    const reference = ticketReference('missing01');
    expect(outcomes).toEqual([{ kind: 'ticket', reference, acknowledged: false }]);
    const ticket = ticketOf(m, 'missing01');
    expect(ticket).toMatchObject({
      problem: 'the raw message was not found at mail/inbound/missing01',
      sesMessageId: 'missing01',
      envelopeFrom: 'reader@example.org',
      subject: '(no subject)',
      flagged: true,
      quarantine: ['spam'],
    });
    expect(ticket.s3Key).toBeUndefined();
    // Nothing to move: no throw from the store.
    expect(m.raw.moves).toEqual([]);
    expect(m.operator.notices[0]?.text).toContain('Note: the raw message was not found at mail/inbound/missing01.');
    expect(m.operator.notices[0]?.text).toContain('from reader@example.org.');
  });

  it('a message whose headers could not be read is not acknowledged', async () => {
    const m = memoryInboundDeps();
    await deliver(m, undefined, { messageId: 'missing02' });
    await deliver(m, Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 73 + 11) % 256)), { messageId: 'garbage02', source: 'other@example.org' });
    expect(m.mail.sent).toEqual([]);
  });
});

describe('receiveMail: acknowledgements switched off', () => {
  it('a ticket and the operator’s notice, the acknowledgement skipped with its reason', async () => {
    const m = memoryInboundDeps({ settings: { acknowledge: false } });
    const outcomes = await deliver(m, plain(), { messageId: 'ackoff001' });
    expect(outcomes).toEqual([{ kind: 'ticket', reference: ticketReference('ackoff001'), acknowledged: false }]);
    expect(ticketOf(m, 'ackoff001').acknowledgement).toEqual({ state: 'skipped', reason: 'acknowledgements_off' });
    expect(m.mail.sent).toEqual([]);
    expect(m.acks.counts.size).toBe(0);
    expect(m.operator.notices).toHaveLength(1);
    expect(m.operator.notices[0]?.text).toContain('Acknowledgement: skipped (acknowledgements_off).');
  });

  it('quarantine still applies when acknowledgements are off', async () => {
    const m = memoryInboundDeps({ settings: { acknowledge: false } });
    await deliver(m, plain(), { messageId: 'ackoff002', verdicts: { virus: 'FAIL' } });
    expect(ticketOf(m, 'ackoff002')).toMatchObject({ flagged: true, quarantine: ['virus'], s3Key: 'mail/quarantine/ackoff002' });
  });
});
