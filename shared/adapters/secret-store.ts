import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from '../zod';
import { isSensitiveKey, registerSecretValue } from '../observability/redact';
import type { Clock } from '../domain/time';

/**
 * JSON secrets in Secrets Manager, read through a short in-memory cache (bypassable, e.g. after a
 * 401 when another invocation may have rotated a token). Every string value read or written is taught
 * to the log redactor, so it cannot appear in a log line even by accident.
 */
export class SecretStore {
  private readonly cache = new Map<string, { value: unknown; until: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly clock: Clock,
    private readonly cacheMs = 60_000,
  ) {}

  /** The parsed secret, or undefined when it does not exist. */
  async get<S extends z.core.$ZodType>(
    name: string,
    schema: S,
    options: { bypassCache?: boolean } = {},
  ): Promise<z.output<S> | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(name);
    if (options.bypassCache !== true && cached !== undefined && cached.until > now) {
      return z.parse(schema, cached.value);
    }
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      const value = parseSecretString(result.SecretString);
      const parsed = z.parse(schema, value);
      learn(value);
      this.cache.set(name, { value, until: now + this.cacheMs });
      return parsed;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        this.cache.delete(name);
        return undefined;
      }
      throw error;
    }
  }

  /** Creates a new secret; fails (ResourceExistsException) if the name is taken. */
  async create(name: string, value: unknown, description?: string): Promise<void> {
    learn(value);
    await this.client.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value), Description: description }),
    );
    this.cache.set(name, { value, until: this.clock.now().getTime() + this.cacheMs });
  }

  /** Stores a new current version of an existing secret. */
  async put(name: string, value: unknown): Promise<void> {
    learn(value);
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify(value) }));
    this.cache.set(name, { value, until: this.clock.now().getTime() + this.cacheMs });
  }

  /**
   * Deletes at once, without a recovery window, so the name is free again: a normal delete keeps the
   * secret 7–30 days and blocks reconnecting under the same name.
   */
  async forceDelete(name: string): Promise<void> {
    this.cache.delete(name);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  /** Forgets cached values (e.g. between tests). */
  clearCache(): void {
    this.cache.clear();
  }
}

/** A secret's JSON value; an empty or non-JSON string is answered as itself, for the schema to judge. */
function parseSecretString(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Registers the values held under sensitive keys (`clientSecret`, `accessToken`, `hashingKey`, …). */
function learn(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (isSensitiveKey(key)) registerSecretValue(value);
  } else if (value !== null && typeof value === 'object') {
    for (const [childKey, item] of Object.entries(value)) learn(item, childKey);
  }
}
