import { createHash, timingSafeEqual } from 'node:crypto';
import type { EmulatorApp } from './types';

/** Parsing of the two Authorization schemes Pinterest uses: Basic (token endpoint) and Bearer (API). */

function sameSecret(a: string, b: string): boolean {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const digest = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The client id when the header carries this app's exact credentials. Nothing is trimmed: a
 * base64-encoded trailing newline (the usual integration mistake; Pinterest answers 401 code 2) fails
 * here too.
 */
export function authenticateClient(app: EmulatorApp, header: string | undefined): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header ?? '');
  const encoded = match?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  return clientId === app.clientId && sameSecret(secret, app.clientSecret) ? clientId : undefined;
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer (\S+)$/i.exec(header ?? '');
  return match?.[1];
}
