import * as z from './zod';
import { dynamoDocumentClient } from './adapters/aws/dynamo';
import { secretsManagerClient } from './adapters/aws/secrets';
import { ClientLimiter } from './adapters/dynamo/client-limiter';
import { SecurityLog } from './adapters/dynamo/security-log';
import { DynamoTable } from './adapters/dynamo/table';
import { SecretStore } from './adapters/secret-store';
import { requireBinding, settings, type Settings } from './config';
import { NotConfiguredError } from './domain/errors';
import type { SecurityLogPort } from './domain/security-event';
import { systemClock, type Clock } from './domain/time';
import { logger } from './observability/logger';
import { hashingKeySecret, secretNames } from './secrets';

/**
 * The composition root: real adapters wired from validated configuration. Each piece is built on first
 * use and kept for the life of the process (a Lambda container), so a function only needs the bindings
 * of the pieces it uses, and a missing one fails naming its variable. This file holds what every
 * logged function needs (settings, secrets, the security log); ./wiring-connect.ts adds the Pinterest
 * connection pieces, so other bundles do not carry the Pinterest client.
 */


export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const clock: Clock = systemClock;

export const appSettings = (): Settings => settings();

export const secretStore = lazy(() => new SecretStore(secretsManagerClient(), clock, 30_000));

export const names = lazy(() => secretNames(requireBinding('SECRET_PREFIX')));

/** The app's hashing key (Secrets Manager), read once per container. */
export const hashingKey = lazy(() => {
  let key: Promise<Buffer> | undefined;
  return () => {
    key ??= secretStore()
      .get(names().hashingKey, z.unknown(), { bypassCache: true })
      .then((value) => {
        // Missing, empty or unusable: a 409 saying what to do, never a bare 500.
        const secret = hashingKeySecret.safeParse(value);
        if (!secret.success) {
          throw new NotConfiguredError(`The hashing key secret ${names().hashingKey} is missing or empty: create it with npm run setup -- --region <region>`);
        }
        return Buffer.from(secret.data.hashingKey, 'utf8');
      }, (error: unknown) => {
        if (error instanceof Error && error.name === 'InvalidRequestException') {
          throw new NotConfiguredError(`The hashing key secret ${names().hashingKey} is marked for deletion: restore it (aws secretsmanager restore-secret --secret-id ${names().hashingKey})`, { cause: error });
        }
        throw error;
      })
      .catch((error: unknown) => {
        key = undefined; // retry on the next call rather than caching a failure
        throw error;
      });
    return key;
  };
});

export const stateTable = lazy(() => new DynamoTable(dynamoDocumentClient(), requireBinding('STATE_TABLE'), clock));

/** The workflow table (accounts, boards, Pin records, tickets). */
export const workflowTable = /* @__PURE__ */ lazy(() => new DynamoTable(dynamoDocumentClient(), requireBinding('WORKFLOW_TABLE'), clock));

/** Per-client counters for the public routes that write (route table, `clientLimit`). */
export const clientLimiter = lazy(() => new ClientLimiter(stateTable(), clock, hashingKey(), appSettings().RETENTION_RATE_LIMIT_HOURS * 3600));

export const auditTable = lazy(() => new DynamoTable(dynamoDocumentClient(), requireBinding('AUDIT_TABLE'), clock));

export const securityLog = lazy(
  () => new SecurityLog(auditTable(), clock, hashingKey(), appSettings().RETENTION_SECURITY_LOG_DAYS),
);


/**
 * The security log every writer uses (HTTP middleware, authorizer, use cases): a failed write is
 * reported in the function log and never turns finished work (a stored connection, a confirmed
 * account, an answer already decided) into an error.
 */
export const safeSecurityLog = lazy(
  (): SecurityLogPort => ({
    write: (event) =>
      securityLog()
        .write(event)
        .catch((error: unknown) => {
          logger.error('security log write failed', { error, kind: event.kind });
          return undefined;
        }),
  }),
);
