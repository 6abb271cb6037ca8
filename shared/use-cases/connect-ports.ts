import type { AccountRecord } from '../domain/account';
import type { Clock } from '../domain/time';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { RequestFacts, SecurityLogPort } from '../domain/security-event';
import type { StateRecord, TicketRecord } from '../domain/oauth';
import type { AppCredentials, PinterestAccount, TokenResponse } from '../domain/pinterest-api';
import type { TokenSecret } from '../domain/tokens';

export type { AppCredentials, RequestFacts, SecurityLogPort, StateRecord, TicketRecord };

/**
 * The ports the connect use cases need. Adapters in shared/adapters implement them; tests may pass
 * in-memory fakes. Use cases never import AWS or HTTP code.
 */

export interface OAuthStatePort {
  putTicket(ticketHash: string, record: TicketRecord): Promise<void>;
  consumeTicket(ticketHash: string): Promise<TicketRecord | undefined>;
  putState(stateHash: string, record: StateRecord): Promise<void>;
  /**
   * Spends the state only for the browser that holds its nonce (one conditional delete on the state
   * and the nonce hash), so a leaked callback URL opened elsewhere cannot spoil the real sign-in.
   * `wrong_browser`: the state exists and stays for the right browser; `unknown`: missing, used or expired.
   */
  consumeState(stateHash: string, nonceHash: string | undefined): Promise<ConsumedState>;
}

export type ConsumedState = { kind: 'consumed'; record: StateRecord } | { kind: 'wrong_browser'; environment: PinterestEnvironment } | { kind: 'unknown' };

export interface AccountsPort {
  get(env: PinterestEnvironment): Promise<AccountRecord | undefined>;
  pinned(env: PinterestEnvironment): Promise<{ accountId: string } | undefined>;
  replace(account: Omit<AccountRecord, 'version'>, previous: AccountRecord | undefined): Promise<AccountRecord>;
  confirm(current: AccountRecord, confirmedAt: string): Promise<AccountRecord>;
  /** One conditional write on the version read (and any `expect`ed attribute); undefined removes. */
  update(current: AccountRecord, set: Partial<Omit<AccountRecord, 'version'>>, expect?: Record<string, string | number>): Promise<AccountRecord>;
}

export interface TokenVaultPort {
  store(env: PinterestEnvironment, accountId: string, connectionId: string, tokens: TokenSecret): Promise<string>;
  /** The secret through the short cache, or past it (after a 401, before deciding to refresh). */
  read(secretName: string, options?: { bypassCache?: boolean }): Promise<TokenSecret | undefined>;
  /**
   * A new current version of the secret (the previous one stays as AWSPREVIOUS); `gone` when the
   * secret no longer exists (a disconnect or reconnect deleted it meanwhile).
   */
  update(secretName: string, tokens: TokenSecret): Promise<'updated' | 'gone'>;
  delete(secretName: string): Promise<void>;
}

export interface PinterestOAuthPort {
  exchangeCode(env: PinterestEnvironment, app: AppCredentials, grant: { code: string; redirectUri: string }, timeoutMs?: number): Promise<{ data: TokenResponse }>;
  userAccount(env: PinterestEnvironment, accessToken: string, timeoutMs?: number): Promise<{ data: PinterestAccount }>;
}

export interface ConnectSettings {
  publicBaseUrl: string;
  authorizeUrl: string;
  expectedAccountId: string | undefined;
  stateMinutes: number;
}

/** What the steps that never call Pinterest need (start link, account confirmation). */
export interface OAuthDeps {
  clock: Clock;
  /** 32 random bytes, base64url (≥ 128 bits for tickets, states and nonces). */
  randomToken: () => string;
  newId: () => string;
  hashingKey: () => Promise<Buffer>;
  oauthState: OAuthStatePort;
  accounts: AccountsPort;
  vault: TokenVaultPort;
  appCredentials: () => Promise<AppCredentials>;
  securityLog: SecurityLogPort;
  settings: ConnectSettings;
}

/** The callback's deps: the above plus Pinterest, so only the functions that call Pinterest carry its client. */
export interface ConnectDeps extends OAuthDeps {
  pinterest: PinterestOAuthPort;
  /** Budget for each Pinterest call, so the serial calls of one callback fit the Lambda timeout. */
  pinterestTimeoutMs: number;
}
