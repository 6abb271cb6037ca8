import * as z from '../zod';
import { environments, type PinterestEnvironment } from './pinterest';
import { keyedHash } from './keyed-hash';
import { normalEmail } from './mail-rules';

export { normalEmail };

/**
 * Privacy requests (POST /privacy/requests): a person's access (export) or erasure (delete) request,
 * made by the operator on their behalf, about a Pinterest account, an email address, or both. Each is
 * kept as a compliance record in the audit table for RETENTION_COMPLIANCE_DAYS: what was asked, when,
 * what was done and how many records each step touched, with the subject present only as keyed
 * hashes (enough to find earlier requests about the same subject, never enough to read it back).
 */

export const privacyRequestTypes = ['export', 'delete'] as const;
export type PrivacyRequestType = (typeof privacyRequestTypes)[number];

/** What a request is about: a Pinterest account (optionally one environment's), an email address, or both. */
export interface PrivacySubject {
  pinterestAccountId?: string;
  environment?: PinterestEnvironment;
  email?: string;
}

export const complianceRecordSchema = z.object({
  id: z.string(),
  type: z.enum(privacyRequestTypes),
  /**
   * `started` is written before any erasure; a request that stopped half way stays visible as such,
   * and sending it again finishes it: the later request's record is `completed`, the earlier one
   * becomes `superseded` (naming the later one in `supersededBy`).
   */
  status: z.enum(['started', 'completed', 'superseded']),
  supersededBy: z.optional(z.string()),
  requestedAt: z.string(),
  completedAt: z.optional(z.string()),
  subject: z.object({
    /** Keyed hashes of the identifiers asked about (`subjectHashes`), never the identifiers. */
    hashes: z.array(z.string()),
    kinds: z.array(z.enum(['pinterest_account', 'email'])),
    environment: z.optional(z.enum(environments)),
  }),
  /** The support ticket the request arrived in, if any. */
  ticketId: z.optional(z.string()),
  counts: z.record(z.string(), z.number()),
  /** An export's document: where it is kept and until when. */
  export: z.optional(z.object({ key: z.string(), expiresAt: z.string(), erasedAt: z.optional(z.string()) })),
  version: z.number(),
});
export type ComplianceRecord = z.infer<typeof complianceRecordSchema>;

/** The keyed hashes a compliance record keeps of its subject: one per identifier. */
export function subjectHashes(key: Buffer, subject: PrivacySubject): string[] {
  return [
    ...(subject.pinterestAccountId === undefined ? [] : [keyedHash(key, 'account-subject', subject.pinterestAccountId)]),
    ...(subject.email === undefined ? [] : [keyedHash(key, 'email-subject', normalEmail(subject.email))]),
  ];
}


/**
 * A request id: the time it was made (sortable, so listing by id is listing by time) and 8 random hex
 * characters: `20261202T101500123Z-1a2b3c4d`.
 */
export function newRequestId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${random.slice(0, 8)}`;
}
export const requestIdPattern = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

/**
 * A security-log value replaced by its pseudonym: the keyed hash of the whole value, so entries about
 * the same thing stay linkable to each other without naming it.
 */
export function pseudonym(key: Buffer, value: string): string {
  return `pseudonym:${keyedHash(key, 'pseudonym', value)}`;
}
