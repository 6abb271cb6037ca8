import { randomUUID } from 'node:crypto';
import { SendRawEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { ValidationError } from '../domain/errors';
import { mailMarker } from '../domain/keyed-hash';
import type { Clock } from '../domain/time';

/** Our own header on every mail we send; inbound mail carrying a valid one is ours (no loops). */
export const MARKER_HEADER = 'X-MDZ-Publisher-Marker';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  /**
   * `auto-replied` for acknowledgements, `auto-generated` for notices (RFC 3834); `no` for what a
   * person wrote (the operator's replies), which then carries no Auto-Submitted header.
   */
  autoSubmitted: 'auto-replied' | 'auto-generated' | 'no';
  replyTo?: string;
  inReplyTo?: string;
  references?: string[];
  /**
   * A Message-ID chosen beforehand (`newMessageId()`), so a caller can remember it before sending:
   * the copy that comes back to an address SES receives for us may arrive before a write made after.
   */
  messageId?: string;
}

export interface SentMail {
  /** The Message-ID header we set (with angle brackets). */
  messageId: string;
  /** SES's id for the send. */
  sesMessageId: string | undefined;
  marker: string;
}

/** Refuses CR or LF in any header value: they would let a caller inject headers. */
function assertHeaderSafe(field: string, value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new ValidationError(`${field} must not contain line breaks`, [{ path: field, message: 'contains CR or LF' }]);
  }
}

/**
 * Sends mail through SES as raw MIME, so every message carries `Auto-Submitted` and our marker header
 * (an HMAC of its Message-ID with the hashing key). Mail always comes From the verified identity; a
 * submitter's address can only be a Reply-To.
 */
export class SesMailer {
  constructor(
    private readonly ses: SESClient,
    private readonly from: string,
    private readonly hashingKey: () => Promise<Buffer>,
    private readonly clock: Clock,
  ) {}

  /** A fresh Message-ID on the sender's domain. */
  newMessageId(): string {
    return `<${randomUUID()}@${this.from.split('@')[1] ?? 'localhost'}>`;
  }

  /** Builds the raw message (exposed for tests and for storing a copy). */
  async compose(mail: OutgoingMail): Promise<{ raw: Buffer; messageId: string; marker: string }> {
    mail.to.forEach((address, i) => {
      assertHeaderSafe(`to[${i}]`, address);
    });
    assertHeaderSafe('subject', mail.subject);
    if (mail.replyTo !== undefined) assertHeaderSafe('replyTo', mail.replyTo);
    if (mail.inReplyTo !== undefined) assertHeaderSafe('inReplyTo', mail.inReplyTo);
    for (const ref of mail.references ?? []) assertHeaderSafe('references', ref);
    if (mail.to.length === 0) throw new ValidationError('A mail needs at least one recipient', [{ path: 'to', message: 'empty' }]);

    if (mail.messageId !== undefined && !/^<[^\s<>@]+@[^\s<>@]+>$/.test(mail.messageId)) {
      throw new ValidationError('messageId must be <left@right>', [{ path: 'messageId', message: 'not a Message-ID' }]);
    }
    const messageId = mail.messageId ?? this.newMessageId();
    const marker = mailMarker(await this.hashingKey(), messageId);
    const composer = new MailComposer({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId,
      date: this.clock.now(),
      ...(mail.replyTo === undefined ? {} : { replyTo: mail.replyTo }),
      ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
      ...(mail.references === undefined ? {} : { references: mail.references }),
      headers: { ...(mail.autoSubmitted === 'no' ? {} : { 'Auto-Submitted': mail.autoSubmitted }), [MARKER_HEADER]: marker },
    });
    const raw = await composer.compile().build();
    return { raw, messageId, marker };
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    const { raw, messageId, marker } = await this.compose(mail);
    const result = await this.ses.send(
      new SendRawEmailCommand({ RawMessage: { Data: raw }, Source: this.from, Destinations: mail.to }),
    );
    return { messageId, sesMessageId: result.MessageId, marker };
  }
}
