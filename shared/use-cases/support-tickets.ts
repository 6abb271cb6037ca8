import { randomUUID } from 'node:crypto';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { plainAddress, replySubjectOf } from '../domain/mail-rules';
import type { Ticket } from '../domain/tickets';
import type { Clock } from '../domain/time';
import type { ParsedMessage } from './inbound-mail';
import { settle } from './ticket-writes';

/**
 * The operator's side of support tickets: list them, read one (headers and text from the raw
 * message), answer the requester from SUPPORT_EMAIL, close. A reply is recorded `sending` on the
 * ticket (a conditional write at the version the operator saw) before it goes to SES, so a retried
 * request cannot send it twice; it ends `sent` with its Message-ID (remembered, so the mail coming
 * back is recognised as ours), or `failed` when SES refused it.
 */

export interface TicketReader {
  get(reference: string): Promise<Ticket | undefined>;
  list(status: Ticket['status'], options: { limit: number; cursor?: string }): Promise<{ items: Ticket[]; cursor?: string }>;
}

export interface TicketWriter extends TicketReader {
  update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket>;
  rememberSent(messageId: string, reference: string): Promise<void>;
}

export interface TicketReadDeps {
  tickets: TicketReader;
  /** The raw message at a key of the data bucket; undefined when it is gone (expired or never stored). */
  readRaw(key: string): Promise<Buffer | undefined>;
  parse(raw: Buffer): Promise<ParsedMessage>;
}

export interface ReplyDeps {
  clock: Clock;
  tickets: TicketWriter;
  /** Sends as SUPPORT_EMAIL, with our marker; CR or LF in a header value is a ValidationError. */
  send(mail: { to: string[]; subject: string; text: string; inReplyTo?: string; references?: string[] }): Promise<{ messageId: string }>;
}

/** What a listing shows of a ticket: enough to triage, never the whole text. */
export interface TicketSummary {
  reference: string;
  source: Ticket['source'];
  status: Ticket['status'];
  flagged: boolean;
  quarantine?: Ticket['quarantine'];
  from?: string;
  envelopeFrom?: string;
  subject: string;
  receivedAt: string;
  snippet: string;
  verdicts?: Ticket['verdicts'];
  problem?: string;
  acknowledgement: Ticket['acknowledgement']['state'];
  /** The support form's topic, a privacy request, and whether the form request reached the support address. */
  topic?: Ticket['topic'];
  privacyCandidate?: Ticket['privacyCandidate'];
  forwarded?: NonNullable<Ticket['forwarded']>['state'];
  /** Our own mail that belongs to no ticket, kept (a token notice sent to the support inbox, say). */
  ours?: true;
  attachments: number;
  replies: number;
  version: number;
}

function summaryOf(ticket: Ticket): TicketSummary {
  return {
    reference: ticket.reference,
    source: ticket.source,
    status: ticket.status,
    flagged: ticket.flagged,
    ...(ticket.quarantine === undefined ? {} : { quarantine: ticket.quarantine }),
    ...(ticket.from === undefined ? {} : { from: ticket.from.address }),
    ...(ticket.envelopeFrom === undefined ? {} : { envelopeFrom: ticket.envelopeFrom }),
    subject: ticket.subject,
    receivedAt: ticket.receivedAt,
    snippet: ticket.snippet,
    ...(ticket.verdicts === undefined ? {} : { verdicts: ticket.verdicts }),
    ...(ticket.problem === undefined ? {} : { problem: ticket.problem }),
    acknowledgement: ticket.acknowledgement.state,
    ...(ticket.topic === undefined ? {} : { topic: ticket.topic }),
    ...(ticket.privacyCandidate === undefined ? {} : { privacyCandidate: ticket.privacyCandidate }),
    ...(ticket.forwarded === undefined ? {} : { forwarded: ticket.forwarded.state }),
    ...(ticket.ours === true ? { ours: true as const } : {}),
    attachments: ticket.attachments.length,
    replies: ticket.replies.length,
    version: ticket.version,
  };
}

export async function listTickets(
  deps: { tickets: TicketReader },
  status: Ticket['status'],
  page: { limit: number; cursor?: string },
): Promise<{ items: TicketSummary[]; cursor?: string }> {
  const result = await deps.tickets.list(status, page);
  return { items: result.items.map(summaryOf), ...(result.cursor === undefined ? {} : { cursor: result.cursor }) };
}

/** At most this much of a message's text is shown (a ticket is read by a person, not archived here). */
export const MAX_TEXT_CHARACTERS = 100_000;
/** The headers a ticket shows, in this order, when the message has them. */
const shownHeaders = [
  'from',
  'reply-to',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'return-path',
  'auto-submitted',
  'precedence',
  'list-id',
  'list-unsubscribe',
  'content-type',
] as const;

export interface TicketDetail {
  ticket: Ticket;
  /** Whether the raw message could be read: `gone` once its retention ended (the ticket may outlive it). */
  raw: 'read' | 'gone' | 'none';
  headers: Record<string, string>;
  text: string;
  textTruncated: boolean;
  /** Where a reply would go, and whether that address was authenticated (SPF or DMARC passed). */
  replyTo: { address: string; authenticated: boolean } | undefined;
}

export async function getTicketDetail(deps: TicketReadDeps, reference: string): Promise<TicketDetail> {
  const ticket = await deps.tickets.get(reference);
  if (ticket === undefined) throw new NotFoundError(`No support ticket ${reference}`);
  const raw = ticket.s3Key === undefined ? undefined : await deps.readRaw(ticket.s3Key);
  const parsed = raw === undefined ? undefined : await deps.parse(raw);
  const headers: Record<string, string> = {};
  for (const name of shownHeaders) {
    const value = parsed?.headers[name];
    if (value !== undefined) headers[name] = value.slice(0, 2000);
  }
  // A form request has no raw message: its text is on the ticket.
  const fullText = parsed?.text ?? ticket.text ?? ticket.snippet;
  const chars = Array.from(fullText);
  return {
    ticket,
    raw: ticket.s3Key === undefined ? 'none' : raw === undefined ? 'gone' : 'read',
    headers,
    text: chars.length > MAX_TEXT_CHARACTERS ? chars.slice(0, MAX_TEXT_CHARACTERS).join('') : fullText,
    textTruncated: chars.length > MAX_TEXT_CHARACTERS,
    replyTo: replyAddress(ticket),
  };
}

/**
 * Who the operator's reply goes to: the address an acknowledgement went (or would have gone) to —
 * authenticated by SPF or DMARC — or else the From address, then the envelope sender, marked as not
 * authenticated so the operator knows a forged sender is possible.
 */
export function replyAddress(ticket: Ticket): { address: string; authenticated: boolean } | undefined {
  if (ticket.acknowledgement.to !== undefined) return { address: ticket.acknowledgement.to, authenticated: true };
  const envelope = plainAddress(ticket.envelopeFrom?.replace(/^<|>$/g, ''));
  const from = plainAddress(ticket.from?.address);
  if (ticket.verdicts?.spf === 'PASS' && envelope !== undefined) return { address: envelope, authenticated: true };
  if (ticket.verdicts?.dmarc === 'PASS' && from !== undefined) return { address: from, authenticated: true };
  const address = from ?? envelope;
  return address === undefined ? undefined : { address, authenticated: false };
}

export interface ReplyRequest {
  reference: string;
  /** The ticket version the operator read (a reply to a ticket that changed since is refused). */
  version: number;
  message: string;
  /** Replaces the default subject (`Re: <subject> [<reference>]`). */
  subject?: string;
}

/** The subject of a reply: the reference always survives (the subject is shortened, never the tag). */
function replySubject(ticket: Ticket, subject: string | undefined): string {
  if (subject !== undefined) return subject.includes(ticket.reference) ? subject : `${subject} [${ticket.reference}]`;
  return replySubjectOf(ticket.subject, ticket.reference);
}

export async function replyToTicket(deps: ReplyDeps, request: ReplyRequest): Promise<Ticket> {
  const ticket = await deps.tickets.get(request.reference);
  if (ticket === undefined) throw new NotFoundError(`No support ticket ${request.reference}`);
  if (ticket.version !== request.version) {
    throw new ConflictError(`The ticket changed since version ${String(request.version)} (it is at version ${String(ticket.version)}): read it again before replying`, ticket.status);
  }
  if (ticket.status === 'closed') throw new ConflictError('The ticket is closed', 'closed');
  if (ticket.flagged) {
    throw new ConflictError(`Quarantined mail (${(ticket.quarantine ?? []).join(', ')}) is never answered from here: its sender may be forged`, 'quarantined');
  }
  const to = replyAddress(ticket);
  if (to === undefined) throw new ConflictError('The ticket has no address to reply to', ticket.status);
  const subject = replySubject(ticket, request.subject);
  if (/[\r\n]/.test(subject)) throw new ValidationError('subject must not contain line breaks', [{ path: 'body.subject', message: 'contains CR or LF' }]);

  const id = randomUUID();
  const at = deps.clock.now().toISOString();
  const claimed = await deps.tickets.update(ticket, { replies: [...ticket.replies, { id, at, to: to.address, subject, text: request.message, state: 'sending' }] });
  const references = [
    ...(ticket.messageId === undefined ? [] : [ticket.messageId]),
    ...ticket.replies.flatMap((reply) => (reply.messageId === undefined ? [] : [reply.messageId])),
  ];
  let sent: { messageId: string };
  try {
    sent = await deps.send({
      to: [to.address],
      subject,
      text: request.message,
      ...(ticket.messageId === undefined ? {} : { inReplyTo: ticket.messageId }),
      ...(references.length === 0 ? {} : { references }),
    });
  } catch (error) {
    // Nothing went out: the reply is kept as `failed`, visible on the ticket, and may be sent again.
    await settleReply(deps, claimed, id, { state: 'failed' }).catch(() => undefined);
    if (error instanceof ValidationError) throw error;
    throw new AppError('dependency_failed', 'SES did not accept the reply; it was not sent (the ticket shows it as failed)', { cause: error });
  }
  await deps.tickets.rememberSent(sent.messageId, ticket.reference);
  return settleReply(deps, claimed, id, { state: 'sent', messageId: sent.messageId, sentAt: deps.clock.now().toISOString() });
}

/** Records how a reply ended, on the fresh ticket if something else changed it meanwhile. */
async function settleReply(deps: ReplyDeps, ticket: Ticket, id: string, outcome: Partial<Ticket['replies'][number]>): Promise<Ticket> {
  const settled = await settle(deps.tickets, ticket, (current) => ({ replies: current.replies.map((reply) => (reply.id === id ? { ...reply, ...outcome } : reply)) }));
  return settled.ticket;
}

/** Closes a ticket; closing a closed one answers it as it is. */
export async function closeTicket(deps: { tickets: TicketWriter; clock: Clock }, reference: string): Promise<Ticket> {
  for (let attempt = 0; ; attempt += 1) {
    const ticket = await deps.tickets.get(reference);
    if (ticket === undefined) throw new NotFoundError(`No support ticket ${reference}`);
    if (ticket.status === 'closed') return ticket;
    try {
      return await deps.tickets.update(ticket, { status: 'closed', closedAt: deps.clock.now().toISOString() });
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 3) throw error;
    }
  }
}
