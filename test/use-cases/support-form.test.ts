import { ticketReference } from '../../shared/domain/mail-rules';
import { supportTopics, topicLabels, type SupportRequest, type SupportTopic } from '../../shared/domain/support-form';
import type { Ticket } from '../../shared/domain/tickets';
import { ignoreRobot, submitSupportRequest, type SupportFormDeps } from '../../shared/use-cases/support-form';
import { FakeClock } from '../support/fake-clock';
import { MemoryTickets } from '../support/memory-mail';
import { io } from '../support/memory-stores';

/**
 * The support form's use case (shared/use-cases/support-form.ts) over in-memory ports: the tickets of
 * ../support/memory-mail.ts (created only when absent, updated only at the version read), a forward
 * port that records what it was asked to send (and can fail like SES), and a recording `warn`. Every
 * store write, sent-mail index entry and send is logged in one list, so a test can check what
 * happened before what.
 */

const START = '2026-07-01T10:00:00.000Z';
const REFERENCE_SHAPE = /^MDZ-[A-HJ-NP-Z2-9]{10}$/;

type Step =
  | { kind: 'create'; reference: string; forwarded: Ticket['forwarded'] }
  | { kind: 'update'; reference: string; changes: Partial<Ticket> }
  | { kind: 'remember'; messageId: string; reference: string }
  | { kind: 'send'; storedForwardState: string | undefined };

/** MemoryTickets that logs every write (after it landed) into a shared list of steps. */
class LoggedTickets extends MemoryTickets {
  constructor(
    clock: FakeClock,
    private readonly steps: Step[],
  ) {
    super(clock);
  }

  override async create(ticket: Ticket): Promise<void> {
    await super.create(ticket);
    this.steps.push({ kind: 'create', reference: ticket.reference, forwarded: structuredClone(ticket.forwarded) });
  }

  override async update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket> {
    const updated = await super.update(ticket, changes);
    this.steps.push({ kind: 'update', reference: ticket.reference, changes: structuredClone(changes) });
    return updated;
  }

  override async rememberSent(messageId: string, reference: string): Promise<void> {
    await super.rememberSent(messageId, reference);
    this.steps.push({ kind: 'remember', messageId, reference });
  }
}

interface Forwarded {
  subject: string;
  text: string;
  replyTo: string;
}

interface Scene {
  deps: SupportFormDeps;
  clock: FakeClock;
  tickets: LoggedTickets;
  steps: Step[];
  forwarded: Forwarded[];
  warnings: Array<{ message: string; facts: Record<string, unknown> }>;
  /** Makes the next forward fail (SES refused it, or the call was lost) before anything is sent. */
  failNextForward(error?: Error): void;
  /** Runs `during` inside the next forward, after the mail is recorded as sent (another writer meanwhile). */
  duringNextForward(during: () => Promise<void>): void;
  ids: string[];
}

function scene(): Scene {
  const clock = new FakeClock(START);
  const steps: Step[] = [];
  const tickets = new LoggedTickets(clock, steps);
  const forwarded: Forwarded[] = [];
  const warnings: Scene['warnings'] = [];
  const ids: string[] = [];
  let failure: Error | undefined;
  let during: (() => Promise<void>) | undefined;
  let messageIds = 0;
  const deps: SupportFormDeps = {
    clock,
    newId: () => {
      const id = `id-${String(ids.length + 1)}`;
      ids.push(id);
      return id;
    },
    tickets,
    forward: async (mail) => {
      const error = failure;
      failure = undefined;
      if (error !== undefined) {
        return io(() => {
          throw error;
        });
      }
      // What the store held when SES was asked: the ticket must already exist, claimed.
      const stored = [...tickets.tickets.values()].find((t) => mail.subject.includes(t.reference));
      steps.push({ kind: 'send', storedForwardState: stored?.forwarded?.state });
      forwarded.push({ ...mail });
      clock.advance(1000);
      const meanwhile = during;
      during = undefined;
      if (meanwhile !== undefined) await meanwhile();
      return { messageId: mail.messageId };
    },
    warn: (message, facts) => {
      warnings.push({ message, facts });
    },
    newMessageId: () => `<forward-${String((messageIds += 1))}@ecooffice.net>`,
  };
  return {
    deps,
    clock,
    tickets,
    steps,
    forwarded,
    warnings,
    ids,
    failNextForward: (error = new Error('simulated SES failure: MessageRejected')) => {
      failure = error;
    },
    duringNextForward: (fn) => {
      during = fn;
    },
  };
}

const request = (overrides: Partial<SupportRequest> = {}): SupportRequest => ({
  email: 'reader@example.org',
  topic: 'support',
  message: 'Hello,\nhow do I connect my Pinterest account?\nThanks',
  ...overrides,
});

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  const [item] = items;
  if (item === undefined) throw new Error('expected one item');
  return item;
}

describe('submitSupportRequest: a request is stored as a ticket, then forwarded once', () => {
  it('stores a form ticket with everything the operator needs', async () => {
    const s = scene();
    const outcome = await submitSupportRequest(s.deps, request());
    const reference = ticketReference('form:id-1');
    expect(outcome).toEqual({ kind: 'received', reference, forwarded: 'sent' });
    expect(reference).toMatch(REFERENCE_SHAPE);

    const ticket = s.tickets.ticket(reference);
    expect(ticket).toEqual({
      reference,
      source: 'form',
      status: 'open',
      flagged: false,
      from: { address: 'reader@example.org', name: '' },
      subject: 'Support form: Support',
      receivedAt: START,
      snippet: 'Hello, how do I connect my Pinterest account? Thanks',
      text: 'Hello,\nhow do I connect my Pinterest account?\nThanks',
      topic: 'support',
      attachments: [],
      acknowledgement: { state: 'skipped', reason: 'form_request' },
      forwarded: { state: 'sent', messageId: '<forward-1@ecooffice.net>', at: '2026-07-01T10:00:01.000Z' },
      replies: [],
      version: 2,
      createdAt: START,
      updatedAt: '2026-07-01T10:00:01.000Z',
    });
    // Not a privacy request.
    expect(ticket).not.toHaveProperty('privacyCandidate');
    // Nothing about the ticket came from elsewhere: no raw message, no verdicts, no mail ids of the requester.
    expect(ticket).not.toHaveProperty('s3Key');
    expect(ticket).not.toHaveProperty('sesMessageId');
    expect(ticket).not.toHaveProperty('verdicts');
    expect(s.warnings).toEqual([]);
  });

  it.each(supportTopics.map((topic) => [topic] as const))('topic %s: the subject carries its label, the ticket its topic, and a privacy mark only for data access or deletion', async (topic: SupportTopic) => {
    const s = scene();
    const { reference } = await submitSupportRequest(s.deps, request({ topic }));
    const ticket = s.tickets.ticket(reference);
    expect(ticket?.subject).toBe(`Support form: ${topicLabels[topic]}`);
    expect(ticket?.topic).toBe(topic);
    const privacy = topic === 'data_access' || topic === 'data_deletion';
    if (privacy) expect(ticket?.privacyCandidate).toBe(topic);
    else expect(ticket).not.toHaveProperty('privacyCandidate');

    const mail = only(s.forwarded);
    expect(mail.subject).toBe(`[${reference}] Support form: ${topicLabels[topic]}`);
    expect(mail.text).toContain(`Topic: ${topicLabels[topic]}${privacy ? ' (a privacy request)' : ''}\n`);
  });

  it('bounds the snippet (500 characters, whitespace folded, an ellipsis at the cut) and keeps the full text', async () => {
    const s = scene();
    // 600 emoji and line breaks: the bound counts characters (code points), not UTF-16 units.
    const message = `${'🙂'.repeat(300)}\n\n${'é'.repeat(300)}\r\nend`;
    const { reference } = await submitSupportRequest(s.deps, request({ message }));
    const ticket = s.tickets.ticket(reference);
    const snippet = Array.from(ticket?.snippet ?? '');
    expect(snippet).toHaveLength(500);
    expect(snippet.at(-1)).toBe('…');
    expect(ticket?.snippet.startsWith(`${'🙂'.repeat(300)} ${'é'.repeat(198)}`)).toBe(true);
    expect(ticket?.snippet).not.toMatch(/[\r\n]/);
    // The whole message as submitted stays on the ticket (the form request has no raw mail).
    expect(ticket?.text).toBe(message);
    expect(only(s.forwarded).text.endsWith(`\n\n${message}`)).toBe(true);
  });

  it('a short message is its own snippet', async () => {
    const s = scene();
    const { reference } = await submitSupportRequest(s.deps, request({ message: '  Delete   my\n\tdata  ' }));
    expect(s.tickets.ticket(reference)?.snippet).toBe('Delete my data');
  });

  it('creates the ticket (claimed: forwarded sending), remembers the Message-ID chosen for the forward, asks SES, then records it sent', async () => {
    const s = scene();
    const { reference } = await submitSupportRequest(s.deps, request());
    expect(s.steps).toEqual([
      { kind: 'create', reference, forwarded: { state: 'sending', messageId: '<forward-1@ecooffice.net>' } },
      // Before the send: the copy arriving back at an address SES receives for us may beat any later write.
      { kind: 'remember', messageId: '<forward-1@ecooffice.net>', reference },
      { kind: 'send', storedForwardState: 'sending' },
      { kind: 'update', reference, changes: { forwarded: { state: 'sent', messageId: '<forward-1@ecooffice.net>', at: '2026-07-01T10:00:01.000Z' } } },
    ]);
    // The sent-mail index links the forward's Message-ID to the ticket (how the copy coming back is recognised).
    expect(await s.tickets.ticketOfSent('<forward-1@ecooffice.net>')).toBe(reference);
  });

  it('forwards to the support address: the reference in the subject, the facts and the message in the text, Reply-To the submitter', async () => {
    const s = scene();
    const email = 'Reader.Example+pins@Example.org';
    const { reference } = await submitSupportRequest(s.deps, request({ email, topic: 'data_deletion', message: 'Please delete my data.\nAccount: @reader' }));
    const mail = only(s.forwarded);
    expect(mail.replyTo).toBe(email);
    expect(mail.subject).toBe(`[${reference}] Support form: Data deletion`);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toBe(
      [
        `Support request ${reference} from the support form.`,
        'Topic: Data deletion (a privacy request)',
        `From: ${email} (as typed in the form, not verified; Reply answers it)`,
        `Received: ${START}`,
        '',
        'Please delete my data.\nAccount: @reader',
      ].join('\n'),
    );
    // The address as typed is the ticket's From too.
    expect(s.tickets.ticket(reference)?.from).toEqual({ address: email, name: '' });
  });

  it('message lines that look like headers stay in the text; nothing of the message reaches the subject or Reply-To', async () => {
    const s = scene();
    const message = 'Hi\nBcc: victim@example.net\nSubject: injected\n\nbody';
    const { reference } = await submitSupportRequest(s.deps, request({ message }));
    const mail = only(s.forwarded);
    expect(mail.subject).toBe(`[${reference}] Support form: Support`);
    expect(mail.replyTo).toBe('reader@example.org');
    expect(mail.text.endsWith(message)).toBe(true);
  });

  it('two requests get two references and two tickets, each forwarded once', async () => {
    const s = scene();
    const first = await submitSupportRequest(s.deps, request());
    const second = await submitSupportRequest(s.deps, request());
    expect(first.reference).not.toBe(second.reference);
    expect(s.tickets.all()).toHaveLength(2);
    expect(s.forwarded.map((m) => m.subject.slice(1, 15))).toEqual([first.reference, second.reference]);
  });

  it('another writer changing the ticket while the forward is on its way: the forward is still recorded sent, the other change kept', async () => {
    const s = scene();
    let reference = '';
    s.duringNextForward(async () => {
      const current = s.tickets.ticket(reference);
      if (current === undefined) throw new Error('no ticket during the forward');
      await s.tickets.update(current, { status: 'closed', closedAt: s.clock.now().toISOString() });
    });
    // The reference is known before the send: the first id.
    reference = ticketReference('form:id-1');
    const outcome = await submitSupportRequest(s.deps, request());
    expect(outcome).toEqual({ kind: 'received', reference, forwarded: 'sent' });
    expect(s.tickets.ticket(reference)).toMatchObject({ status: 'closed', forwarded: { state: 'sent', messageId: '<forward-1@ecooffice.net>' }, version: 3 });
    expect(s.forwarded).toHaveLength(1);
  });
});

describe('submitSupportRequest: when SES or DynamoDB fail', () => {
  it('SES refuses the forward: the ticket is kept and marked failed, the failure said in the log, the request answered (no throw)', async () => {
    const s = scene();
    const error = new Error('simulated SES failure: MessageRejected');
    s.failNextForward(error);
    const outcome = await submitSupportRequest(s.deps, request({ topic: 'data_access' }));
    const reference = ticketReference('form:id-1');
    expect(outcome).toEqual({ kind: 'received', reference, forwarded: 'failed' });

    const ticket = s.tickets.ticket(reference);
    expect(ticket).toMatchObject({ source: 'form', status: 'open', topic: 'data_access', privacyCandidate: 'data_access', forwarded: { state: 'failed', at: START } });
    expect(ticket?.forwarded).not.toHaveProperty('messageId');
    expect(ticket?.text).toBe(request().message);

    expect(s.forwarded).toEqual([]);
    // Remembered before the send (harmless: nothing carries that Message-ID), then marked failed.
    expect(s.steps.map((step) => step.kind)).toEqual(['create', 'remember', 'update']);

    const warning = only(s.warnings);
    expect(warning.message).toMatch(/forward/i);
    expect(warning.facts).toMatchObject({ reference, error });
  });

  it('SES fails and then marking the ticket failed fails too: still answered (no throw), the ticket kept as claimed, warned', async () => {
    const s = scene();
    s.failNextForward();
    s.tickets.failUpdateOnce((changes) => changes.forwarded?.state === 'failed');
    const outcome = await submitSupportRequest(s.deps, request());
    expect(outcome).toMatchObject({ kind: 'received', forwarded: 'failed' });
    expect(s.tickets.ticket(outcome.reference)?.forwarded).toEqual({ state: 'sending', messageId: '<forward-1@ecooffice.net>' });
    expect(s.warnings).toHaveLength(1);
  });

  // After SES has taken the forward, a failure of the sent-mail index write must not answer a 500 (the
  // person would send it again: a second ticket, a second mail): said in the log, still answered,
  // the ticket recording the forward as sent.
  it('the sent-mail index write fails after the forward went out: still answered, the forward recorded sent, warned', async () => {
    const s = scene();
    const rememberSent = s.tickets.rememberSent.bind(s.tickets);
    let failed = false;
    s.tickets.rememberSent = (messageId, reference) => {
      if (failed) return rememberSent(messageId, reference);
      failed = true;
      return Promise.reject(new Error('simulated DynamoDB failure: InternalServerError'));
    };
    const outcome = await submitSupportRequest(s.deps, request());
    expect(outcome).toEqual({ kind: 'received', reference: ticketReference('form:id-1'), forwarded: 'sent' });
    expect(s.tickets.ticket(outcome.reference)?.forwarded).toMatchObject({ state: 'sent', messageId: '<forward-1@ecooffice.net>' });
    expect(s.forwarded).toHaveLength(1);
    expect(s.warnings).toHaveLength(1);
  });

  it('DynamoDB refuses the ticket: the request fails (nothing was promised) and nothing is sent', async () => {
    const s = scene();
    const error = new Error('simulated DynamoDB failure: ProvisionedThroughputExceededException');
    s.tickets.failCreateOnce(() => true, error);
    await expect(submitSupportRequest(s.deps, request())).rejects.toBe(error);
    expect(s.forwarded).toEqual([]);
    expect(s.tickets.all()).toEqual([]);
    expect(s.tickets.sentIndex.size).toBe(0);
    expect(s.steps).toEqual([]);
  });
});

describe('ignoreRobot: the hidden field was filled', () => {
  it('answers a reference of the same shape as a real one, stores and sends nothing, and says so in the log', async () => {
    const s = scene();
    const outcome = ignoreRobot(s.deps);
    expect(outcome.kind).toBe('ignored');
    expect(outcome.reference).toMatch(REFERENCE_SHAPE);
    expect(outcome.reference).toBe(ticketReference('form:id-1'));

    const real = await submitSupportRequest(s.deps, request());
    expect(real.reference).toMatch(REFERENCE_SHAPE);
    expect(real.reference).toHaveLength(outcome.reference.length);
    expect(real.reference).not.toBe(outcome.reference);

    // Only the real request was stored and sent.
    expect(s.tickets.all().map((t) => t.reference)).toEqual([real.reference]);
    expect(s.tickets.ticket(outcome.reference)).toBeUndefined();
    expect(s.forwarded).toHaveLength(1);
    const warning = only(s.warnings);
    expect(warning.message).toMatch(/hidden field/i);
    expect(warning.facts).toEqual({ reference: outcome.reference });
  });

  it('on its own: no store call and no send at all', () => {
    const s = scene();
    const outcome = ignoreRobot(s.deps);
    expect(outcome.reference).toMatch(REFERENCE_SHAPE);
    expect(s.steps).toEqual([]);
    expect(s.tickets.writes).toEqual([]);
    expect(s.forwarded).toEqual([]);
    expect(s.warnings).toHaveLength(1);
  });

  it('each robot gets a reference of its own', () => {
    const s = scene();
    const references = [ignoreRobot(s.deps), ignoreRobot(s.deps), ignoreRobot(s.deps)].map((o) => o.reference);
    expect(new Set(references).size).toBe(3);
  });
});
