import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { PinterestEnvironment } from '../domain/pinterest';
import { tokenSecretSchema, type TokenSecret } from '../domain/tokens';
import type { SecretStore } from './secret-store';

/**
 * Pinterest tokens in Secrets Manager: one secret per connection, named with the environment, the
 * account and a connection id, so a reconnect never collides with a secret AWS is still deleting.
 * Read through the secret store's short cache (bypassable); deleted without a recovery window.
 */

export class TokenVault {
  constructor(
    private readonly secrets: SecretStore,
    private readonly nameFor: (environment: string, accountId: string, connectionId: string) => string,
  ) {}

  /** Creates the connection's secret and returns its name. */
  async store(env: PinterestEnvironment, accountId: string, connectionId: string, tokens: TokenSecret): Promise<string> {
    const name = this.nameFor(env, accountId, connectionId);
    await this.secrets.create(name, tokens, `Pinterest ${env} tokens for account ${accountId}`);
    return name;
  }

  async read(secretName: string, options: { bypassCache?: boolean } = {}): Promise<TokenSecret | undefined> {
    return this.secrets.get(secretName, tokenSecretSchema, options);
  }

  async update(secretName: string, tokens: TokenSecret): Promise<'updated' | 'gone'> {
    try {
      await this.secrets.put(secretName, tokens);
      return 'updated';
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return 'gone';
      throw error;
    }
  }

  async delete(secretName: string): Promise<void> {
    await this.secrets.forceDelete(secretName);
  }
}
