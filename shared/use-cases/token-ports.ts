import type { NoticeKind } from '../domain/account';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { AppCredentials, PinterestAccount, TokenResponse } from '../domain/pinterest-api';
import type { SecurityLogPort } from '../domain/security-event';
import type { Clock } from '../domain/time';
import type { LifecycleSettings } from '../domain/tokens';
import type { AccountsPort, TokenVaultPort } from './connect-ports';

/** The ports the token lifecycle (refresh, revocation, notices, disconnect) works through. */

/** Supplies access tokens to a Pinterest call and renews one Pinterest refused. */
export interface TokenSource {
  current(): Promise<string>;
  renewAfterUnauthorized(refused: string): Promise<string>;
}

export interface PinterestTokensPort {
  refresh(env: PinterestEnvironment, app: AppCredentials, refreshToken: string): Promise<{ data: TokenResponse }>;
  userAccount(env: PinterestEnvironment, accessToken: string): Promise<{ data: PinterestAccount }>;
  /** Runs a call with a token; after a 401 code 2, renews it through the source and retries once. */
  withToken<T>(tokens: TokenSource, call: (accessToken: string) => Promise<T>): Promise<T>;
}

/** A plain-text mail to the operator (OPERATOR_NOTIFY_EMAIL). */
export interface OperatorNotifier {
  notify(notice: { kind: NoticeKind; environment: PinterestEnvironment; subject: string; text: string }): Promise<void>;
}

export interface TokenSettings extends LifecycleSettings {
  /** How long a refresh lease holds: longer than any function that may refresh can run. */
  leaseMs: number;
  /** How often a caller waiting for another's refresh looks again. */
  pollMs: number;
  /**
   * How long a caller waits for another's refresh at most (default: as long as its lease holds). A
   * function with a short deadline (Pin creation) gives up instead of being killed mid-wait.
   */
  waitLimitMs?: number;
  /** Refresh failing (network, 5xx, 429) for this long is mailed. */
  failingNoticeAfterMs: number;
  /** A disconnected account is kept this long for audit, then expires (TTL). */
  disconnectedRetentionDays: number;
  /** The link the operator's mails point to, to connect again. */
  publicBaseUrl: string;
}

export interface TokenDeps {
  clock: Clock;
  newId: () => string;
  sleep: (ms: number) => Promise<void>;
  accounts: AccountsPort;
  vault: TokenVaultPort;
  pinterest: PinterestTokensPort;
  appCredentials: () => Promise<AppCredentials>;
  securityLog: SecurityLogPort;
  notifier: OperatorNotifier;
  settings: TokenSettings;
}
