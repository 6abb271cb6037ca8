import { AppError, DependencyError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { TokenDeps, TokenSource } from './token-ports';
import { isLive, markReauthorizationRequired, refreshTokens } from './token-refresh';

/**
 * The one way every Pinterest call gets its token (`withPinterestToken`): the secret through the
 * short cache; on a 401 code 2, the secret read again past the cache (another container may have
 * refreshed) and a refresh only if the refused token is still the current one; at most one refresh
 * and one retry per call; a 401 that survives the refresh means the grant is gone.
 */

/** The connection cannot be used until the operator connects again. */
export class ReauthorizationRequiredError extends AppError {
  constructor(env: PinterestEnvironment) {
    super(
      'conflict',
      `Pinterest no longer accepts the ${env} connection (revoked, expired or not connected): connect again with POST /oauth/start, then check GET /account.`,
      { details: { currentState: 'reauthorization_required' } },
    );
  }
}

/** The environment's token source for one call; `renewed` tells whether it had to renew. */
export function accountTokens(deps: TokenDeps, env: PinterestEnvironment): TokenSource & { readonly renewed: boolean } {
  let renewed = false;
  return {
    get renewed() {
      return renewed;
    },
    current: async () => {
      const account = await deps.accounts.get(env);
      const secret = isLive(account) ? await deps.vault.read(account.secretName) : undefined;
      if (secret === undefined) throw new ReauthorizationRequiredError(env);
      return secret.accessToken;
    },
    renewAfterUnauthorized: async (refused) => {
      renewed = true;
      const outcome = await refreshTokens(deps, env, (_account, secret) => secret.accessToken === refused);
      if (outcome.kind === 'refreshed' || outcome.kind === 'joined' || outcome.kind === 'not_needed') return outcome.secret.accessToken;
      if (outcome.kind === 'failed') throw new AppError('dependency_failed', `Pinterest could not renew the ${env} access token just now (${outcome.summary}); try again later.`);
      throw new ReauthorizationRequiredError(env);
    },
  };
}

/** Runs `call` with the environment's access token, renewing it once if Pinterest refuses it. */
export async function withPinterestToken<T>(deps: TokenDeps, env: PinterestEnvironment, call: (accessToken: string) => Promise<T>): Promise<T> {
  const tokens = accountTokens(deps, env);
  try {
    return await deps.pinterest.withToken(tokens, call);
  } catch (error) {
    if (error instanceof DependencyError && error.code === 'unauthorized' && tokens.renewed) {
      const account = await deps.accounts.get(env);
      if (isLive(account)) await markReauthorizationRequired(deps, account, 'token_refused_after_refresh');
      throw new ReauthorizationRequiredError(env);
    }
    throw error;
  }
}
