import * as z from '../zod';
import type { AccountRecord } from './account';
import type { TokenResponse } from './pinterest-api';

/**
 * The token lifecycle's pure rules: what a connection's secret holds, when a refresh is due, and what
 * a refresh answer becomes.
 *
 * The secret describes itself: besides the two tokens it carries its own `tokenVersion` and expiries.
 * A refresh writes the secret first and the account's metadata second, so a crash between the two
 * leaves the newest tokens in the secret with a version ahead of the account's; whoever reads next
 * sees that and brings the metadata up to date from the secret. The newest refresh token is never
 * only in memory once Pinterest's answer has been read.
 */

export const tokenSecretSchema = z.object({
  accessToken: z.string().check(z.minLength(1)),
  refreshToken: z.string().check(z.minLength(1)),
  /** Absent in secrets written before the lifecycle existed: read as version 1. */
  tokenVersion: z.optional(z.number().check(z.int(), z.positive())),
  accessTokenExpiresAt: z.optional(z.string()),
  refreshTokenExpiresAt: z.optional(z.string()),
});
export type TokenSecret = z.infer<typeof tokenSecretSchema>;

export interface LifecycleSettings {
  /** Refresh when the access token has fewer days than this left. */
  refreshAccessDays: number;
  /** Refresh (and warn if that does not help) when the refresh token has fewer days than this left. */
  refreshWarnDays: number;
}

const DAY_MS = 86_400_000;

function daysLeft(iso: string | undefined, now: Date): number {
  return iso === undefined ? Number.POSITIVE_INFINITY : (Date.parse(iso) - now.getTime()) / DAY_MS;
}

/** Why an account should be refreshed now, or undefined when it need not be. */
export function refreshReason(account: Pick<AccountRecord, 'accessTokenExpiresAt' | 'refreshTokenExpiresAt'>, now: Date, settings: LifecycleSettings): 'access_token_expiring' | 'refresh_token_expiring' | undefined {
  if (daysLeft(account.accessTokenExpiresAt, now) < settings.refreshAccessDays) return 'access_token_expiring';
  if (daysLeft(account.refreshTokenExpiresAt, now) < settings.refreshWarnDays) return 'refresh_token_expiring';
  return undefined;
}

/** The refresh token is close to its end even after refreshing: the operator must reconnect soon. */
export function refreshTokenEnding(account: Pick<AccountRecord, 'refreshTokenExpiresAt'>, now: Date, settings: LifecycleSettings): boolean {
  return daysLeft(account.refreshTokenExpiresAt, now) < settings.refreshWarnDays;
}

/** A secret's version (secrets from before the lifecycle count as 1). */
export function versionOf(secret: TokenSecret): number {
  return secret.tokenVersion ?? 1;
}

/**
 * The next secret after a refresh answer: the new access token; the rotated refresh token and its
 * expiry, or — when the answer carries none — the old refresh token and expiry kept as they were.
 */
export function rotatedSecret(previous: TokenSecret, answer: TokenResponse, now: Date): TokenSecret {
  const refreshExpiry =
    answer.refresh_token_expires_at !== undefined
      ? new Date(answer.refresh_token_expires_at * 1000).toISOString()
      : answer.refresh_token_expires_in !== undefined
        ? new Date(now.getTime() + answer.refresh_token_expires_in * 1000).toISOString()
        : undefined;
  const rotated = answer.refresh_token !== undefined;
  const refreshTokenExpiresAt = rotated ? refreshExpiry : previous.refreshTokenExpiresAt;
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token ?? previous.refreshToken,
    tokenVersion: versionOf(previous) + 1,
    accessTokenExpiresAt: new Date(now.getTime() + answer.expires_in * 1000).toISOString(),
    ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
  };
}
