import * as z from '../zod';
import { environments, missingScopes, publishingScopes } from './pinterest';

/**
 * The connected Pinterest account of one environment, and the rules for its status. Tokens are never
 * part of it: they live in Secrets Manager under `secretName`; only their expiries are kept here.
 */

export const accountStatuses = [
  'pending_confirmation',
  'connected',
  'missing_scopes',
  'reauthorization_required',
  'disconnected',
] as const;
export type AccountStatus = (typeof accountStatuses)[number];

export const accountRecordSchema = z.object({
  environment: z.enum(environments),
  status: z.enum(accountStatuses),
  accountId: z.string(),
  username: z.string(),
  accountType: z.optional(z.string()),
  businessName: z.optional(z.nullable(z.string())),
  scopes: z.array(z.string()),
  connectionId: z.string(),
  secretName: z.string(),
  accessTokenExpiresAt: z.string(),
  refreshTokenExpiresAt: z.optional(z.string()),
  tokenVersion: z.number().check(z.int()),
  /** The refresh lease: until when (epoch ms) and whose (a refresh's own id). */
  refreshLockUntil: z.optional(z.number()),
  refreshLeaseId: z.optional(z.string()),
  lastRefreshAt: z.optional(z.string()),
  /** When refreshing started to fail for a reason other than revocation (network, 5xx, 429). */
  refreshFailingSince: z.optional(z.string()),
  /** When the last refresh attempt failed (so callers waiting on it do not each try again). */
  lastRefreshFailedAt: z.optional(z.string()),
  /** Operator notices already mailed, by condition, with when; a condition's entry goes when it clears. */
  notices: z.optional(z.partialRecord(z.enum(['revoked', 'refresh_failing', 'refresh_token_expiring', 'refresh_token_lost']), z.string())),
  /** Why the account needs reauthorization (revoked, refused after a refresh, …). */
  reauthorizationReason: z.optional(z.string()),
  disconnectedAt: z.optional(z.string()),
  /** TTL (epoch s): set only on a disconnected account, kept for audit until then. */
  expiresAt: z.optional(z.number()),
  connectedAt: z.string(),
  confirmedAt: z.optional(z.string()),
  version: z.number().check(z.int()),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;
export type NoticeKind = keyof NonNullable<AccountRecord['notices']>;

/** The account id that is pinned for an environment: configured, or confirmed once by the operator. */
export interface ExpectedAccount {
  accountId: string;
  source: 'configured' | 'confirmed';
}

/**
 * Status after a successful connection: missing scopes block everything; an account that matches the
 * expected one is connected; otherwise the operator must confirm it first.
 */
/** Statuses whose tokens are kept and refreshed (Pinterest may be called with them). */
export const liveStatuses = ['pending_confirmation', 'connected', 'missing_scopes'] as const satisfies readonly AccountStatus[];

export function statusAfterConnect(
  scopes: readonly string[],
  expected: ExpectedAccount | undefined,
): Extract<AccountStatus, 'pending_confirmation' | 'connected' | 'missing_scopes'> {
  if (missingScopes(scopes, publishingScopes).length > 0) return 'missing_scopes';
  return expected === undefined ? 'pending_confirmation' : 'connected';
}

/** What the operator sees: everything but tokens, plus what is missing. */
export function accountView(record: AccountRecord) {
  return {
    environment: record.environment,
    status: record.status,
    accountId: record.accountId,
    username: record.username,
    accountType: record.accountType ?? null,
    businessName: record.businessName ?? null,
    scopes: record.scopes,
    missingScopes: missingScopes(record.scopes, publishingScopes),
    accessTokenExpiresAt: record.accessTokenExpiresAt,
    refreshTokenExpiresAt: record.refreshTokenExpiresAt ?? null,
    connectedAt: record.connectedAt,
    confirmedAt: record.confirmedAt ?? null,
    confirmed: record.confirmedAt !== undefined,
    lastRefreshAt: record.lastRefreshAt ?? null,
    refreshFailingSince: record.refreshFailingSince ?? null,
    /** Open operator notices (a condition that was mailed and has not cleared), oldest first. */
    warnings: Object.entries(record.notices ?? {})
      .map(([kind, since]) => ({ kind, since }))
      .sort((a, b) => a.since.localeCompare(b.since)),
    ...(record.reauthorizationReason === undefined ? {} : { reauthorizationReason: record.reauthorizationReason }),
    ...(record.disconnectedAt === undefined ? {} : { disconnectedAt: record.disconnectedAt }),
  };
}
