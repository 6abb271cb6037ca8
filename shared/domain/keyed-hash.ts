import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Keyed hashes (HMAC-SHA256 with the app's hashing key) for everything the product must recognise
 * again but never store in clear: client addresses, OAuth codes, states, tickets and nonces,
 * pseudonyms, our mail marker. The purpose is mixed in, so a hash made for one use never matches
 * another (a state's hash is not a ticket's hash).
 */

export type HashPurpose =
  | 'client-address'
  | 'rate-limit-client'
  | 'oauth-code'
  | 'oauth-state'
  | 'oauth-ticket'
  | 'oauth-nonce'
  | 'pseudonym'
  | 'email-subject'
  | 'account-subject'
  | 'mail-recipient'
  | 'mail-marker';

export function keyedHash(key: Buffer, purpose: HashPurpose, value: string): string {
  return createHmac('sha256', key).update(`${purpose}\u0000${value}`, 'utf8').digest('base64url');
}

/** Constant-time comparison of two base64url hashes (or any two strings). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The marker header value on every mail we send, bound to its Message-ID. */
export function mailMarker(key: Buffer, messageId: string): string {
  return `v1.${keyedHash(key, 'mail-marker', messageId.trim())}`;
}

/** True when an inbound mail carries a marker only we could have made for its Message-ID. */
export function isOurMailMarker(key: Buffer, messageId: string, marker: string): boolean {
  return sameHash(mailMarker(key, messageId), marker.trim());
}
