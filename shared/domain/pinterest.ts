/**
 * Pinterest facts the product's rules depend on: the two environments (sandbox and production, each
 * with its own hosts and tokens), the scopes Pinterest knows, and the scopes publishing needs (the
 * privacy policy's posting boundary).
 */

export const environments = ['sandbox', 'production'] as const;
export type PinterestEnvironment = (typeof environments)[number];

export const knownScopes = [
  'ads:read',
  'ads:write',
  'billing:read',
  'billing:write',
  'biz_access:read',
  'biz_access:write',
  'boards:read',
  'boards:read_secret',
  'boards:write',
  'boards:write_secret',
  'catalogs:read',
  'catalogs:write',
  'pins:read',
  'pins:read_secret',
  'pins:write',
  'pins:write_secret',
  'user_accounts:read',
  'user_accounts:write',
  'msot:write',
] as const;

/** What the product asks for at the authorize page, in this order (comma-separated there). */
export const requestedScopes = ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'] as const;

/** What `POST /v5/pins` needs; publishing is refused until all are granted. */
export const publishingScopes = ['boards:read', 'boards:write', 'pins:read', 'pins:write'] as const;

/** Pinterest returns scopes space-separated; the authorize page accepts commas or spaces. */
export function parseScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/[\s,]+/).filter((s) => s !== ''))];
}

export function missingScopes(granted: readonly string[], needed: readonly string[]): string[] {
  return needed.filter((scope) => !granted.includes(scope));
}

/** The web address of a Pin (for the operator; not an API call). */
export function pinWebUrl(pinId: string): string {
  return `https://www.pinterest.com/pin/${encodeURIComponent(pinId)}/`;
}
