import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { accountSchema, tokenResponseSchema, type AppCredentials, type PinterestAccount, type TokenResponse } from '../../shared/domain/pinterest-api';
import type { PinterestOAuthPort } from '../../shared/use-cases/connect-ports';
import { io } from './memory-stores';

/**
 * Pinterest's OAuth endpoints as scripted answers: by default every code is exchanged for a fresh,
 * fully scoped token pair and the token belongs to Mira's business account. Tests change the answer
 * (or make a call throw one of the client's errors from shared/adapters/pinterest/errors.ts) and read
 * back every call made.
 */

export const MIRA: PinterestAccount = { id: '1000000000000000001', username: 'mira', account_type: 'BUSINESS', business_name: 'Mira Digital Zen' };
export const OTHER_ACCOUNT: PinterestAccount = { id: '1000000000000000002', username: 'someone_else', account_type: 'PINNER' };

export const ALL_SCOPES = 'boards:read boards:write pins:read pins:write user_accounts:read';

export type PinterestCall =
  | { op: 'exchangeCode'; environment: PinterestEnvironment; clientId: string; code: string; redirectUri: string; timeoutMs: number | undefined }
  | { op: 'userAccount'; environment: PinterestEnvironment; accessToken: string; timeoutMs: number | undefined };

export class MemoryPinterest implements PinterestOAuthPort {
  readonly calls: PinterestCall[] = [];
  private tokens: Partial<TokenResponse> = {};
  private account: PinterestAccount = MIRA;
  private exchangeFailure: Error | undefined;
  private accountFailure: Error | undefined;
  private issued = 0;

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

  callsTo(op: PinterestCall['op']): PinterestCall[] {
    return this.calls.filter((call) => call.op === op);
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
      this.issued += 1;
      const answer: Record<string, unknown> = {
        access_token: `pina_access_${String(this.issued)}`,
        refresh_token: `pinr_refresh_${String(this.issued)}`,
        token_type: 'bearer',
        expires_in: 2_592_000,
        refresh_token_expires_in: 31_536_000,
        scope: ALL_SCOPES,
        ...this.tokens,
      };
      const present = Object.fromEntries(Object.entries(answer).filter(([, value]) => value !== undefined));
      // Parsed as the real client parses Pinterest's answer.
      return { data: tokenResponseSchema.parse(present) };
    });
  }

  userAccount(environment: PinterestEnvironment, accessToken: string, timeoutMs?: number): Promise<{ data: PinterestAccount }> {
    return io(() => {
      this.calls.push({ op: 'userAccount', environment, accessToken, timeoutMs });
      if (this.accountFailure !== undefined) throw this.accountFailure;
      return { data: accountSchema.parse(this.account) };
    });
  }
}
