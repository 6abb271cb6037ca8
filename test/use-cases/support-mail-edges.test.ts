import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, ValidationError } from '../../shared/domain/errors';
import { ticketReference } from '../../shared/domain/mail-rules';
import type { Ticket } from '../../shared/domain/tickets';
import { redact } from '../../shared/observability/redact';
import { receiveMail, sesEventSchema } from '../../shared/use-cases/inbound-mail';
import { replyToTicket, type ReplyDeps } from '../../shared/use-cases/support-tickets';
import { mailerOver, memoryInboundDeps, sesEvent, type MemoryInbound, type SesEventOptions } from '../support/memory-mail';

/** Edges of support mail found in review: a Message-ID that decodes to CR/LF, our mail coming back in a bounce or during a concurrent write, addresses in logs. */

const plain = (): Buffer => readFileSync(join(__dirname, '..', 'fixtures', 'mail', 'plain.eml'));

function withHeader(raw: Buffer, name: string, value: string): Buffer {
  const text = raw.toString('latin1');
  const line = new RegExp(`^${name}:.*\\r?\\n`, 'im');
  return Buffer.from(line.test(text) ? text.replace(line, `${name}: ${value}\r\n`) : `${name}: ${value}\r\n${text}`, 'latin1');
}

async function deliver(m: MemoryInbound, raw: Buffer, options: SesEventOptions) {
  m.raw.put(`mail/inbound/${options.messageId}`, raw);
  return receiveMail(m.deps, sesEventSchema.parse(sesEvent({ timestamp: m.clock.now().toISOString(), ...options })));
}

// An encoded word in Message-ID: postal-mime decodes it, so the stored messageId holds CR LF.
const crlfMessageId = `=?utf-8?B?${Buffer.from('<x\r\nBcc: victim@example.net>').toString('base64')}?=`;

describe('a Message-ID that decodes to CR/LF', () => {
  it('the acknowledgement ends terminal (not stuck `sending`) and the delivery does not throw', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    const raw = withHeader(plain(), 'Message-ID', crlfMessageId);
    const run = deliver(m, raw, { messageId: 'crlf0001' });
    await expect(run).resolves.toBeDefined();
    const ticket = m.tickets.ticket(ticketReference('crlf0001'));
    expect(['sent', 'skipped']).toContain(ticket?.acknowledgement.state);
  });

  it('the operator can reply to such a ticket; a refused reply changes nothing', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    const raw = withHeader(plain(), 'Message-ID', crlfMessageId);
    await deliver(m, raw, { messageId: 'crlf0002' }).catch(() => undefined);
    const reference = ticketReference('crlf0002');
    const before = m.tickets.ticket(reference) as Ticket;
    // A Message-ID that is not `<left@right>` once decoded is not kept: nothing can thread on it.
    expect(before.messageId).toBeUndefined();
    const { mailer } = mailerOver(m.clock);
    const deps: ReplyDeps = {
      clock: m.clock,
      tickets: Object.assign(m.tickets, { list: () => Promise.resolve({ items: [] }) }),
      send: (mail) => mailer.send({ ...mail, autoSubmitted: 'no' }),
    };
    let outcome: unknown;
    try {
      outcome = await replyToTicket(deps, { reference, version: before.version, message: 'Hello' });
    } catch (error) {
      outcome = error;
    }
    const after = m.tickets.ticket(reference) as Ticket;
    expect(outcome).not.toBeInstanceOf(ValidationError);
    expect(after.replies.filter((r) => r.state === 'failed')).toHaveLength(0);
  });
});

describe('our own mail coming back', () => {
  it('a concurrent ticket write does not lose the `returned` link', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    await deliver(m, plain(), { messageId: 'race0001' });
    const reference = ticketReference('race0001');
    const [ack] = m.mail.sent;
    if (ack?.raw === undefined) throw new Error('no acknowledgement');
    // The operator closes the ticket between the inbound function's read and its write.
    const tickets = m.tickets;
    const original = tickets.update.bind(tickets);
    let once = true;
    tickets.update = async (ticket, changes) => {
      if (once && changes.returned !== undefined) {
        once = false;
        const fresh = await tickets.get(ticket.reference);
        if (fresh !== undefined) await original(fresh, { status: 'closed', closedAt: m.clock.now().toISOString() });
      }
      return original(ticket, changes);
    };
    const outcomes = await deliver(m, ack.raw, { messageId: 'race0002' });
    expect(outcomes).toEqual([{ kind: 'returned', linkedTo: reference }]);
    expect(m.tickets.ticket(reference)?.returned ?? []).toHaveLength(1);
  });

  it('a bounce (DSN) of our acknowledgement is linked, not a new ticket with a new operator notice (docs/support-mail.md "Our own mail coming back")', async () => {
    const m = memoryInboundDeps({ realMailer: true });
    await deliver(m, plain(), { messageId: 'dsn0001' });
    const [ack] = m.mail.sent;
    if (ack?.raw === undefined) throw new Error('no acknowledgement');
    const dsn = Buffer.from(
      [
        'From: Mail Delivery Subsystem <MAILER-DAEMON@example.org>',
        'To: info@ecooffice.net',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn-1@example.org>',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'Delivery failed.',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Final-Recipient: rfc822; reader@example.org',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--b1',
        'Content-Type: message/rfc822',
        '',
        ack.raw.toString('utf8'),
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const noticesBefore = m.operator.notices.length;
    const outcomes = await deliver(m, dsn, { messageId: 'dsn0002', source: '' });
    expect(outcomes[0]?.kind).toBe('returned');
    expect(m.operator.notices.length).toBe(noticesBefore);
  });
});

describe('logs', () => {
  it('a refused reply logged as `dependency failed` does not carry the requester address (SES sandbox MessageRejected text)', () => {
    const ses = Object.assign(new Error('Email address is not verified. The following identities failed the check in region EU-WEST-1: reader@example.org'), { name: 'MessageRejected' });
    const error = new AppError('dependency_failed', 'SES did not accept the reply; it was not sent (the ticket shows it as failed)', { cause: ses });
    // What errorResponse passes to logger.warn('dependency failed', { …, error }).
    expect(JSON.stringify(redact({ error }))).not.toContain('reader@example.org');
  });
});
