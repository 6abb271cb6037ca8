import { randomBytes } from 'node:crypto';
import type { SesEvent } from '../shared/use-cases/inbound-mail';

/**
 * The event an SES receipt rule's Lambda action sends (invocation type Event), built for local mode
 * (`npm run mail:receive`) and the tests: the shape AWS documents for it ("Invoking Lambda
 * functions": the `mail` object with the envelope and a few headers, the `receipt` object with the
 * recipients, the five verdicts, the DMARC policy when DMARC failed, and the action). The rule's S3
 * action has stored the raw message under `mail/inbound/<messageId>` before it runs.
 */

export type VerdictName = 'spam' | 'virus' | 'spf' | 'dkim' | 'dmarc';

export interface SesEventOptions {
  messageId: string;
  /** The envelope sender (MAIL FROM); '' for a bounce. */
  source?: string;
  /** Each verdict's status; PASS unless given. */
  verdicts?: Partial<Record<VerdictName, string>>;
  /** Present only when DMARC failed, as SES sends it. */
  dmarcPolicy?: string;
  timestamp?: string;
  recipients?: string[];
  subject?: string;
  from?: string;
  /** The message's own Message-ID header, when it has one. */
  messageIdHeader?: string;
  /** The function SES invokes (only shown in the event). */
  functionArn?: string;
}

/**
 * SES's event for a receipt rule's Lambda action (invocation type Event), as AWS documents it
 * ("Invoking Lambda functions", the event's `mail` and `receipt` objects). The rule's S3 action
 * stored the raw message under the inbound prefix before it.
 */
export function sesEvent(options: SesEventOptions): SesEvent {
  const timestamp = options.timestamp ?? '2026-07-01T10:00:00.000Z';
  const source = options.source ?? 'reader@example.org';
  const recipients = options.recipients ?? ['info@ecooffice.net'];
  const from = options.from ?? source;
  const subject = options.subject ?? 'Question about my Pins';
  const verdict = (name: VerdictName) => ({ status: options.verdicts?.[name] ?? 'PASS' });
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp,
            source,
            messageId: options.messageId,
            destination: recipients,
            headersTruncated: false,
            headers: [
              { name: 'Return-Path', value: `<${source}>` },
              { name: 'From', value: from },
              { name: 'To', value: recipients.join(', ') },
              { name: 'Subject', value: subject },
              ...(options.messageIdHeader === undefined ? [] : [{ name: 'Message-ID', value: options.messageIdHeader }]),
            ],
            commonHeaders: {
              returnPath: source,
              from: [from],
              date: new Date(timestamp).toUTCString(),
              to: recipients,
              ...(options.messageIdHeader === undefined ? {} : { messageId: options.messageIdHeader }),
              subject,
            },
          },
          receipt: {
            timestamp,
            processingTimeMillis: 417,
            recipients,
            spamVerdict: verdict('spam'),
            virusVerdict: verdict('virus'),
            spfVerdict: verdict('spf'),
            dkimVerdict: verdict('dkim'),
            dmarcVerdict: verdict('dmarc'),
            ...(options.dmarcPolicy === undefined ? {} : { dmarcPolicy: options.dmarcPolicy }),
            action: { type: 'Lambda', functionArn: options.functionArn ?? 'arn:aws:lambda:eu-west-1:123456789012:function:publisher-inbound-mail', invocationType: 'Event' },
          },
        },
      },
    ],
  };
}

/** A message id shaped like SES's (lower-case letters and digits, 40 characters). */
export function newSesMessageId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((byte) => alphabet.charAt(byte % alphabet.length)).join('');
}
