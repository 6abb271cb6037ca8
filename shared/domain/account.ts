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
  refreshLockUntil: z.optional(z.number()),
  connectedAt: z.string(),
  confirmedAt: z.optional(z.string()),
  version: z.number().check(z.int()),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;

/** The account id that is pinned for an environment: configured, or confirmed once by the operator. */
export interface ExpectedAccount {
  accountId: string;
  source: 'configured' | 'confirmed';
}

/**
 * Status after a successful connection: missing scopes block everything; an account that matches the
 * expected one is connected; otherwise the operator must confirm it first.
 */
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
  };
}
