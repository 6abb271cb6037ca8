/**
 * Names of the secrets this deployment keeps in Secrets Manager, all under one prefix and grouped by
 * scope (`keys/`, `app/`, `operator/`, `tokens/`) so IAM can grant each function only the groups it needs
 * (infra/bind.ts): most functions need the hashing key, only the OAuth steps the Pinterest app secret.
 */
import * as z from './zod';

export const DEFAULT_SECRET_PREFIX = 'mdz-publisher/';

/** What a secret prefix may be: parts a secret name allows, separated by and ending with `/`. */
export const SECRET_PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*\/$/;

/** The hashing key secret's value: a usable key is at least 32 characters. */
export const hashingKeySecret = z.object({ hashingKey: z.string().check(z.minLength(32)) });

export function secretNames(prefix: string) {
  return {
    /** 32 random bytes (base64) for every keyed hash. */
    hashingKey: `${prefix}keys/hashing-key`,
    /** Pinterest app id and secret: `{ clientId, clientSecret }`. */
    pinterestApp: `${prefix}app/pinterest-client`,
    /** Hash of the operator credential: `{ algorithm, hash, createdAt }`. */
    operatorCredential: `${prefix}operator/credential`,
    /** One secret per connection, so a reconnect never collides with a secret being deleted. */
    tokens: (environment: string, accountId: string, connectionId: string) =>
      `${prefix}tokens/${environment}/${accountId}/${connectionId}`,
  };
}
