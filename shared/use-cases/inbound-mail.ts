import * as z from '../zod';
import { ConflictError } from '../domain/errors';
import { acknowledgementFor, isBounceSender, plainAddress, quarantineReasons, replySubjectOf, sesReceiptSchema, snippetOf, ticketReference, verdictsOf, type HeaderMap } from '../domain/mail-rules';
import type { Ticket } from '../domain/tickets';
import type { Clock } from '../domain/time';
import { settle } from './ticket-writes';

/**
 * Inbound support mail (SES receipt rule → the raw message in S3 → this, asynchronously, with SES's
 * event): a ticket per message, keyed by SES's message id so a redelivered event makes no second
 * ticket and no second mail. Quarantined mail (spam, virus, DMARC reject) is moved under its own
 * prefix, flagged, never answered. An acknowledgement goes only where answering is safe
 * (./../domain/mail-rules.ts), at most once per sender per day; our own mail coming back is linked to
 * the ticket it came from and answered by nothing (no loops). The operator is told once per ticket.
 */

/** The SES event for a Lambda action (the fields used), as AWS documents it. */
export const sesEventSchema = z.object({
  Records: z
    .array(
      z.looseObject({
        ses: z.looseObject({
          mail: z.looseObject({ messageId: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,200}$/)), source: z.optional(z.string()), timestamp: z.optional(z.string()) }),
          receipt: sesReceiptSchema,
        }),
      }),
    )
    .check(z.minLength(1)),
});
export type SesEvent = z.infer<typeof sesEventSchema>;

export interface ParsedMessage {
  problem?: string;
  messageId?: string;
  from?: { address: string; name: string };
  subject?: string;
  text: string;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
  headers: HeaderMap;
  references?: string;
}

export interface TicketsPort {
  get(reference: string): Promise<Ticket | undefined>;
  /** Creates the ticket; a ConflictError when it exists (a redelivery). */
  create(ticket: Ticket): Promise<void>;
  /** One conditional write on the ticket's version; a ConflictError when it changed. */
  update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket>;
  /** Which ticket a mail we sent belongs to (by its Message-ID). */
  ticketOfSent(messageId: string): Promise<string | undefined>;
  rememberSent(messageId: string, reference: string): Promise<void>;
}

export interface InboundDeps {
  clock: Clock;
  tickets: TicketsPort;
  /** The raw message store: read, and move to the quarantine prefix. */
  raw: { read(key: string): Promise<Buffer | undefined>; move(from: string, to: string): Promise<void> };
  parse: (raw: Buffer) => Promise<ParsedMessage>;
  /** Whether a marker header is valid for that Message-ID (an HMAC only we can make). */
  isOurMarker: (messageId: string, marker: string) => Promise<boolean>;
  /** Counts acknowledgements to an address today (keyed by its HMAC, with a TTL); answers the count after this one. */
  countAcknowledgement: (address: string) => Promise<number>;
  mail: {
    send(mail: { to: string[]; subject: string; text: string; autoSubmitted: 'auto-replied' | 'auto-generated'; inReplyTo?: string; references?: string[] }): Promise<{ messageId: string }>;
  };
  /**
   * Mails the operator with the Message-ID given (made by `newNoticeId` and remembered before sending,
   * so the notice arriving back at an address SES receives for us is linked to its ticket).
   */
  notifyOperator: (notice: { subject: string; text: string; messageId: string }) => Promise<unknown>;
  newNoticeId: () => string;
  settings: { inboundPrefix: string; quarantinePrefix: string; acknowledge: boolean; retentionDays: number; markerHeader: string };
}

export type InboundOutcome =
  | { kind: 'ticket'; reference: string; acknowledged: boolean }
  /** Our own mail: linked to its ticket, or (belonging to none) kept as a ticket of its own, `keptAs`. */
  | { kind: 'returned'; linkedTo: string; keptAs?: undefined }
  | { kind: 'returned'; linkedTo: undefined; keptAs: string }
  | { kind: 'duplicate'; reference: string };

export async function receiveMail(deps: InboundDeps, event: SesEvent): Promise<InboundOutcome[]> {
  const out: InboundOutcome[] = [];
  for (const record of event.Records) out.push(await receiveOne(deps, record.ses.mail, record.ses.receipt));
  return out;
}

async function receiveOne(deps: InboundDeps, mail: SesEvent['Records'][number]['ses']['mail'], receipt: SesEvent['Records'][number]['ses']['receipt']): Promise<InboundOutcome> {
  const reference = ticketReference(mail.messageId);
  const existing = await deps.tickets.get(reference);
  if (existing !== undefined) {
    // A redelivery: finish what the first delivery may not have (never a second mail).
    await finishSteps(deps, existing);
    return { kind: 'duplicate', reference };
  }
  const inboundKey = `${deps.settings.inboundPrefix}${mail.messageId}`;
  const quarantineKey = `${deps.settings.quarantinePrefix}${mail.messageId}`;
  // A delivery that stopped after moving the object to quarantine left it there.
  const inbound = await deps.raw.read(inboundKey);
  const alreadyQuarantined = inbound === undefined ? await deps.raw.read(quarantineKey) : undefined;
  const raw = inbound ?? alreadyQuarantined;
  const parsed: ParsedMessage = raw === undefined ? { problem: `the raw message was not found at ${inboundKey}`, text: '', attachments: [], headers: {} } : await deps.parse(raw);

  const ours = await ourOwnMail(deps, parsed, raw, mail.source);
  const linkedTo = ours === undefined ? undefined : await deps.tickets.ticketOfSent(ours);
  if (ours !== undefined && linkedTo !== undefined) {
    const ticket = await deps.tickets.get(linkedTo);
    if (ticket !== undefined) {
      const entry = { at: deps.clock.now().toISOString(), sesMessageId: mail.messageId, s3Key: inboundKey };
      await settle(deps.tickets, ticket, (current) =>
        (current.returned ?? []).some((returned) => returned.sesMessageId === mail.messageId) ? undefined : { returned: [...(current.returned ?? []), entry] },
      );
    }
    return { kind: 'returned', linkedTo };
  }

  const verdicts = verdictsOf(receipt);
  const quarantine = quarantineReasons(verdicts);
  let s3Key = inbound !== undefined ? inboundKey : alreadyQuarantined !== undefined ? quarantineKey : undefined;
  if (quarantine.length > 0 && inbound !== undefined) {
    await deps.raw.move(inboundKey, quarantineKey);
    s3Key = quarantineKey;
  }
  // Without readable headers nothing says answering is safe (a list, a bounce, our own mail).
  const unreadable = Object.keys(parsed.headers).length === 0 || (parsed.problem !== undefined && parsed.from === undefined);
  const ack = quarantine.length > 0
    ? ({ send: false, reason: 'quarantined' } as const)
    : unreadable
    ? ({ send: false, reason: 'unreadable' } as const)
    : acknowledgementFor({ verdicts, quarantined: quarantine.length > 0, ours: ours !== undefined, envelopeFrom: mail.source, fromAddress: parsed.from?.address, headers: parsed.headers });
  const now = deps.clock.now().toISOString();
  const ticket: Ticket = {
    reference,
    source: 'mail',
    status: 'open',
    flagged: quarantine.length > 0,
    ...(quarantine.length > 0 ? { quarantine } : {}),
    ...(ours === undefined ? {} : { ours: true as const }),
    sesMessageId: mail.messageId,
    ...(parsed.messageId === undefined ? {} : { messageId: parsed.messageId }),
    ...(mail.source === undefined ? {} : { envelopeFrom: mail.source }),
    ...(parsed.from === undefined ? {} : { from: parsed.from }),
    subject: snippetOf(parsed.subject ?? '(no subject)', 300),
    receivedAt: mail.timestamp ?? now,
    snippet: snippetOf(parsed.text, 500),
    attachments: parsed.attachments.slice(0, 50),
    ...(s3Key === undefined ? {} : { s3Key }),
    verdicts,
    ...(parsed.problem === undefined ? {} : { problem: parsed.problem }),
    acknowledgement: !deps.settings.acknowledge
      ? { state: 'skipped', reason: 'acknowledgements_off' }
      : ack.send
        ? { state: 'pending', to: ack.to }
        : { state: 'skipped', reason: ack.reason },
    replies: [],
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.tickets.create(ticket);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Another delivery of the same message won the race: it sends what there is to send.
    return { kind: 'duplicate', reference };
  }
  const done = await finishSteps(deps, ticket, parsed);
  if (ours !== undefined) return { kind: 'returned', linkedTo: undefined, keptAs: reference };
  return { kind: 'ticket', reference, acknowledged: done.acknowledgement.state === 'sent' };
}

/**
 * The Message-ID of ours this message is, or carries: our own mail coming back (its marker valid for its
 * Message-ID), or a bounce of it (a delivery report from an empty sender or MAILER-DAEMON that quotes
 * our mail's headers: a marker in the report valid for a Message-ID in it). Undefined for anything else.
 */
async function ourOwnMail(deps: InboundDeps, parsed: ParsedMessage, raw: Buffer | undefined, envelopeFrom: string | undefined): Promise<string | undefined> {
  const marker = parsed.headers[deps.settings.markerHeader.toLowerCase()];
  if (marker !== undefined && parsed.messageId !== undefined && (await deps.isOurMarker(parsed.messageId, marker))) return parsed.messageId;
  if (!isBounceSender(envelopeFrom) || raw === undefined) return undefined;
  // The quoted headers: a delivery report carries them as message/rfc822 or text/rfc822-headers.
  const text = raw.subarray(0, 1024 * 1024).toString('latin1');
  const name = deps.settings.markerHeader.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const markers = [...text.matchAll(new RegExp(`^${name}:[ \\t]*(v1\\.[A-Za-z0-9_-]{20,})`, 'gim'))].map((m) => m[1] ?? '');
  const ids = [...text.matchAll(/^Message-ID:[ \t]*(<[^\s<>]{1,900}>)/gim)].map((m) => m[1] ?? '');
  for (const quoted of markers.slice(0, 5)) {
    for (const id of ids.slice(0, 5)) if (await deps.isOurMarker(id, quoted)) return id;
  }
  return undefined;
}

/**
 * The acknowledgement (claimed before sending: at most once) and the operator's notice (once). Two
 * deliveries of one event may run at once: each step is claimed with a conditional write, and a write
 * that loses to the other delivery is decided again on the fresh ticket rather than failing after the
 * mail went out.
 */
async function finishSteps(deps: InboundDeps, ticket: Ticket, parsed?: ParsedMessage): Promise<Ticket> {
  let current = ticket;
  const to = current.acknowledgement.to;
  if (current.acknowledgement.state === 'pending' && to !== undefined) {
    // Only the delivery whose claim landed sends; the other finds it `sending` and leaves it.
    const claim = await settle(deps.tickets, current, (fresh) => (fresh.acknowledgement.state === 'pending' ? { acknowledgement: { ...fresh.acknowledgement, state: 'sending' } } : undefined));
    current = claim.ticket;
    if (claim.wrote) {
      const count = await deps.countAcknowledgement(to);
      const stillSending = (fresh: Ticket) => fresh.acknowledgement.state === 'sending';
      if (count > 1) {
        current = (await settle(deps.tickets, current, (fresh) => (stillSending(fresh) ? { acknowledgement: { state: 'skipped', reason: 'already_acknowledged_today', to } } : undefined))).ticket;
      } else {
        const subject = replySubjectOf(current.subject, current.reference);
        const references = [...(parsed?.references?.split(/\s+/).filter((r) => r !== '') ?? []), ...(current.messageId === undefined ? [] : [current.messageId])];
        let sent: { messageId: string } | undefined;
        try {
          sent = await deps.mail.send({
            to: [to],
            subject,
            text: acknowledgementText(current),
            autoSubmitted: 'auto-replied',
            ...(current.messageId === undefined ? {} : { inReplyTo: current.messageId }),
            ...(references.length === 0 ? {} : { references }),
          });
        } catch (error) {
          // Refused by SES (an unverified recipient in the SES sandbox, a throttle the SDK's retries did
          // not outlast): recorded `failed`, shown to the operator, who may answer with the reply route.
          const reason = `ses_refused:${error instanceof Error ? error.name : 'error'}`.slice(0, 80);
          current = (await settle(deps.tickets, current, (fresh) => (stillSending(fresh) ? { acknowledgement: { state: 'failed', reason, to } } : undefined))).ticket;
        }
        if (sent !== undefined) {
          const messageId = sent.messageId;
          const at = deps.clock.now().toISOString();
          current = (await settle(deps.tickets, current, (fresh) => (stillSending(fresh) ? { acknowledgement: { state: 'sent', to, messageId, at } } : undefined))).ticket;
          await deps.tickets.rememberSent(messageId, current.reference);
        }
      }
    }
  }
  // Our own mail belonging to no ticket gets no notice: the notice could come back the same way.
  if (current.operatorNotifiedAt === undefined && current.ours !== true) {
    const noticeAt = deps.clock.now().toISOString();
    // The notice's Message-ID is kept on the ticket (a retry after a failed send reuses it), so the
    // sent-mail index entry naming the ticket can be found again (a privacy deletion removes it).
    const newId = current.operatorNoticeId ?? deps.newNoticeId();
    const claim = await settle(deps.tickets, current, (fresh) =>
      fresh.operatorNotifiedAt === undefined ? { operatorNotifiedAt: noticeAt, operatorNoticeId: fresh.operatorNoticeId ?? newId } : undefined,
    );
    current = claim.ticket;
    if (claim.wrote) {
      const messageId = current.operatorNoticeId ?? newId;
      await deps.tickets.rememberSent(messageId, current.reference).catch(() => undefined);
      try {
        await deps.notifyOperator({ ...operatorNotice(current), messageId });
      } catch (error) {
        // Taken back, so a redelivery (Lambda retries a failed asynchronous event) tells the operator.
        await settle(deps.tickets, current, (fresh) => (fresh.operatorNotifiedAt === noticeAt ? { operatorNotifiedAt: undefined } : undefined)).catch(() => undefined);
        throw error;
      }
    }
  }
  return current;
}

function acknowledgementText(ticket: Ticket): string {
  return [
    'Hello,',
    '',
    `we received your message "${ticket.subject}" and opened support request ${ticket.reference}.`,
    'A person reads every request and answers from this address, usually within a few working days.',
    `Please keep ${ticket.reference} in the subject if you write again about the same matter.`,
    '',
    'This is an automatic acknowledgement; no need to reply to it.',
  ].join('\n');
}

function operatorNotice(ticket: Ticket): { subject: string; text: string } {
  const who = ticket.from?.address ?? plainAddress(ticket.envelopeFrom) ?? 'an unknown sender';
  return {
    subject: `${ticket.flagged ? 'Quarantined mail' : 'New support request'} ${ticket.reference}`,
    text: [
      `${ticket.flagged ? 'Quarantined' : 'New'} support request ${ticket.reference} from ${who}.`,
      `Subject: ${ticket.subject}`,
      ...(ticket.quarantine === undefined ? [] : [`Quarantined for: ${ticket.quarantine.join(', ')} (not answered).`]),
      ...(ticket.problem === undefined ? [] : [`Note: ${ticket.problem}.`]),
      `Acknowledgement: ${ticket.acknowledgement.state}${ticket.acknowledgement.reason === undefined ? '' : ` (${ticket.acknowledgement.reason})`}.`,
      '',
      ticket.snippet,
    ].join('\n'),
  };
}
