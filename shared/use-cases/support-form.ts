import { snippetOf, ticketReference } from '../domain/mail-rules';
import { privacyCandidateOf, topicLabels, type SupportRequest } from '../domain/support-form';
import type { Ticket } from '../domain/tickets';
import type { Clock } from '../domain/time';
import { settle, type TicketWrites } from './ticket-writes';

/**
 * A request from the public support form: stored as a ticket first (so nothing is lost whatever SES
 * does), then forwarded to SUPPORT_EMAIL From the verified sender with the submitter as Reply-To and
 * our marker — the forward claimed on the ticket before it goes, so it goes once. Its Message-ID is
 * remembered: when the support mailbox is the inbound address, the copy arriving back is linked to
 * this ticket, never a second one. No mail goes to the submitter: the address is not verified, and
 * answering it unasked would make the form a way to mail strangers.
 */

export interface SupportFormDeps {
  clock: Clock;
  newId: () => string;
  tickets: TicketWrites & {
    create(ticket: Ticket): Promise<void>;
    rememberSent(messageId: string, reference: string): Promise<void>;
  };
  /** Sends to SUPPORT_EMAIL From SENDER_EMAIL with the given Reply-To and Message-ID (CR or LF in a header is refused). */
  forward(mail: { subject: string; text: string; replyTo: string; messageId: string }): Promise<unknown>;
  /** A fresh Message-ID for the forward, remembered before it is sent. */
  newMessageId(): string;
  /** Says in the function log what went wrong without failing the request (the ticket is kept). */
  warn(message: string, facts: Record<string, unknown>): void;
}

export type SupportFormOutcome =
  | { kind: 'received'; reference: string; forwarded: 'sent' | 'failed' }
  /** The honeypot was filled: answered as a success, nothing stored or sent. */
  | { kind: 'ignored'; reference: string };

/**
 * A submission whose hidden field was filled (a robot): answered exactly as a success, with a
 * reference of the same shape, and nothing stored or sent; said in the function log.
 */
export function ignoreRobot(deps: Pick<SupportFormDeps, 'newId' | 'warn'>): SupportFormOutcome {
  const reference = ticketReference(`form:${deps.newId()}`);
  deps.warn('support form: the hidden field was filled; nothing stored or sent', { reference });
  return { kind: 'ignored', reference };
}

export async function submitSupportRequest(deps: SupportFormDeps, request: SupportRequest): Promise<SupportFormOutcome> {
  const reference = ticketReference(`form:${deps.newId()}`);
  const now = deps.clock.now().toISOString();
  const privacy = privacyCandidateOf(request.topic);
  // Chosen and remembered before sending: when SUPPORT_EMAIL is an address SES receives for us, the
  // forward may arrive back before any write made after the send.
  const messageId = deps.newMessageId();
  const ticket: Ticket = {
    reference,
    source: 'form',
    status: 'open',
    flagged: false,
    from: { address: request.email, name: '' },
    subject: `Support form: ${topicLabels[request.topic]}`,
    receivedAt: now,
    snippet: snippetOf(request.message, 500),
    text: request.message,
    topic: request.topic,
    ...(privacy === undefined ? {} : { privacyCandidate: privacy }),
    attachments: [],
    acknowledgement: { state: 'skipped', reason: 'form_request' },
    forwarded: { state: 'sending', messageId },
    replies: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  // Created already claimed: only this request forwards it.
  await deps.tickets.create(ticket);
  await deps.tickets.rememberSent(messageId, reference).catch((error: unknown) => {
    deps.warn('support form: the forward\'s Message-ID was not remembered (the copy coming back will be kept apart, not linked)', { reference, error });
  });
  try {
    await deps.forward({ subject: `[${reference}] ${ticket.subject}`, text: forwardText(ticket, request), replyTo: request.email, messageId });
  } catch (error) {
    deps.warn('support form: forwarding to the support address failed; the ticket is kept', { reference, error });
    await settle(deps.tickets, ticket, (current) => (current.forwarded?.state === 'sending' ? { forwarded: { state: 'failed', at: deps.clock.now().toISOString() } } : undefined)).catch(
      () => undefined,
    );
    return { kind: 'received', reference, forwarded: 'failed' };
  }
  // Stored and forwarded: whatever happens to the bookkeeping below, the person gets their success (an
  // error would make them send it again: a second ticket, a second mail).
  const at = deps.clock.now().toISOString();
  await settle(deps.tickets, ticket, (current) => (current.forwarded?.state === 'sending' ? { forwarded: { state: 'sent', messageId, at } } : undefined)).catch((error: unknown) => {
    deps.warn('support form: forwarded, but recording it on the ticket failed (it shows the forward as sending)', { reference, error });
  });
  return { kind: 'received', reference, forwarded: 'sent' };
}

function forwardText(ticket: Ticket, request: SupportRequest): string {
  return [
    `Support request ${ticket.reference} from the support form.`,
    `Topic: ${topicLabels[request.topic]}${ticket.privacyCandidate === undefined ? '' : ' (a privacy request)'}`,
    `From: ${request.email} (as typed in the form, not verified; Reply answers it)`,
    `Received: ${ticket.receivedAt}`,
    '',
    request.message,
  ].join('\n');
}
