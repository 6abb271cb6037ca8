import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretStore } from '../shared/adapters/secret-store';
import { systemClock } from '../shared/domain/time';
import { localStackUnreachable } from './local-stack';

/**
 * The secret store a set-up script writes to: the local stack's Secrets Manager emulator (`--local`,
 * SECRETS_MANAGER_PORT, default 4584), or AWS in `region` with the credentials of the environment
 * (AWS_PROFILE, …). No cache: every read is fresh.
 */
export function secretStoreFor(options: { local: boolean; region?: string | undefined }): SecretStore {
  if (options.local) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = options.local
    ? new SecretsManagerClient({
        endpoint: `http://127.0.0.1:${process.env.SECRETS_MANAGER_PORT ?? '4584'}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
    : new SecretsManagerClient(options.region === undefined ? {} : { region: options.region });
  return new SecretStore(client, systemClock, 0);
}

/**
 * Runs a set-up script's `main` and sets the exit code it answers; a failure is one line (how to start
 * the local stack when nothing answers on its Secrets Manager port), exit code 1.
 */
export function runSecretsScript(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const port = process.env.SECRETS_MANAGER_PORT ?? '4584';
      console.error(localStackUnreachable(error, 'SECRETS_MANAGER_PORT', port) ?? (error instanceof Error ? error.message : String(error)));
      process.exitCode = 1;
    },
  );
}
