import { parseMail } from '../../shared/adapters/mime-parser';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors';
import type { Ticket } from '../../shared/domain/tickets';
import {
  MAX_TEXT_CHARACTERS,
  closeTicket,
  getTicketDetail,
  listTickets,
  replyAddress,
  replyToTicket,
  type ReplyDeps,
  type TicketReadDeps,
  type TicketWriter,
} from '../../shared/use-cases/support-tickets';
import { FakeClock } from '../support/fake-clock';
import { MemoryRawStore, MemoryTickets } from '../support/memory-mail';
import { io } from '../support/memory-stores';

/**
 * The operator's side of support tickets (shared/use-cases/support-tickets.ts) over in-memory ports:
 * the tickets of ../support/memory-mail.ts (conditional writes at the version read) with a listing
 * added here, a raw store, the real MIME parser, and a send port that records every mail. Every
 * store call and send is logged in one list, so a test can check what happened before what.
 */

const REF = 'MDZ-7KQ2M9XHTA';
const ORIGINAL_ID = '<question-1@example.org>';
const START = '2026-07-01T10:00:00.000Z';

type Step = { kind: 'update'; changes: Partial<Ticket> } | { kind: 'remember'; messageId: string; reference: string } | { kind: 'send'; replyStateAtSend: string | undefined };

/** MemoryTickets with the listing the operator's ports need (newest received first, an index cursor), and a log of writes. */
class ListedTickets extends MemoryTickets implements TicketWriter {
  readonly steps: Step[] = [];
  readonly listCalls: Array<{ status: Ticket['status']; limit: number; cursor?: string }> = [];

  list(status: Ticket['status'], options: { limit: number; cursor?: string }): Promise<{ items: Ticket[]; cursor?: string }> {
    return io(() => {
      this.listCalls.push({ status, ...options });
      const all = this.all()
        .filter((t) => t.status === status)
        .sort((a, b) => `${b.receivedAt}#${b.reference}`.localeCompare(`${a.receivedAt}#${a.reference}`));
      const start = options.cursor === undefined ? 0 : Number(options.cursor);
      const items = all.slice(start, start + options.limit);
      const next = start + options.limit;
      return next < all.length ? { items, cursor: String(next) } : { items };
    });
  }

  override async update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket> {
    const updated = await super.update(ticket, changes);
    this.steps.push({ kind: 'update', changes: structuredClone(changes) });
    return updated;
  }

  override async rememberSent(messageId: string, reference: string): Promise<void> {
    await super.rememberSent(messageId, reference);
    this.steps.push({ kind: 'remember', messageId, reference });
  }
}

type Mail = Parameters<ReplyDeps['send']>[0];

interface Scene {
  clock: FakeClock;
  tickets: ListedTickets;
  raw: MemoryRawStore;
  sent: Mail[];
  deps: ReplyDeps;
  readDeps: TicketReadDeps;
  /** Makes the next send fail with `error` (SES refused it), nothing sent. */
  failNextSend(error?: Error): void;
  /** Runs `during` inside the next send (before it answers), to change the ticket meanwhile. */
  duringNextSend(during: () => Promise<void>): void;
}

function scene(): Scene {
  const clock = new FakeClock(START);
  const tickets = new ListedTickets(clock);
  const raw = new MemoryRawStore();
  const sent: Mail[] = [];
  let failure: Error | undefined;
  let during: (() => Promise<void>) | undefined;
  const deps: ReplyDeps = {
    clock,
    tickets,
    send: async (mail) => {
      const stored = tickets.ticket(REF) ?? [...tickets.tickets.values()][0];
      tickets.steps.push({ kind: 'send', replyStateAtSend: stored?.replies.at(-1)?.state });
      const hook = during;
      during = undefined;
      if (hook !== undefined) await hook();
      const error = failure;
      failure = undefined;
      if (error !== undefined) {
        return io(() => {
          throw error;
        });
      }
      clock.advance(1000);
      sent.push(structuredClone(mail));
      return io(() => ({ messageId: `<reply-${String(sent.length)}@ecooffice.net>` }));
    },
  };
  return {
    clock,
    tickets,
    raw,
    sent,
    deps,
    readDeps: { tickets, readRaw: (key) => raw.read(key), parse: parseMail },
    failNextSend: (error = new Error('simulated SES failure')) => {
      failure = error;
    },
    duringNextSend: (hook) => {
      during = hook;
    },
  };
}

/** A ticket as inbound mail leaves it: acknowledged to the SPF-authenticated envelope sender. */
function ticketOf(overrides: Partial<Ticket> = {}): Ticket {
  return {
    reference: REF,
    source: 'mail',
    status: 'open',
    flagged: false,
    sesMessageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
    messageId: ORIGINAL_ID,
    envelopeFrom: 'reader@example.org',
    from: { address: 'reader@example.org', name: 'Reader Example' },
    subject: 'Question about my Pins',
    receivedAt: START,
    snippet: 'Hello, how do I connect my account?',
    attachments: [],
    s3Key: 'mail/inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
    verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
    acknowledgement: { state: 'sent', to: 'reader@example.org', messageId: '<ack-1@ecooffice.net>', at: START },
    operatorNotifiedAt: START,
    replies: [],
    version: 3,
    createdAt: START,
    updatedAt: START,
    ...overrides,
  };
}

/** Stores the ticket as it is (its version included), as the scene before the operator acts. */
async function given(s: Scene, ticket: Ticket): Promise<Ticket> {
  await s.tickets.create(ticket);
  return s.tickets.ticket(ticket.reference) ?? ticket;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const reply = (version = 3, extra: { message?: string; subject?: string } = {}) => ({ reference: REF, version, message: 'Hello,\nyou connect it from the account page.', ...extra });

describe('replyAddress: who a reply goes to', () => {
  it('is the address the acknowledgement went to (authenticated), before any other', () => {
    const ticket = ticketOf({ acknowledgement: { state: 'sent', to: 'ack-target@example.org' }, envelopeFrom: 'bounce@lists.example.org', verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' } });
    expect(replyAddress(ticket)).toEqual({ address: 'ack-target@example.org', authenticated: true });
  });

  it('falls back to the SPF-passing envelope sender (angle brackets and case dropped)', () => {
    const ticket = ticketOf({
      acknowledgement: { state: 'skipped', reason: 'mailing_list' },
      envelopeFrom: '<Envelope.Sender@Example.org>',
      from: { address: 'someone-else@example.org', name: '' },
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'FAIL', dmarc: 'FAIL' },
    });
    expect(replyAddress(ticket)).toEqual({ address: 'envelope.sender@example.org', authenticated: true });
  });

  it('falls back to the DMARC-passing From when SPF did not pass', () => {
    const ticket = ticketOf({
      acknowledgement: { state: 'skipped', reason: 'bulk' },
      envelopeFrom: 'bounces+123@mailer.example.net',
      from: { address: 'Writer@Example.org', name: 'Writer' },
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'PASS', dmarc: 'PASS' },
    });
    expect(replyAddress(ticket)).toEqual({ address: 'writer@example.org', authenticated: true });
  });

  it('takes the From address, marked not authenticated, when neither SPF nor DMARC passed', () => {
    const ticket = ticketOf({
      acknowledgement: { state: 'skipped', reason: 'unauthenticated' },
      envelopeFrom: 'envelope@example.net',
      from: { address: 'maybe-forged@example.org', name: '' },
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' },
    });
    expect(replyAddress(ticket)).toEqual({ address: 'maybe-forged@example.org', authenticated: false });
  });

  it('takes the envelope sender, not authenticated, when there is no usable From; nothing when there is neither', () => {
    const unauthenticated = { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'FAIL', dmarc: 'FAIL' } as const;
    const noFrom = ticketOf({ acknowledgement: { state: 'skipped', reason: 'unauthenticated' }, from: undefined, envelopeFrom: 'envelope@example.net', verdicts: unauthenticated });
    expect(replyAddress(noFrom)).toEqual({ address: 'envelope@example.net', authenticated: false });
    const badFrom = ticketOf({ acknowledgement: { state: 'skipped', reason: 'unauthenticated' }, from: { address: 'not an address', name: '' }, envelopeFrom: 'envelope@example.net', verdicts: unauthenticated });
    expect(replyAddress(badFrom)).toEqual({ address: 'envelope@example.net', authenticated: false });
    const nothing = ticketOf({ acknowledgement: { state: 'skipped', reason: 'bounce' }, from: undefined, envelopeFrom: '', verdicts: unauthenticated });
    expect(replyAddress(nothing)).toBeUndefined();
  });

  it('does not trust an SPF pass for a From address, nor a DMARC pass for an envelope sender', () => {
    const spfOnlyNoEnvelope = ticketOf({ acknowledgement: { state: 'skipped', reason: 'bounce' }, envelopeFrom: '', from: { address: 'from@example.org', name: '' }, verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'FAIL', dmarc: 'FAIL' } });
    expect(replyAddress(spfOnlyNoEnvelope)).toEqual({ address: 'from@example.org', authenticated: false });
    const dmarcOnlyNoFrom = ticketOf({ acknowledgement: { state: 'skipped', reason: 'unauthenticated' }, envelopeFrom: 'env@example.org', from: undefined, verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'PASS', dmarc: 'PASS' } });
    expect(replyAddress(dmarcOnlyNoFrom)).toEqual({ address: 'env@example.org', authenticated: false });
  });
});

describe('replyToTicket: sending', () => {
  it('sends to the authenticated address, threaded, and records the reply sending → sent with its Message-ID, which is remembered', async () => {
    const s = scene();
    await given(s, ticketOf());
    const result = await replyToTicket(s.deps, reply());

    expect(s.sent).toEqual([
      {
        to: ['reader@example.org'],
        subject: `Re: Question about my Pins [${REF}]`,
        text: 'Hello,\nyou connect it from the account page.',
        inReplyTo: ORIGINAL_ID,
        references: [ORIGINAL_ID],
      },
    ]);
    // The claim (a conditional write at the version read) comes before the send; then remembered, then settled.
    expect(s.tickets.steps.map((step) => step.kind)).toEqual(['update', 'send', 'remember', 'update']);
    const [claim, send, remember, settle] = s.tickets.steps;
    expect(claim).toMatchObject({ kind: 'update', changes: { replies: [{ state: 'sending', to: 'reader@example.org' }] } });
    expect(send).toEqual({ kind: 'send', replyStateAtSend: 'sending' });
    expect(remember).toEqual({ kind: 'remember', messageId: '<reply-1@ecooffice.net>', reference: REF });
    expect(settle).toMatchObject({ kind: 'update', changes: { replies: [{ state: 'sent', messageId: '<reply-1@ecooffice.net>' }] } });

    const stored = s.tickets.ticket(REF);
    expect(result).toEqual(stored);
    expect(stored?.version).toBe(5);
    expect(stored?.replies).toEqual([
      {
        id: expect.any(String) as unknown,
        at: START,
        to: 'reader@example.org',
        subject: `Re: Question about my Pins [${REF}]`,
        text: 'Hello,\nyou connect it from the account page.',
        state: 'sent',
        messageId: '<reply-1@ecooffice.net>',
        sentAt: '2026-07-01T10:00:01.000Z',
      },
    ]);
    expect(s.tickets.sentIndex.get('<reply-1@ecooffice.net>')).toBe(REF);
  });

  it('answers an unauthenticated From too (the operator was told it is not authenticated)', async () => {
    const s = scene();
    await given(s, ticketOf({ acknowledgement: { state: 'skipped', reason: 'unauthenticated' }, envelopeFrom: 'env@example.net', from: { address: 'writer@example.org', name: '' }, verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' } }));
    const detail = await getTicketDetail(s.readDeps, REF);
    expect(detail.replyTo).toEqual({ address: 'writer@example.org', authenticated: false });
    await replyToTicket(s.deps, reply());
    expect(s.sent.map((m) => m.to)).toEqual([['writer@example.org']]);
  });

  it('goes to the SPF-passing envelope sender, or the DMARC-passing From, when there was no acknowledgement', async () => {
    const spf = scene();
    await given(spf, ticketOf({ acknowledgement: { state: 'skipped', reason: 'acknowledgements_off' }, envelopeFrom: '<Env@Example.org>', from: { address: 'other@example.org', name: '' } }));
    await replyToTicket(spf.deps, reply());
    expect(spf.sent.map((m) => m.to)).toEqual([['env@example.org']]);

    const dmarc = scene();
    await given(dmarc, ticketOf({ acknowledgement: { state: 'skipped', reason: 'bulk' }, envelopeFrom: 'bounce@mailer.example.net', from: { address: 'writer@example.org', name: '' }, verdicts: { spam: 'PASS', virus: 'PASS', spf: 'FAIL', dkim: 'PASS', dmarc: 'PASS' } }));
    await replyToTicket(dmarc.deps, reply());
    expect(dmarc.sent.map((m) => m.to)).toEqual([['writer@example.org']]);
  });

  it('threads a later reply under the original and every earlier reply that went out (References), In-Reply-To the original', async () => {
    const s = scene();
    const earlier = [
      { id: 'r1', at: START, to: 'reader@example.org', subject: 's', text: 't', state: 'sent' as const, messageId: '<reply-a@ecooffice.net>', sentAt: START },
      { id: 'r2', at: START, to: 'reader@example.org', subject: 's', text: 't', state: 'failed' as const },
      { id: 'r3', at: START, to: 'reader@example.org', subject: 's', text: 't', state: 'sent' as const, messageId: '<reply-b@ecooffice.net>', sentAt: START },
    ];
    await given(s, ticketOf({ replies: earlier }));
    const result = await replyToTicket(s.deps, reply());
    expect(s.sent[0]).toMatchObject({ inReplyTo: ORIGINAL_ID, references: [ORIGINAL_ID, '<reply-a@ecooffice.net>', '<reply-b@ecooffice.net>'] });
    expect(result.replies.map((r) => r.state)).toEqual(['sent', 'failed', 'sent', 'sent']);
  });

  it('sends without In-Reply-To when the original had no Message-ID (References only from earlier replies)', async () => {
    const s = scene();
    await given(s, ticketOf({ messageId: undefined }));
    await replyToTicket(s.deps, reply());
    expect(s.sent[0]).not.toHaveProperty('inReplyTo');
    expect(s.sent[0]).not.toHaveProperty('references');

    const again = scene();
    await given(again, ticketOf({ messageId: undefined, replies: [{ id: 'r1', at: START, to: 'reader@example.org', subject: 's', text: 't', state: 'sent', messageId: '<reply-a@ecooffice.net>' }] }));
    await replyToTicket(again.deps, reply());
    expect(again.sent[0]).not.toHaveProperty('inReplyTo');
    expect(again.sent[0]?.references).toEqual(['<reply-a@ecooffice.net>']);
  });

  it('settles the reply on a ticket that changed while SES was sending (re-read, then recorded sent)', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.duringNextSend(async () => {
      const current = s.tickets.ticket(REF);
      if (current === undefined) throw new Error('no ticket');
      await s.tickets.update(current, { returned: [{ at: START, sesMessageId: 'elsewhere', s3Key: 'mail/inbound/elsewhere' }] });
    });
    const result = await replyToTicket(s.deps, reply());
    expect(result.replies.map((r) => r.state)).toEqual(['sent']);
    expect(result.returned).toHaveLength(1);
    expect(s.sent).toHaveLength(1);
  });
});

describe('replyToTicket: refusals send nothing', () => {
  it('refuses a version that is not the current one (ConflictError), writing and sending nothing', async () => {
    const s = scene();
    await given(s, ticketOf());
    for (const version of [2, 4]) {
      const error = await rejection(replyToTicket(s.deps, reply(version)));
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).message).toContain('version');
    }
    expect(s.sent).toEqual([]);
    expect(s.tickets.steps).toEqual([]);
    expect(s.tickets.ticket(REF)?.version).toBe(3);
  });

  it('refuses a second reply at the version the first was sent at (a retried request sends once)', async () => {
    const s = scene();
    await given(s, ticketOf());
    await replyToTicket(s.deps, reply());
    const error = await rejection(replyToTicket(s.deps, reply()));
    expect(error).toBeInstanceOf(ConflictError);
    expect(s.sent).toHaveLength(1);
  });

  it('refuses a closed ticket (ConflictError, currentState closed)', async () => {
    const s = scene();
    await given(s, ticketOf({ status: 'closed', closedAt: START }));
    const error = await rejection(replyToTicket(s.deps, reply()));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toEqual({ currentState: 'closed' });
    expect(s.sent).toEqual([]);
    expect(s.tickets.steps).toEqual([]);
  });

  it('refuses a quarantined ticket (its sender may be forged), sending nothing', async () => {
    const s = scene();
    await given(s, ticketOf({ flagged: true, quarantine: ['spam', 'dmarc_reject'], acknowledgement: { state: 'skipped', reason: 'quarantined' }, s3Key: 'mail/quarantine/x' }));
    const error = await rejection(replyToTicket(s.deps, reply()));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('spam, dmarc_reject');
    expect((error as ConflictError).details).toEqual({ currentState: 'quarantined' });
    expect(s.sent).toEqual([]);
    expect(s.tickets.steps).toEqual([]);
  });

  it('refuses a ticket with no address to reply to', async () => {
    const s = scene();
    await given(s, ticketOf({ acknowledgement: { state: 'skipped', reason: 'bounce' }, from: undefined, envelopeFrom: '' }));
    const error = await rejection(replyToTicket(s.deps, reply()));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('no address');
    expect(s.sent).toEqual([]);
    expect(s.tickets.steps).toEqual([]);
  });

  it('answers NotFoundError for an unknown ticket', async () => {
    const s = scene();
    expect(await rejection(replyToTicket(s.deps, reply()))).toBeInstanceOf(NotFoundError);
    expect(s.sent).toEqual([]);
  });

  it.each([
    ['CR LF', 'Hi\r\nBcc: victim@example.net'],
    ['LF', 'Hi\nBcc: victim@example.net'],
    ['CR', 'Hi\rBcc: victim@example.net'],
  ])('refuses a custom subject with %s (ValidationError naming body.subject), writing and sending nothing', async (_case, subject) => {
    const s = scene();
    await given(s, ticketOf());
    const error = await rejection(replyToTicket(s.deps, reply(3, { subject })));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'body.subject', message: 'contains CR or LF' }]);
    expect(s.sent).toEqual([]);
    expect(s.tickets.steps).toEqual([]);
    expect(s.tickets.ticket(REF)).toEqual(ticketOf());
  });
});

describe('replyToTicket: when SES refuses', () => {
  it('records the reply failed, throws dependency_failed, and remembers nothing', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.failNextSend();
    const error = await rejection(replyToTicket(s.deps, reply()));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('dependency_failed');
    expect((error as AppError).message).toContain('not sent');
    expect(s.tickets.steps.map((step) => step.kind)).toEqual(['update', 'send', 'update']);
    const stored = s.tickets.ticket(REF);
    expect(stored?.replies).toEqual([expect.objectContaining({ state: 'failed', to: 'reader@example.org' })]);
    expect(stored?.replies[0]).not.toHaveProperty('messageId');
    expect(s.tickets.sentIndex.size).toBe(0);
    expect(s.sent).toEqual([]);
  });

  it('passes a ValidationError of the mailer through as it is (the reply still recorded failed)', async () => {
    const s = scene();
    await given(s, ticketOf());
    const refused = new ValidationError('to[0] must not contain line breaks', [{ path: 'to[0]', message: 'contains CR or LF' }]);
    s.failNextSend(refused);
    expect(await rejection(replyToTicket(s.deps, reply()))).toBe(refused);
    expect(s.tickets.ticket(REF)?.replies.map((r) => r.state)).toEqual(['failed']);
    expect(s.tickets.sentIndex.size).toBe(0);
  });

  it('lets the operator send again after a failure, at the version the failure left', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.failNextSend();
    await rejection(replyToTicket(s.deps, reply()));
    const after = s.tickets.ticket(REF);
    expect(after?.version).toBe(5);
    const result = await replyToTicket(s.deps, reply(5));
    expect(result.replies.map((r) => r.state)).toEqual(['failed', 'sent']);
    expect(s.sent).toHaveLength(1);
    // The failed reply has no Message-ID: References hold the original only.
    expect(s.sent[0]?.references).toEqual([ORIGINAL_ID]);
  });
});

describe('replyToTicket: the subject', () => {
  it('defaults to "Re: <subject> [<reference>]", without a second "Re:"', async () => {
    for (const [subject, expected] of [
      ['Question about my Pins', `Re: Question about my Pins [${REF}]`],
      ['Re: Question about my Pins', `Re: Question about my Pins [${REF}]`],
      ['RE: shouting', `RE: shouting [${REF}]`],
      ['re:lower', `re:lower [${REF}]`],
      ['Regarding my account', `Re: Regarding my account [${REF}]`],
    ] as const) {
      const s = scene();
      await given(s, ticketOf({ subject }));
      await replyToTicket(s.deps, reply());
      expect(s.sent[0]?.subject).toBe(expected);
    }
  });

  it('folds line breaks of a stored subject into spaces (the default is never refused)', async () => {
    const s = scene();
    await given(s, ticketOf({ subject: 'Two\r\nlines' }));
    await replyToTicket(s.deps, reply());
    expect(s.sent[0]?.subject).toBe(`Re: Two lines [${REF}]`);
  });

  it('appends the reference to a custom subject, unless it already holds it', async () => {
    const s = scene();
    await given(s, ticketOf());
    await replyToTicket(s.deps, reply(3, { subject: 'Your account' }));
    expect(s.sent[0]?.subject).toBe(`Your account [${REF}]`);
    await replyToTicket(s.deps, reply(5, { subject: `About ${REF}, again` }));
    expect(s.sent[1]?.subject).toBe(`About ${REF}, again`);
    expect(s.tickets.ticket(REF)?.replies.map((r) => r.subject)).toEqual([`Your account [${REF}]`, `About ${REF}, again`]);
  });

  // The reference is quoted in every mail about a ticket: a long original subject (inbound keeps up
  // to 300 characters) is shortened before the reference is appended, never the reference cut off.
  it('keeps the reference in the default subject of a long original subject', async () => {
    const s = scene();
    await given(s, ticketOf({ subject: `${'x'.repeat(299)}…` }));
    await replyToTicket(s.deps, reply());
    const subject = s.sent[0]?.subject ?? '';
    expect(subject.length).toBeLessThanOrEqual(250);
    expect(subject.endsWith(`[${REF}]`)).toBe(true);
  });
});

describe('closeTicket', () => {
  it('closes an open ticket, setting closedAt; closing it again answers it unchanged (no write)', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.clock.set('2026-07-02T08:30:00.000Z');
    const closed = await closeTicket(s.deps, REF);
    expect(closed).toMatchObject({ status: 'closed', closedAt: '2026-07-02T08:30:00.000Z', version: 4 });
    expect(s.tickets.steps).toHaveLength(1);

    s.clock.advance(3_600_000);
    const again = await closeTicket(s.deps, REF);
    expect(again).toEqual(closed);
    expect(s.tickets.steps).toHaveLength(1);
    expect(s.tickets.ticket(REF)).toEqual(closed);
  });

  it('answers NotFoundError for an unknown ticket', async () => {
    const s = scene();
    expect(await rejection(closeTicket(s.deps, REF))).toBeInstanceOf(NotFoundError);
  });

  it('reads again and closes when another write got in between', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.tickets.failUpdateOnce((changes) => changes.status === 'closed', new ConflictError('The ticket changed since it was read'));
    const closed = await closeTicket(s.deps, REF);
    expect(closed.status).toBe('closed');
  });

  it('gives up after repeated conflicts, with the ConflictError', async () => {
    const s = scene();
    await given(s, ticketOf());
    const conflict = new ConflictError('always changed');
    let failures = 0;
    const tickets = s.tickets;
    const flaky: TicketWriter = {
      get: (reference) => tickets.get(reference),
      list: (status, options) => tickets.list(status, options),
      rememberSent: (messageId, reference) => tickets.rememberSent(messageId, reference),
      update: () => {
        failures += 1;
        return Promise.reject(conflict);
      },
    };
    expect(await rejection(closeTicket({ tickets: flaky, clock: s.clock }, REF))).toBe(conflict);
    expect(failures).toBe(4);
    expect(tickets.ticket(REF)?.status).toBe('open');
  });
});

describe('listTickets', () => {
  it('passes the status and page through and shows summaries (no text, no replies), with the cursor when there is more', async () => {
    const s = scene();
    const at = (minutes: number) => new Date(Date.parse(START) + minutes * 60_000).toISOString();
    await given(s, ticketOf({ reference: 'MDZ-AAAAAAAAA2', receivedAt: at(1) }));
    await given(
      s,
      ticketOf({
        reference: 'MDZ-AAAAAAAAA3',
        receivedAt: at(2),
        attachments: [{ filename: 'a.pdf', contentType: 'application/pdf', size: 10 }],
        replies: [{ id: 'r', at: START, to: 'reader@example.org', subject: 's', text: 'private text', state: 'sent', messageId: '<r@x>' }],
        problem: 'the message seems truncated',
      }),
    );
    await given(s, ticketOf({ reference: 'MDZ-AAAAAAAAA4', receivedAt: at(3), status: 'closed', closedAt: at(4) }));
    await given(s, ticketOf({ reference: 'MDZ-AAAAAAAAA5', receivedAt: at(0), flagged: true, quarantine: ['virus'], acknowledgement: { state: 'skipped', reason: 'quarantined' } }));

    const first = await listTickets({ tickets: s.tickets }, 'open', { limit: 2 });
    expect(s.tickets.listCalls).toEqual([{ status: 'open', limit: 2 }]);
    expect(first.items.map((t) => t.reference)).toEqual(['MDZ-AAAAAAAAA3', 'MDZ-AAAAAAAAA2']);
    expect(first.items[0]).toEqual({
      reference: 'MDZ-AAAAAAAAA3',
      source: 'mail',
      status: 'open',
      flagged: false,
      from: 'reader@example.org',
      envelopeFrom: 'reader@example.org',
      subject: 'Question about my Pins',
      receivedAt: at(2),
      snippet: 'Hello, how do I connect my account?',
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      problem: 'the message seems truncated',
      acknowledgement: 'sent',
      attachments: 1,
      replies: 1,
      version: 3,
    });
    expect(JSON.stringify(first)).not.toContain('private text');
    expect(first.cursor).toBe('2');

    const second = await listTickets({ tickets: s.tickets }, 'open', { limit: 2, cursor: first.cursor ?? '' });
    expect(s.tickets.listCalls[1]).toEqual({ status: 'open', limit: 2, cursor: '2' });
    expect(second).not.toHaveProperty('cursor');
    expect(second.items).toEqual([expect.objectContaining({ reference: 'MDZ-AAAAAAAAA5', flagged: true, quarantine: ['virus'], acknowledgement: 'skipped' })]);

    const closed = await listTickets({ tickets: s.tickets }, 'closed', { limit: 25 });
    expect(closed.items.map((t) => t.reference)).toEqual(['MDZ-AAAAAAAAA4']);
  });
});

describe('getTicketDetail', () => {
  const rawMessage = (body: string) =>
    Buffer.from(
      [
        'Received: from mx.example.org (mx.example.org [192.0.2.1]) by inbound-smtp.eu-west-1.amazonaws.com',
        'Return-Path: <reader@example.org>',
        'From: Reader Example <reader@example.org>',
        'Reply-To: reader+replies@example.org',
        'To: info@ecooffice.net',
        'Cc: friend@example.org',
        'Subject: Question about my Pins',
        `Message-ID: ${ORIGINAL_ID}`,
        'Date: Tue, 01 Dec 2026 10:00:00 +0000',
        'X-Internal-Secret: do-not-show',
        'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; b=abc',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        body,
      ].join('\r\n'),
      'utf8',
    );

  it('shows the listed headers only, in their order, and the full text read from the raw message', async () => {
    const s = scene();
    const long = `Hello,\n\n${'I have a long question about my Pins. '.repeat(40)}\nThanks 🙂`;
    await given(s, ticketOf());
    s.raw.put('mail/inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', rawMessage(long));
    const detail = await getTicketDetail(s.readDeps, REF);
    expect(detail.raw).toBe('read');
    expect(Object.keys(detail.headers)).toEqual(['from', 'reply-to', 'to', 'cc', 'subject', 'date', 'message-id', 'return-path', 'content-type']);
    expect(detail.headers).toMatchObject({ from: 'Reader Example <reader@example.org>', subject: 'Question about my Pins', 'message-id': ORIGINAL_ID, cc: 'friend@example.org' });
    expect(JSON.stringify(detail.headers)).not.toContain('do-not-show');
    expect(detail.headers).not.toHaveProperty('received');
    expect(detail.headers).not.toHaveProperty('dkim-signature');
    expect(detail.text.trim()).toBe(long);
    expect(detail.text.length).toBeGreaterThan(500);
    expect(detail.textTruncated).toBe(false);
    expect(detail.ticket).toEqual(s.tickets.ticket(REF));
    expect(detail.replyTo).toEqual({ address: 'reader@example.org', authenticated: true });
    expect(s.raw.reads).toEqual(['mail/inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1']);
  });

  it('cuts a header value to 2000 characters', async () => {
    const s = scene();
    await given(s, ticketOf());
    const raw = rawMessage('body').toString('utf8').replace('Subject: Question about my Pins', `Subject: ${'s'.repeat(3000)}`);
    s.raw.put('mail/inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', Buffer.from(raw, 'utf8'));
    const detail = await getTicketDetail(s.readDeps, REF);
    expect(detail.headers.subject).toBe('s'.repeat(2000));
  });

  it("says `gone` when the raw message is missing, showing the ticket's snippet and no headers", async () => {
    const s = scene();
    await given(s, ticketOf());
    const detail = await getTicketDetail(s.readDeps, REF);
    expect(detail).toMatchObject({ raw: 'gone', headers: {}, text: 'Hello, how do I connect my account?', textTruncated: false });
  });

  it('says `none` when the ticket has no raw message at all (a form request), without reading the store', async () => {
    const s = scene();
    await given(s, ticketOf({ source: 'form', s3Key: undefined, sesMessageId: undefined, messageId: undefined }));
    const detail = await getTicketDetail(s.readDeps, REF);
    expect(detail).toMatchObject({ raw: 'none', headers: {}, text: 'Hello, how do I connect my account?', textTruncated: false });
    expect(s.raw.reads).toEqual([]);
  });

  it('truncates a text of more than MAX_TEXT_CHARACTERS characters (code points, not UTF-16 units) and says so', async () => {
    const s = scene();
    await given(s, ticketOf());
    s.raw.put('mail/inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', Buffer.from('stub'));
    let text = '';
    const deps: TicketReadDeps = { ...s.readDeps, parse: () => Promise.resolve({ text, attachments: [], headers: { subject: 'big' } }) };

    text = '🙂'.repeat(MAX_TEXT_CHARACTERS);
    const exact = await getTicketDetail(deps, REF);
    expect(exact.textTruncated).toBe(false);
    expect(exact.text).toBe(text);

    text = `${'🙂'.repeat(MAX_TEXT_CHARACTERS)}tail`;
    const over = await getTicketDetail(deps, REF);
    expect(over.textTruncated).toBe(true);
    expect(Array.from(over.text)).toHaveLength(MAX_TEXT_CHARACTERS);
    expect(over.text).toBe('🙂'.repeat(MAX_TEXT_CHARACTERS));
    expect(over.headers).toEqual({ subject: 'big' });
  });

  it('answers NotFoundError for an unknown ticket', async () => {
    const s = scene();
    expect(await rejection(getTicketDetail(s.readDeps, REF))).toBeInstanceOf(NotFoundError);
  });
});
