import { PinterestApiError, PinterestNetworkError } from '../../shared/adapters/pinterest/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { accountSchema, tokenResponseSchema, type AppCredentials, type PinterestAccount, type TokenResponse } from '../../shared/domain/pinterest-api';
import type { Clock } from '../../shared/domain/time';
import type { PinterestOAuthPort } from '../../shared/use-cases/connect-ports';
import type { PinterestTokensPort, TokenSource } from '../../shared/use-cases/token-ports';
import { io } from './memory-stores';

/**
 * Pinterest's OAuth endpoints as scripted answers: by default every code is exchanged for a fresh,
 * fully scoped token pair and the token belongs to Mira's business account. Tests change the answer
 * (or make a call throw one of the client's errors from shared/adapters/pinterest/errors.ts) and read
 * back every call made.
 *
 * Tokens are tracked as Pinterest tracks them: every access and refresh token issued (or granted by a
 * test) is live in its environment until it expires (when a clock is given), is revoked, or — for a
 * refresh token — is rotated away: a refresh answers a new access token and a new refresh token, and
 * the old refresh token is then refused with 400 code 283 (continuous refresh). Old access tokens keep
 * working until they expire, as with Pinterest. `userAccount` answers for a live access token only
 * (401 code 2 otherwise). Refresh failures can be scripted per call.
 */

/**
 * A scripted refresh failure: 5xx (not processed), 429, a network error before sending (not
 * processed), an answer lost after Pinterest rotated the tokens (a timeout after sending), or any
 * error as is.
 */
export type RefreshFailure = 'server_error' | 'rate_limited' | 'not_sent' | 'lost_after_rotation' | Error;

/** A refresh call stopped at a point until the test releases it. */
export interface Hold {
  /** Resolves when the held call has reached its point. */
  readonly reached: Promise<void>;
  release(): void;
}

interface Issued {
  environment: PinterestEnvironment;
  /** Epoch ms, or undefined: never expires. */
  expiresAt: number | undefined;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

export const MIRA: PinterestAccount = { id: '1000000000000000001', username: 'mira', account_type: 'BUSINESS', business_name: 'Mira Digital Zen' };
export const OTHER_ACCOUNT: PinterestAccount = { id: '1000000000000000002', username: 'someone_else', account_type: 'PINNER' };

export const ALL_SCOPES = 'boards:read boards:write pins:read pins:write user_accounts:read';

export type PinterestCall =
  | { op: 'exchangeCode'; environment: PinterestEnvironment; clientId: string; code: string; redirectUri: string; timeoutMs: number | undefined }
  | { op: 'userAccount'; environment: PinterestEnvironment; accessToken: string; timeoutMs: number | undefined }
  | { op: 'refresh'; environment: PinterestEnvironment; clientId: string; refreshToken: string };

export class MemoryPinterest implements PinterestOAuthPort, PinterestTokensPort {
  readonly calls: PinterestCall[] = [];
  /** How many times `withToken` ran, and how many of those renewed the token after a 401 code 2. */
  readonly withTokenCalls = { total: 0, renewed: 0 };
  /** Refresh calls answered 400 code 283 (a refresh token that was rotated away, revoked or unknown). */
  refusedRefreshes = 0;
  private tokens: Partial<TokenResponse> = {};
  private refreshAnswer: Partial<TokenResponse> = {};
  private account: PinterestAccount = MIRA;
  private exchangeFailure: Error | undefined;
  private accountFailure: Error | undefined;
  private issued = 0;
  private readonly accessTokens = new Map<string, Issued>();
  private readonly refreshTokens = new Map<string, Issued>();
  private readonly refreshFailures: Array<RefreshFailure | undefined> = [];
  private refreshPolicy: ((environment: PinterestEnvironment) => RefreshFailure | undefined) | undefined;
  private readonly holds: Array<{ at: 'arrival' | 'answer'; wait: () => Promise<void> }> = [];
  private latency: ((leg: 'request' | 'answer') => Promise<void>) | undefined;

  /** With a clock, tokens expire as Pinterest's do (`expires_in`, `refresh_token_expires_*`); without, never. */
  constructor(private readonly clock?: Clock) {}

  /** Later exchanges answer the default token pair changed by `changes` (an undefined value removes a field). */
  answerTokens(changes: Partial<TokenResponse>): void {
    this.tokens = changes;
  }

  /** Later account lookups answer this account. */
  signInAs(account: PinterestAccount): void {
    this.account = account;
  }

  failExchange(error: Error): void {
    this.exchangeFailure = error;
  }

  failUserAccount(error: Error): void {
    this.accountFailure = error;
  }

  /** Later refreshes answer the default rotation changed by `changes` (an undefined value removes a field). */
  answerRefresh(changes: Partial<TokenResponse>): void {
    this.refreshAnswer = changes;
  }

  /** The next refresh calls fail in this order (undefined: that call goes through). */
  failRefresh(...failures: Array<RefreshFailure | undefined>): void {
    this.refreshFailures.push(...failures);
  }

  /** Asked on every refresh call that has no queued failure: a failure for it, or undefined. */
  failRefreshWhen(policy: ((environment: PinterestEnvironment) => RefreshFailure | undefined) | undefined): void {
    this.refreshPolicy = policy;
  }

  /** Every later refresh call waits for `wait` on its way in and on its answer's way back (say, a virtual sleep). */
  refreshLatency(wait: ((leg: 'request' | 'answer') => Promise<void>) | undefined): void {
    this.latency = wait;
  }

  /**
   * Stops the next refresh call not held yet: on `arrival` (before Pinterest looks at it) or before
   * its `answer` is delivered (after the tokens were rotated).
   */
  holdRefresh(at: 'arrival' | 'answer'): Hold {
    const reached = deferred();
    const released = deferred();
    this.holds.push({
      at,
      wait: () => {
        reached.resolve();
        return released.promise;
      },
    });
    return { reached: reached.promise, release: released.resolve };
  }

  /** A fresh pair of tokens (30-day access token) with `changes` over it; undefined drops a field. */
  private nextTokens(changes: Record<string, unknown>): TokenResponse {
    this.issued += 1;
    const answer: Record<string, unknown> = {
      access_token: `pina_access_${String(this.issued)}`,
      refresh_token: `pinr_refresh_${String(this.issued)}`,
      token_type: 'bearer',
      expires_in: 2_592_000,
      scope: ALL_SCOPES,
      ...changes,
    };
    return tokenResponseSchema.parse(Object.fromEntries(Object.entries(answer).filter(([, value]) => value !== undefined)));
  }

  callsTo(op: 'refresh'): Array<Extract<PinterestCall, { op: 'refresh' }>>;
  callsTo(op: 'userAccount'): Array<Extract<PinterestCall, { op: 'userAccount' }>>;
  callsTo(op: PinterestCall['op']): PinterestCall[];
  callsTo(op: PinterestCall['op']): PinterestCall[] {
    return this.calls.filter((call) => call.op === op);
  }

  /** Makes Pinterest know a token pair (a connection made before the test), live until the given ISO times. */
  grant(environment: PinterestEnvironment, tokens: { accessToken: string; refreshToken: string; accessTokenExpiresAt?: string; refreshTokenExpiresAt?: string }): void {
    this.accessTokens.set(tokens.accessToken, { environment, expiresAt: tokens.accessTokenExpiresAt === undefined ? undefined : Date.parse(tokens.accessTokenExpiresAt) });
    this.refreshTokens.set(tokens.refreshToken, { environment, expiresAt: tokens.refreshTokenExpiresAt === undefined ? undefined : Date.parse(tokens.refreshTokenExpiresAt) });
  }

  /** Pinterest stops accepting the environment's access tokens (all of them, or one); refresh tokens stay. */
  expireAccessTokens(environment: PinterestEnvironment, only?: string): void {
    for (const [token, issued] of this.accessTokens) {
      if (issued.environment === environment && (only === undefined || only === token)) this.accessTokens.delete(token);
    }
  }

  /** The person removed the app (or changed their password): every token of the environment (of both, when undefined) dies. */
  revoke(environment?: PinterestEnvironment): void {
    for (const tokens of [this.accessTokens, this.refreshTokens]) {
      for (const [token, issued] of tokens) if (environment === undefined || issued.environment === environment) tokens.delete(token);
    }
  }

  acceptsAccessToken(environment: PinterestEnvironment, token: string): boolean {
    return this.live(this.accessTokens, environment, token);
  }

  acceptsRefreshToken(environment: PinterestEnvironment, token: string): boolean {
    return this.live(this.refreshTokens, environment, token);
  }

  /** Every refresh token Pinterest would accept now in the environment. */
  liveRefreshTokens(environment: PinterestEnvironment): string[] {
    return [...this.refreshTokens.keys()].filter((token) => this.live(this.refreshTokens, environment, token));
  }

  exchangeCode(
    environment: PinterestEnvironment,
    app: AppCredentials,
    grant: { code: string; redirectUri: string },
    timeoutMs?: number,
  ): Promise<{ data: TokenResponse }> {
    return io(() => {
      this.calls.push({ op: 'exchangeCode', environment, clientId: app.clientId, code: grant.code, redirectUri: grant.redirectUri, timeoutMs });
      if (this.exchangeFailure !== undefined) throw this.exchangeFailure;
      // Parsed as the real client parses Pinterest's answer.
      const data = this.nextTokens({ refresh_token_expires_in: 31_536_000, ...this.tokens });
      this.remember(environment, data);
      return { data };
    });
  }

  /** The token's account for a live access token of the environment; 401 code 2 for any other. */
  userAccount(environment: PinterestEnvironment, accessToken: string, timeoutMs?: number): Promise<{ data: PinterestAccount }> {
    return io(() => {
      this.calls.push({ op: 'userAccount', environment, accessToken, timeoutMs });
      if (this.accountFailure !== undefined) throw this.accountFailure;
      if (!this.live(this.accessTokens, environment, accessToken)) throw unauthorized(environment);
      return { data: accountSchema.parse(this.account) };
    });
  }

  /**
   * `POST /v5/oauth/token` with `grant_type=refresh_token`: a live refresh token is rotated (new
   * access and refresh token; the old refresh token dies), anything else gets 400 code 283.
   */
  async refresh(environment: PinterestEnvironment, app: AppCredentials, refreshToken: string): Promise<{ data: TokenResponse }> {
    this.calls.push({ op: 'refresh', environment, clientId: app.clientId, refreshToken });
    const hold = this.holds.shift();
    const failure = this.refreshFailures.length > 0 ? this.refreshFailures.shift() : this.refreshPolicy?.(environment);
    await io(() => undefined);
    await this.latency?.('request');
    if (hold?.at === 'arrival') await hold.wait();
    if (failure instanceof Error) throw failure;
    if (failure === 'server_error') throw new PinterestApiError(environment, 503, undefined, 'Service unavailable', 'memory-request', {});
    if (failure === 'rate_limited') throw new PinterestApiError(environment, 429, 8, 'Rate limit exceeded', 'memory-request', { limit: 1000, remaining: 0, resetSeconds: 60 });
    if (failure === 'not_sent') throw new PinterestNetworkError(environment, true, 'connect ECONNREFUSED');
    if (!this.live(this.refreshTokens, environment, refreshToken)) {
      this.refusedRefreshes += 1;
      throw new PinterestApiError(environment, 400, 283, 'The authorization grant is invalid', 'memory-request', {});
    }
    const data = this.nextTokens({ refresh_token_expires_in: 5_184_000, response_type: 'refresh_token', ...this.refreshAnswer });
    // Continuous refresh: a new refresh token replaces the one used. Without one, the old one stays.
    if (data.refresh_token !== undefined) this.refreshTokens.delete(refreshToken);
    this.remember(environment, data);
    await this.latency?.('answer');
    if (hold?.at === 'answer') await hold.wait();
    if (failure === 'lost_after_rotation') throw new PinterestNetworkError(environment, false, 'timeout after the request was sent');
    return { data };
  }

  /** Exactly as the real client's: after a 401 code 2, one renewal through the source and one retry. */
  async withToken<T>(tokens: TokenSource, call: (accessToken: string) => Promise<T>): Promise<T> {
    this.withTokenCalls.total += 1;
    const token = await tokens.current();
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof PinterestApiError) || error.status !== 401 || error.pinterestCode !== 2) throw error;
      this.withTokenCalls.renewed += 1;
      return call(await tokens.renewAfterUnauthorized(token));
    }
  }

  private remember(environment: PinterestEnvironment, answer: TokenResponse): void {
    const now = this.clock?.now().getTime();
    const after = (seconds: number | undefined) => (now === undefined || seconds === undefined ? undefined : now + seconds * 1000);
    this.accessTokens.set(answer.access_token, { environment, expiresAt: after(answer.expires_in) });
    if (answer.refresh_token !== undefined) {
      const expiresAt = answer.refresh_token_expires_at !== undefined && now !== undefined ? answer.refresh_token_expires_at * 1000 : after(answer.refresh_token_expires_in);
      this.refreshTokens.set(answer.refresh_token, { environment, expiresAt });
    }
  }

  private live(tokens: Map<string, Issued>, environment: PinterestEnvironment, token: string): boolean {
    const issued = tokens.get(token);
    if (issued?.environment !== environment) return false;
    return issued.expiresAt === undefined || this.clock === undefined || issued.expiresAt > this.clock.now().getTime();
  }
}

/** What Pinterest answers for a token it does not accept. */
export function unauthorized(environment: PinterestEnvironment): PinterestApiError {
  return new PinterestApiError(environment, 401, 2, 'Authentication failed.', 'memory-request', {});
}
