import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let shared: SecretsManagerClient | undefined;

/** The process-wide Secrets Manager client (see ./dynamo.ts for why one module per client). */
export function secretsManagerClient(): SecretsManagerClient {
  shared ??= new SecretsManagerClient({});
  return shared;
}
