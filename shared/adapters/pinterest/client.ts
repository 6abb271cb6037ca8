import * as z from '../../zod';
import type { PinterestEnvironment } from '../../domain/pinterest';
import type { AppCredentials } from '../../domain/pinterest-api';
import type { TokenSource } from '../../use-cases/token-ports';

export type { TokenSource };
import { PinterestApiError, PinterestNetworkError, PinterestResponseError, type RateLimit } from './errors';
import { failedBeforeSend, networkErrorCode, nodeTransport, type HttpTransport } from './http';
import { accountSchema, errorBodySchema, tokenResponseSchema, type PinterestAccount, type TokenResponse } from './schemas';

/**
 * The one piece of code every Pinterest call goes through (API v5): per-environment base URL, bearer
 * or HTTP Basic auth, a timeout on every call, zod-parsed answers, typed errors carrying Pinterest's
 * code, message, HTTP status and request id, and rate-limit headers surfaced to the caller.
 * Retry rules (Pinterest has no idempotency key, so a repeated `POST /v5/pins` could create a second
 * Pin): nothing is retried here except once, in `withToken`, after a 401 code 2 and a token refresh
 * (the call was rejected before processing); a 429 goes back to the caller. See
 * docs/pinterest-emulator.md, "The Pinterest client".
 * https://developers.pinterest.com/docs/api/v5/
 */

export interface PinterestClientOptions {
  /** API bases ending in `/v5`, e.g. https://api-sandbox.pinterest.com/v5. */
  baseUrls: Record<PinterestEnvironment, string>;
  transport?: HttpTransport;
  /** Whole-call timeout (connect + answer). */
  timeoutMs?: number;
  /** Told about every call (no bodies, no query, no tokens): for the function log. */
  onCall?: (facts: { environment: PinterestEnvironment; method: string; path: string; status: number | 'network_error'; requestId?: string; durationMs: number; rateLimit?: RateLimit }) => void;
}

export interface PinterestResult<T> {
  data: T;
  status: number;
  requestId: string | undefined;
  rateLimit: RateLimit;
}

type Auth = { bearer: string } | { basic: AppCredentials };

export interface CallOptions<S extends z.core.$ZodType> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  auth: Auth;
  schema: S;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string | undefined>;
  timeoutMs?: number;
  freshConnection?: boolean;
}

const int = (value: string | null): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};

export class PinterestClient {
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;

  constructor(private readonly options: PinterestClientOptions) {
    this.transport = options.transport ?? nodeTransport();
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sends one request and parses the answer; never retries. */
  async call<S extends z.core.$ZodType>(environment: PinterestEnvironment, options: CallOptions<S>): Promise<PinterestResult<z.output<S>>> {
    const url = this.url(environment, options.path, options.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    headers.authorization =
      'bearer' in options.auth
        ? `Bearer ${options.auth.bearer}`
        : `Basic ${Buffer.from(`${options.auth.basic.clientId}:${options.auth.basic.clientSecret}`, 'utf8').toString('base64')}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(
        Object.entries(options.form).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ).toString();
    }
    let response;
    const startedAt = Date.now();
    const report = (status: number | 'network_error', requestId?: string, rateLimit?: RateLimit) =>
      this.options.onCall?.({ environment, method: options.method, path: options.path, status, durationMs: Date.now() - startedAt, ...(requestId === undefined ? {} : { requestId }), ...(rateLimit === undefined ? {} : { rateLimit }) });
    try {
      response = await this.transport(url, {
        method: options.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
        freshConnection: options.freshConnection === true,
      });
    } catch (error) {
      report('network_error');
      throw new PinterestNetworkError(environment, failedBeforeSend(error), networkErrorCode(error) ?? 'network error', { cause: error });
    }
    report(response.status, response.headers.get('x-pinterest-rid') ?? undefined);
    return this.read(environment, response, options.schema);
  }

  private url(environment: PinterestEnvironment, path: string, query: CallOptions<z.core.$ZodType>['query']): string {
    const base = this.options.baseUrls[environment].replace(/\/+$/, '');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${base}${path}${qs === '' ? '' : `?${qs}`}`;
  }

  private async read<S extends z.core.$ZodType>(
    environment: PinterestEnvironment,
    response: Awaited<ReturnType<HttpTransport>>,
    schema: S,
  ): Promise<PinterestResult<z.output<S>>> {
    const requestId = response.headers.get('x-pinterest-rid') ?? undefined;
    const rateLimit: RateLimit = {};
    const limit = int(response.headers.get('x-ratelimit-limit'));
    const remaining = int(response.headers.get('x-ratelimit-remaining'));
    const reset = int(response.headers.get('x-ratelimit-reset'));
    if (limit !== undefined) rateLimit.limit = limit;
    if (remaining !== undefined) rateLimit.remaining = remaining;
    if (reset !== undefined) rateLimit.resetSeconds = reset;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new PinterestNetworkError(environment, false, networkErrorCode(error) ?? 'body interrupted', { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
      if (response.status < 400) throw new PinterestResponseError(environment, response.status, requestId, 'the body is not JSON');
    }
    if (response.status >= 400) {
      const error = errorBodySchema.safeParse(parsed);
      const message = error.success ? error.data.message : `HTTP ${response.status} without a Pinterest error body`;
      throw new PinterestApiError(environment, response.status, error.success ? error.data.code : undefined, message, requestId, rateLimit);
    }
    const result = z.safeParse(schema, parsed);
    if (!result.success) {
      const first = result.error.issues[0];
      throw new PinterestResponseError(environment, response.status, requestId, `${first?.path.join('.') ?? ''} ${first?.message ?? 'invalid'}`);
    }
    return { data: result.data, status: response.status, requestId, rateLimit };
  }

  /**
   * Runs an authorized call; on a 401 code 2 asks the token source for a renewed token and repeats
   * the call exactly once (a refused token is rejected before processing, so the repeat cannot
   * duplicate anything). Every other error, a 429 included, goes to the caller.
   */
  async withToken<T>(tokens: TokenSource, call: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await tokens.current();
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof PinterestApiError) || error.status !== 401 || error.pinterestCode !== 2) throw error;
      return call(await tokens.renewAfterUnauthorized(token));
    }
  }

  /** Exchanges an authorization code at the environment's token endpoint (HTTP Basic, form body). */
  async exchangeCode(
    environment: PinterestEnvironment,
    app: AppCredentials,
    grant: { code: string; redirectUri: string },
    timeoutMs?: number,
  ): Promise<PinterestResult<TokenResponse>> {
    return this.call(environment, {
      method: 'POST',
      path: '/oauth/token',
      auth: { basic: app },
      form: { grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirectUri },
      schema: tokenResponseSchema,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  /** Refreshes; Pinterest rotates the refresh token on every refresh (continuous refresh). */
  async refresh(environment: PinterestEnvironment, app: AppCredentials, refreshToken: string, scope?: string): Promise<PinterestResult<TokenResponse>> {
    return this.call(environment, {
      method: 'POST',
      path: '/oauth/token',
      auth: { basic: app },
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, scope },
      schema: tokenResponseSchema,
    });
  }

  /** The account a token belongs to (`GET /v5/user_account`). */
  async userAccount(environment: PinterestEnvironment, accessToken: string, timeoutMs?: number): Promise<PinterestResult<PinterestAccount>> {
    return this.call(environment, {
      method: 'GET',
      path: '/user_account',
      auth: { bearer: accessToken },
      schema: accountSchema,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
}
