import type { AccountRecord } from '../domain/account';
import type { Clock } from '../domain/ports';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { NewSecurityEvent } from '../domain/security-event';

/**
 * The ports the connect use cases need. Adapters in shared/adapters implement them; tests may pass
 * in-memory fakes. Use cases never import AWS or HTTP code.
 */

export interface TicketRecord {
  environment: PinterestEnvironment;
  ticketId: string;
  createdAt: string;
  expiresAt: number;
}

export interface StateRecord extends TicketRecord {
  nonceHash: string;
}

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
}

export interface TokenVaultPort {
  store(env: PinterestEnvironment, accountId: string, connectionId: string, tokens: { accessToken: string; refreshToken: string }): Promise<string>;
  delete(secretName: string): Promise<void>;
}

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  scope?: string | undefined;
  refresh_token?: string | undefined;
  refresh_token_expires_in?: number | undefined;
  refresh_token_expires_at?: number | undefined;
}

export interface PinterestOAuthPort {
  exchangeCode(
    env: PinterestEnvironment,
    app: { clientId: string; clientSecret: string },
    grant: { code: string; redirectUri: string },
    timeoutMs?: number,
  ): Promise<{ data: TokenAnswer; requestId: string | undefined }>;
  userAccount(
    env: PinterestEnvironment,
    accessToken: string,
    timeoutMs?: number,
  ): Promise<{ data: { id: string; username: string; account_type?: string | undefined; business_name?: string | null | undefined } }>;
}

export interface SecurityLogPort {
  write(event: NewSecurityEvent): Promise<unknown>;
}

export interface ConnectSettings {
  publicBaseUrl: string;
  authorizeUrl: string;
  expectedAccountId: string | undefined;
  stateMinutes: number;
}

export interface ConnectDeps {
  clock: Clock;
  /** 32 random bytes, base64url (≥ 128 bits for tickets, states and nonces). */
  randomToken: () => string;
  newId: () => string;
  hashingKey: () => Promise<Buffer>;
  oauthState: OAuthStatePort;
  accounts: AccountsPort;
  vault: TokenVaultPort;
  pinterest: PinterestOAuthPort;
  appCredentials: () => Promise<AppCredentials>;
  securityLog: SecurityLogPort;
  settings: ConnectSettings;
  /** Budget for each Pinterest call, so the serial calls of one callback fit the Lambda timeout. */
  pinterestTimeoutMs: number;
}

/** Facts about the HTTP request, for the security log. */
export interface RequestFacts {
  method: string;
  path: string;
  userAgent?: string;
  clientAddress?: string;
  requestId?: string;
}

/** The Pinterest app's id and secret (HTTP Basic at the token endpoint). */
export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}
