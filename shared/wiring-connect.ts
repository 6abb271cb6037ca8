import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { dynamoDocumentClient } from './adapters/aws/dynamo';
import { AccountStore } from './adapters/dynamo/account-store';
import { OAuthStore } from './adapters/dynamo/oauth-store';
import { DynamoTable } from './adapters/dynamo/table';
import { PinterestClient } from './adapters/pinterest/client';
import { TokenVault } from './adapters/token-vault';
import { requireBinding } from './config';
import { NotConfiguredError } from './domain/errors';
import { appCredentialsSchema, type AppCredentials } from './domain/pinterest-api';
import { logger } from './observability/logger';
import type { ConnectDeps } from './use-cases/connect-ports';
import { appSettings, clock, hashingKey, lazy, names, safeSecurityLog, secretStore, stateTable } from './wiring';

/** The Pinterest connection pieces of the composition root (see ./wiring.ts). */

export const workflowTable = lazy(() => new DynamoTable(dynamoDocumentClient(), requireBinding('WORKFLOW_TABLE'), clock));

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

/**
 * The Pinterest app's id and secret (Secrets Manager, `app/pinterest-client`). Absent, empty or
 * malformed → NotConfiguredError, whose message says how to set them (a 409, or a page in a browser).
 */
export async function pinterestApp(): Promise<AppCredentials> {
  const name = names().pinterestApp;
  let parsed = appCredentialsSchema.safeParse(await secretStore().get(name, z.unknown()));
  // A cached unusable value may have been fixed since: look once more past the cache.
  if (!parsed.success) parsed = appCredentialsSchema.safeParse(await secretStore().get(name, z.unknown(), { bypassCache: true }));
  if (parsed.success) return parsed.data;
  throw new NotConfiguredError(
    `The Pinterest app credentials are not set. Store {"clientId":"…","clientSecret":"…"} (from My apps on developers.pinterest.com) ` +
      `in the Secrets Manager secret ${name}; locally, start npm start without PINTEREST_CLIENT_ID/PINTEREST_CLIENT_SECRET to use the emulator, or with both set.`,
  );
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
      return safeSecurityLog();
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
