import * as z from '../zod';

/**
 * Support tickets: one per inbound message (keyed by SES's message id, so a redelivered event finds
 * it) or form request. Kept RETENTION_SUPPORT_DAYS (TTL). What was sent about it — the
 * acknowledgement, the operator's notice, replies — is recorded on it, each step at most once.
 */

const verdictStatus = z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'UNKNOWN']);

export const ticketSchema = z.object({
  reference: z.string(),
  source: z.enum(['mail', 'form']),
  status: z.enum(['open', 'closed']),
  /** Quarantined (spam, virus, DMARC reject): kept apart, never answered. */
  flagged: z.boolean(),
  quarantine: z.optional(z.array(z.enum(['spam', 'virus', 'dmarc_reject']))),
  sesMessageId: z.optional(z.string()),
  messageId: z.optional(z.string()),
  envelopeFrom: z.optional(z.string()),
  from: z.optional(z.object({ address: z.string(), name: z.string() })),
  subject: z.string(),
  receivedAt: z.string(),
  snippet: z.string(),
  attachments: z.array(z.object({ filename: z.string(), contentType: z.string(), size: z.number() })),
  /** Where the raw message is kept in the data bucket. */
  s3Key: z.optional(z.string()),
  verdicts: z.optional(
    z.object({ spam: verdictStatus, virus: verdictStatus, spf: verdictStatus, dkim: verdictStatus, dmarc: verdictStatus, dmarcPolicy: z.optional(z.string()) }),
  ),
  /** The message could not be read in full (truncated, garbage, missing object): said, never lost. */
  problem: z.optional(z.string()),
  /** `failed`: SES refused it (nothing went out); the operator may answer with the reply route. */
  acknowledgement: z.object({
    state: z.enum(['pending', 'sending', 'sent', 'skipped', 'failed']),
    reason: z.optional(z.string()),
    to: z.optional(z.string()),
    messageId: z.optional(z.string()),
    at: z.optional(z.string()),
  }),
  operatorNotifiedAt: z.optional(z.string()),
  /** The Message-ID of the operator's notice about the ticket (kept across a retried send). */
  operatorNoticeId: z.optional(z.string()),
  /**
   * This message is our own mail that belongs to no ticket (a token notice sent to an address SES
   * receives for us, say): kept as a ticket so it is not lost, never answered, no operator notice.
   */
  ours: z.optional(z.literal(true)),
  /** Our own mail that came back (a loop): kept and linked, never answered. */
  returned: z.optional(z.array(z.object({ at: z.string(), sesMessageId: z.string(), s3Key: z.string() }))),
  /**
   * The operator's replies, oldest first. Each is recorded `sending` before it goes to SES, then
   * `sent` with its Message-ID, or `failed` (SES refused it: nothing went out).
   */
  replies: z.array(
    z.object({
      id: z.string(),
      at: z.string(),
      to: z.string(),
      subject: z.string(),
      text: z.string(),
      state: z.enum(['sending', 'sent', 'failed']),
      messageId: z.optional(z.string()),
      sentAt: z.optional(z.string()),
    }),
  ),
  closedAt: z.optional(z.string()),
  /** A request about personal data (the form's data access or deletion topics). */
  privacyCandidate: z.optional(z.enum(['data_access', 'data_deletion'])),
  /** The support form's topic, and the whole message as submitted (a form request has no raw mail). */
  topic: z.optional(z.enum(['support', 'data_access', 'data_deletion', 'other'])),
  text: z.optional(z.string()),
  /**
   * A form request forwarded to SUPPORT_EMAIL: claimed (`sending`) before SES is asked, then `sent`
   * with its Message-ID (so the copy arriving back through inbound mail is linked, not a new ticket),
   * or `failed` (SES refused it: the ticket is the record).
   */
  forwarded: z.optional(z.object({ state: z.enum(['sending', 'sent', 'failed']), messageId: z.optional(z.string()), at: z.optional(z.string()) })),
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Ticket = z.infer<typeof ticketSchema>;
