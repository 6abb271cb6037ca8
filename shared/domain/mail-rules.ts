import { createHash } from 'node:crypto';
import * as z from '../zod';

/**
 * The rules inbound support mail is judged by (DESIGN.md "Mail"): SES's receipt verdicts, when a
 * message is quarantined, and when an acknowledgement is safe to send and to whom. Pure: the inbound
 * function applies them to what SES and the MIME parser give it.
 */

const verdict = z.object({ status: z.string() });

/** The `receipt` of SES's event for a Lambda action (only what the rules read). */
export const sesReceiptSchema = z.looseObject({
  spamVerdict: z.optional(verdict),
  virusVerdict: z.optional(verdict),
  spfVerdict: z.optional(verdict),
  dkimVerdict: z.optional(verdict),
  dmarcVerdict: z.optional(verdict),
  dmarcPolicy: z.optional(z.string()),
});
export type SesReceipt = z.infer<typeof sesReceiptSchema>;

export type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'UNKNOWN';

export interface Verdicts {
  spam: VerdictStatus;
  virus: VerdictStatus;
  spf: VerdictStatus;
  dkim: VerdictStatus;
  dmarc: VerdictStatus;
  /** The sender domain's published DMARC policy: `none`, `quarantine`, `reject` (absent when unknown). */
  dmarcPolicy?: string;
}

function statusOf(value: { status: string } | undefined): VerdictStatus {
  const status = value?.status.toUpperCase();
  return status === 'PASS' || status === 'FAIL' || status === 'GRAY' || status === 'PROCESSING_FAILED' ? status : 'UNKNOWN';
}

export function verdictsOf(receipt: SesReceipt): Verdicts {
  const policy = receipt.dmarcPolicy?.toLowerCase();
  return {
    spam: statusOf(receipt.spamVerdict),
    virus: statusOf(receipt.virusVerdict),
    spf: statusOf(receipt.spfVerdict),
    dkim: statusOf(receipt.dkimVerdict),
    dmarc: statusOf(receipt.dmarcVerdict),
    ...(policy === undefined || policy === '' ? {} : { dmarcPolicy: policy }),
  };
}

export type QuarantineReason = 'spam' | 'virus' | 'dmarc_reject';

/**
 * Spam or virus FAIL, or a DMARC FAIL under a `reject` policy: the message is quarantined (kept under
 * its own prefix, flagged, never answered). A DMARC FAIL under `none` or `quarantine` is only noted.
 */
export function quarantineReasons(verdicts: Verdicts): QuarantineReason[] {
  const reasons: QuarantineReason[] = [];
  if (verdicts.spam === 'FAIL') reasons.push('spam');
  if (verdicts.virus === 'FAIL') reasons.push('virus');
  if (verdicts.dmarc === 'FAIL' && verdicts.dmarcPolicy === 'reject') reasons.push('dmarc_reject');
  return reasons;
}

/** Header names are case-insensitive: the parser's lower-cased map, one value per header. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

export type AckDecision =
  | { send: true; to: string; via: 'envelope' | 'from' }
  | {
      send: false;
      reason: 'quarantined' | 'ours' | 'bounce' | 'auto_submitted' | 'bulk' | 'mailing_list' | 'unauthenticated' | 'no_address';
    };

const addressPattern = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

/** A single plain address (what an acknowledgement may be sent to), lower-cased; undefined otherwise. */
/** Addresses compare case-insensitively, without surrounding blanks or angle brackets. */
export function normalEmail(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

export function plainAddress(value: string | undefined): string | undefined {
  const trimmed = value?.trim().toLowerCase();
  if (trimmed === undefined || trimmed === '' || !addressPattern.test(trimmed) || trimmed.length > 254) return undefined;
  return trimmed;
}

/** An empty envelope sender, MAILER-DAEMON or postmaster: a delivery report (a bounce). */
export function isBounceSender(envelopeFrom: string | undefined): boolean {
  const sender = (envelopeFrom ?? '').trim().replace(/^<|>$/g, '');
  if (sender === '') return true;
  const local = sender.split('@')[0]?.toLowerCase() ?? '';
  return local === 'mailer-daemon' || local === 'postmaster';
}

/**
 * Whether to acknowledge, and to whom (RFC 3834's rules, plus authentication): never quarantined
 * mail, our own mail, bounces (empty envelope sender, MAILER-DAEMON), `Auto-Submitted` other than
 * `no`, `Precedence: bulk|list|junk`, mail with `List-Id`/`List-Unsubscribe`; then to the envelope
 * sender when SPF passed, or to the From address when DMARC passed — never otherwise (a forged From
 * must not make us mail a stranger).
 */
export function acknowledgementFor(input: {
  verdicts: Verdicts;
  quarantined: boolean;
  ours: boolean;
  envelopeFrom: string | undefined;
  fromAddress: string | undefined;
  headers: HeaderMap;
}): AckDecision {
  if (input.quarantined) return { send: false, reason: 'quarantined' };
  if (input.ours) return { send: false, reason: 'ours' };
  if (isBounceSender(input.envelopeFrom)) return { send: false, reason: 'bounce' };
  const autoSubmitted = input.headers['auto-submitted']?.trim().toLowerCase();
  if (autoSubmitted !== undefined && autoSubmitted !== '' && !/^no\b/.test(autoSubmitted)) return { send: false, reason: 'auto_submitted' };
  const precedence = input.headers.precedence?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return { send: false, reason: 'bulk' };
  if (input.headers['list-id'] !== undefined || input.headers['list-unsubscribe'] !== undefined) return { send: false, reason: 'mailing_list' };
  if (input.verdicts.spf === 'PASS') {
    const to = plainAddress(input.envelopeFrom?.replace(/^<|>$/g, ''));
    return to === undefined ? { send: false, reason: 'no_address' } : { send: true, to, via: 'envelope' };
  }
  if (input.verdicts.dmarc === 'PASS') {
    const to = plainAddress(input.fromAddress);
    return to === undefined ? { send: false, reason: 'no_address' } : { send: true, to, via: 'from' };
  }
  return { send: false, reason: 'unauthenticated' };
}

/**
 * The ticket's reference, quoted in every mail about it: derived from SES's message id, so a
 * redelivered event names the same ticket. `MDZ-` and ten characters of base32 (no look-alikes).
 */
export function ticketReference(sesMessageId: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const digest = createHash('sha256').update(`ticket:${sesMessageId}`, 'utf8').digest();
  let out = '';
  for (let i = 0; i < 10; i += 1) out += alphabet.charAt((digest[i] ?? 0) % alphabet.length);
  return `MDZ-${out}`;
}

/** A bounded text snippet of a message body: whitespace folded, at most `max` characters (code points). */
export function snippetOf(text: string | undefined, max = 500): string {
  const folded = (text ?? '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(folded);
  return chars.length <= max ? folded : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * The subject of mail about a ticket: `Re: <subject>` (no second `Re:`), shortened so the reference
 * always fits, then `[MDZ-…]` — the reference is quoted in every mail about it.
 */
export function replySubjectOf(subject: string, reference: string): string {
  return `${snippetOf(/^re:/i.test(subject) ? subject : `Re: ${subject}`, 230)} [${reference}]`;
}
