import { createHash } from 'node:crypto';
import * as z from '../zod';
import { sameHash } from './keyed-hash';

/**
 * The operator credential is a random bearer value (≥ 32 characters, ≥ 192 bits when generated); only
 * its SHA-256 is stored. A fast hash is enough for a high-entropy random value, and keeps the
 * authorizer cheap; short, guessable credentials are refused instead of slow-hashed.
 */
export const MIN_CREDENTIAL_LENGTH = 32;

export const operatorCredentialRecord = z.object({
  algorithm: z.literal('sha256'),
  hash: z.string().check(z.minLength(43)),
  createdAt: z.string(),
});
export type OperatorCredentialRecord = z.infer<typeof operatorCredentialRecord>;

export function hashOperatorCredential(credential: string, now: Date): OperatorCredentialRecord {
  if (credential.length < MIN_CREDENTIAL_LENGTH || /\s/.test(credential)) {
    throw new Error(`The operator credential must be at least ${MIN_CREDENTIAL_LENGTH} characters without spaces`);
  }
  return {
    algorithm: 'sha256',
    hash: createHash('sha256').update(credential, 'utf8').digest('base64url'),
    createdAt: now.toISOString(),
  };
}

/** Constant-time check of a presented credential against the stored record. */
export function credentialMatches(presented: string, record: OperatorCredentialRecord): boolean {
  const hash = createHash('sha256').update(presented, 'utf8').digest('base64url');
  return sameHash(hash, record.hash);
}
