import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { awsClients } from './adapters/aws-clients';
import { SecurityLog } from './adapters/dynamo/security-log';
import { DynamoTable } from './adapters/dynamo/table';
import { AccountStore } from './adapters/dynamo/account-store';
import { OAuthStore } from './adapters/dynamo/oauth-store';
import { PinterestClient } from './adapters/pinterest/client';
import { SecretStore } from './adapters/secret-store';
import { TokenVault } from './adapters/token-vault';
import type { ConnectDeps } from './use-cases/ports';
import { requireBinding, settings, type Settings } from './config';
import { ConfigError } from './domain/errors';
import { systemClock, type Clock } from './domain/ports';
import { logger } from './observability/logger';
import { secretNames } from './secrets';

/**
 * The one composition root: real adapters wired from validated configuration. Each piece is built on
 * first use and kept for the life of the process (a Lambda container), so a function only needs the
 * bindings of the pieces it uses, and a missing one fails naming its variable.
 */

const hashingKeySecret = z.object({ hashingKey: z.string().min(32) });

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const clock: Clock = systemClock;

export const appSettings = (): Settings => settings();

export const secretStore = lazy(() => new SecretStore(awsClients().secrets, clock, 30_000));

export const names = lazy(() => secretNames(requireBinding('SECRET_PREFIX')));

/** The app's hashing key (Secrets Manager), read once per container. */
export const hashingKey = lazy(() => {
  let key: Promise<Buffer> | undefined;
  return () => {
    key ??= secretStore()
      .get(names().hashingKey, hashingKeySecret)
      .then((secret) => {
        if (secret === undefined) throw new ConfigError([names().hashingKey], [`secret ${names().hashingKey} is missing`]);
        return Buffer.from(secret.hashingKey, 'utf8');
      })
      .catch((error: unknown) => {
        key = undefined; // retry on the next call rather than caching a failure
        throw error;
      });
    return key;
  };
});

export const auditTable = lazy(() => new DynamoTable(awsClients().dynamo, requireBinding('AUDIT_TABLE'), clock));

export const securityLog = lazy(
  () => new SecurityLog(auditTable(), clock, hashingKey(), appSettings().RETENTION_SECURITY_LOG_DAYS),
);

export const stateTable = lazy(() => new DynamoTable(awsClients().dynamo, requireBinding('STATE_TABLE'), clock));

export const workflowTable = lazy(() => new DynamoTable(awsClients().dynamo, requireBinding('WORKFLOW_TABLE'), clock));

export const accounts = lazy(() => new AccountStore(workflowTable()));

export const tokenVault = lazy(() => new TokenVault(secretStore(), names().tokens));

/** Each Pinterest call's budget: two serial calls plus storage fit the callback's 25 s timeout. */
export const PINTEREST_TIMEOUT_MS = 8000;

export const pinterest = lazy(
  () =>
    new PinterestClient({
      baseUrls: { sandbox: appSettings().PINTEREST_API_BASE_SANDBOX, production: appSettings().PINTEREST_API_BASE_PRODUCTION },
      timeoutMs: PINTEREST_TIMEOUT_MS,
      onCall: (facts) => {
        logger.info('pinterest call', facts);
      },
    }),
);

const pinterestAppSecret = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** The Pinterest app's id and secret (Secrets Manager, `app/pinterest-client`). */
export async function pinterestApp(): Promise<{ clientId: string; clientSecret: string }> {
  const app = await secretStore().get(names().pinterestApp, pinterestAppSecret);
  if (app === undefined) throw new ConfigError([names().pinterestApp], [`secret ${names().pinterestApp} is missing`]);
  return app;
}

const oauthStore = lazy(() => new OAuthStore(stateTable()));

/**
 * Everything the connect use cases need, wired to the real adapters. Adapters are getters, so a
 * function only needs the bindings of the adapters its use case touches (least privilege holds).
 */
export const connectDeps = lazy(
  (): ConnectDeps => ({
    clock,
    randomToken: () => randomBytes(32).toString('base64url'),
    newId: () => randomUUID(),
    hashingKey: hashingKey(),
    get oauthState() {
      return oauthStore();
    },
    get accounts() {
      return accounts();
    },
    get vault() {
      return tokenVault();
    },
    get pinterest() {
      return pinterest();
    },
    appCredentials: pinterestApp,
    get securityLog() {
      return securityLog();
    },
    settings: {
      publicBaseUrl: appSettings().PUBLIC_BASE_URL,
      authorizeUrl: appSettings().PINTEREST_AUTHORIZE_URL,
      expectedAccountId: appSettings().PINTEREST_EXPECTED_ACCOUNT_ID,
      stateMinutes: appSettings().RETENTION_OAUTH_STATE_MINUTES,
    },
    pinterestTimeoutMs: PINTEREST_TIMEOUT_MS,
  }),
);
