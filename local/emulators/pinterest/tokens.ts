import { createHash, randomBytes } from 'node:crypto';
import { ACCESS_TOKEN_TTL_S, CODE_TTL_MS, REFRESH_TOKEN_TTL_S, sortScopes } from './constants';
import type { CodeRecord, EmulatorStore, TokenRecord, World } from './state';
import type { PinterestEnvironment } from './types';

/**
 * Codes, grants and tokens: the rules of Pinterest's authorization-code flow with continuous refresh
 * (each refresh returns a new refresh token). Handlers call these; nothing here knows about HTTP.
 */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Letters and digits only, like Pinterest's tokens (and safe in any header or form). */
export function randomAlphanumeric(length: number): string {
  // 248 is the largest multiple of 62 below 256: rejecting larger bytes avoids modulo bias.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC.charAt(byte % 62);
    }
  }
  return out;
}

function grantKey(clientId: string, userId: string): string {
  return `${clientId}:${userId}`;
}

export interface CodeBinding {
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
}

export function issueCode(store: EmulatorStore, binding: CodeBinding, nowMs: number): string {
  const code = randomAlphanumeric(40);
  store.state.codes.set(sha256(code), { ...binding, expiresMs: nowMs + CODE_TTL_MS });
  return code;
}

/** Consumes a code if it is live and was issued to this client for this redirect URI. */
export function redeemCode(
  store: EmulatorStore,
  request: { clientId: string; code: string; redirectUri: string },
  nowMs: number,
): CodeRecord | undefined {
  const key = sha256(request.code);
  const record = store.state.codes.get(key);
  if (record === undefined || record.expiresMs <= nowMs) return undefined;
  if (record.clientId !== request.clientId || record.redirectUri !== request.redirectUri) return undefined;
  // Deleting at once is what makes codes single-use: a replay finds nothing.
  store.state.codes.delete(key);
  return record;
}

/** A freshly minted token: the only moment its value is known (the store keeps its hash). */
export interface MintedToken {
  token: string;
  expiresIn: number;
  expiresAtS: number;
}

export interface TokenSet {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
  refresh?: MintedToken;
}

function mint(store: EmulatorStore, world: World, kind: 'access' | 'refresh', base: Omit<TokenRecord, 'expiresMs'>, nowMs: number): MintedToken {
  const ttl = kind === 'access' ? ACCESS_TOKEN_TTL_S : REFRESH_TOKEN_TTL_S;
  // A tag (tests' sentinel) goes right after the prefix, so the token keeps Pinterest's shape.
  const tag = store.tokenTag;
  const token = kind === 'access' ? `pina_${tag}${randomAlphanumeric(96)}` : `pinr${tag}${randomAlphanumeric(80)}`;
  const expiresMs = nowMs + ttl * 1000;
  (kind === 'access' ? world.accessTokens : world.refreshTokens).set(sha256(token), { ...base, expiresMs });
  return { token, expiresIn: ttl, expiresAtS: Math.floor(expiresMs / 1000) };
}

/**
 * Records the user's consent in that environment and issues tokens carrying every scope the user has
 * granted the app there so far (Pinterest's returned `scope` includes earlier grants, not only the
 * ones just requested).
 */
export function grantTokens(
  store: EmulatorStore,
  environment: PinterestEnvironment,
  consent: { clientId: string; userId: string; scopes: string[] },
  nowMs: number,
  withRefresh = true,
): TokenSet {
  const world = store.world(environment);
  const key = grantKey(consent.clientId, consent.userId);
  const scopes = sortScopes([...(world.grants.get(key)?.scopes ?? []), ...consent.scopes]);
  world.grants.set(key, { clientId: consent.clientId, userId: consent.userId, scopes });
  const base = { clientId: consent.clientId, userId: consent.userId, scopes };
  const access = mint(store, world, 'access', base, nowMs);
  const refresh = withRefresh ? mint(store, world, 'refresh', base, nowMs) : undefined;
  return { accessToken: access.token, expiresIn: access.expiresIn, scopes, ...(refresh === undefined ? {} : { refresh }) };
}

export interface RefreshRequest {
  clientId: string;
  refreshToken: string;
  /** A subset of the granted scopes for the new access token; absent = all of them. */
  scopes: string[] | undefined;
  /** False when a fault withholds the new refresh token: the old one then stays valid. */
  rotate: boolean;
}

/** Continuous refresh: a new access token and a new refresh token; the old refresh token dies. */
export function refreshTokens(
  store: EmulatorStore,
  environment: PinterestEnvironment,
  request: RefreshRequest,
  nowMs: number,
): TokenSet | undefined {
  const world = store.world(environment);
  const key = sha256(request.refreshToken);
  const record = world.refreshTokens.get(key);
  if (record === undefined || record.expiresMs <= nowMs || record.clientId !== request.clientId) return undefined;
  if (!world.grants.has(grantKey(record.clientId, record.userId))) return undefined;
  const wanted = request.scopes ?? record.scopes;
  if (wanted.some((s) => !record.scopes.includes(s))) return undefined;
  const scopes = sortScopes(wanted);
  const access = mint(store, world, 'access', { clientId: record.clientId, userId: record.userId, scopes }, nowMs);
  if (!request.rotate) return { accessToken: access.token, expiresIn: access.expiresIn, scopes };
  world.refreshTokens.delete(key);
  // The new refresh token keeps the full grant: narrowing applies to the access token only (RFC 6749 §6).
  const refresh = mint(store, world, 'refresh', { clientId: record.clientId, userId: record.userId, scopes: record.scopes }, nowMs);
  return { accessToken: access.token, expiresIn: access.expiresIn, scopes, refresh };
}

/** The live access token behind a bearer value in this environment, if any. */
export function findAccessToken(store: EmulatorStore, environment: PinterestEnvironment, token: string, nowMs: number): TokenRecord | undefined {
  const record = store.world(environment).accessTokens.get(sha256(token));
  return record !== undefined && record.expiresMs > nowMs ? record : undefined;
}

/** The user removed the app: the grant and every token issued under it are gone. */
export function revokeGrant(store: EmulatorStore, environment: PinterestEnvironment, userId: string): void {
  const world = store.world(environment);
  for (const records of [world.grants, world.accessTokens, world.refreshTokens]) {
    for (const [key, record] of records) if (record.userId === userId) records.delete(key);
  }
}

export function expireAccessTokens(store: EmulatorStore, environment: PinterestEnvironment, userId: string | undefined, nowMs: number): void {
  for (const record of store.world(environment).accessTokens.values()) {
    if (userId === undefined || record.userId === userId) record.expiresMs = Math.min(record.expiresMs, nowMs);
  }
}
