import type { EmulatorApp, EmulatorUser } from './types';

/**
 * Pinterest facts the emulator reproduces (OAuth, scopes, token lifetimes, rate limits, error
 * messages). Deliberately not imported from the product's `shared/domain/pinterest.ts`: the emulator
 * stands in for the real service, so a mistake in the product's copy must not be mirrored here.
 */

/** Every scope in the OpenAPI description, with its consent-page wording from the spec. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'ads:read': 'See all of your advertising data, including ads, ad groups, campaigns etc.',
  'ads:write': 'Create, update, or delete ads, ad groups, campaigns etc.',
  'billing:read': 'See all of your billing data, billing profile, etc.',
  'billing:write': 'Create, update, or delete billing data, billing profiles, etc.',
  'biz_access:read': 'See business access data',
  'biz_access:write': 'Create, update, or delete business access data',
  'boards:read': 'See your public boards, including group boards you join',
  'boards:read_secret': 'See your secret boards',
  'boards:write': 'Create, update, or delete your public boards',
  'boards:write_secret': 'Create, update, or delete your secret boards',
  'catalogs:read': 'See all of your catalogs data',
  'catalogs:write': 'Create, update, or delete your catalogs data',
  'msot:write': 'Create measurement source of truth events',
  'pins:read': 'See your public Pins',
  'pins:read_secret': 'See your secret Pins',
  'pins:write': 'Create, update, or delete your public Pins',
  'pins:write_secret': 'Create, update, or delete your secret Pins',
  'user_accounts:read': 'See your user accounts and followers',
  'user_accounts:write': 'Update your user accounts and followers',
};

export const KNOWN_SCOPES: readonly string[] = Object.keys(SCOPE_DESCRIPTIONS);

export function isKnownScope(scope: string): boolean {
  return Object.hasOwn(SCOPE_DESCRIPTIONS, scope);
}

/** Scopes arrive separated by commas, spaces or both (`a, b`); duplicates collapse. */
export function parseScopeList(raw: string | null | undefined): string[] {
  return [...new Set((raw ?? '').split(/[\s,]+/).filter((s) => s !== ''))];
}

/** A stable order (the spec's) so `scope` answers do not depend on the order of past grants. */
export function sortScopes(scopes: Iterable<string>): string[] {
  const set = new Set(scopes);
  return KNOWN_SCOPES.filter((s) => set.has(s));
}

export const CODE_TTL_MS = 10 * 60 * 1000;
/** How long a manual consent page stays answerable (a guess: same as a code). */
export const PENDING_CONSENT_TTL_MS = 10 * 60 * 1000;
export const ACCESS_TOKEN_TTL_S = 2_592_000;
export const REFRESH_TOKEN_TTL_S = 5_184_000;

export const MESSAGES = {
  authFailed: 'Authentication failed.',
  invalidGrant: 'The authorization grant is invalid',
  userAccountForbidden: 'Not authorized to access the user account.',
  notFound: 'Not found',
  spamBlock: "You've hit a block (Pins) we have in place to combat spam",
  imageUnreachable: 'Sorry, we could not fetch the image.',
  trialPinsInProduction:
    'Apps with Trial access may not create Pins in production https://api.pinterest.com - use API Sandbox https://api-sandbox.pinterest.com instead.',
  notPermitted: 'You are not permitted to access that resource.',
  rateLimited:
    'This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits or if multiple write operations are applied to an object within a short time window.',
} as const;

export const DEFAULT_APP: EmulatorApp = {
  clientId: '1500000000001',
  clientSecret: 'emulator-client-secret-0001',
  redirectUris: [],
  tier: 'trial',
};

export const DEFAULT_USERS: readonly EmulatorUser[] = [
  { id: '1000000000000000001', username: 'miradigitalzen', accountType: 'BUSINESS', businessName: 'MiraDigitalZen' },
  { id: '1000000000000000002', username: 'someone_else', accountType: 'PINNER' },
];
