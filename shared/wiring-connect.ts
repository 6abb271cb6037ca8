import { randomBytes, randomUUID } from 'node:crypto';
import * as z from './zod';
import { AccountStore } from './adapters/dynamo/account-store';
import { OAuthStore } from './adapters/dynamo/oauth-store';
import { EnvironmentRecords } from './adapters/dynamo/environment-records';
import { TokenVault } from './adapters/token-vault';
import { NotConfiguredError } from './domain/errors';
import { appCredentialsSchema, type AppCredentials } from './domain/pinterest-api';
import type { OAuthDeps } from './use-cases/connect-ports';
import type { DisconnectDeps } from './use-cases/disconnect';
import { appSettings, clock, hashingKey, lazy, names, safeSecurityLog, secretStore, stateTable, workflowTable } from './wiring';

/**
 * The Pinterest connection pieces of the composition root (see ./wiring.ts) that never call
 * Pinterest: the start link, accounts, the token vault. The Pinterest client is in
 * ./wiring-pinterest.ts, so only the functions that call Pinterest carry its code.
 */

export { workflowTable };

export const accounts = lazy(() => new AccountStore(workflowTable()));

export const tokenVault = lazy(() => new TokenVault(secretStore(), names().tokens));

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
    `The Pinterest app credentials are not set: run npm run set-pinterest-app -- --region <region> (it stores the app id and secret ` +
      `from My apps on developers.pinterest.com in the Secrets Manager secret ${name}); locally, start npm start without PINTEREST_CLIENT_ID/PINTEREST_CLIENT_SECRET to use the emulator, or with both set.`,
  );
}

const oauthStore = lazy(() => new OAuthStore(stateTable()));

/**
 * Everything the connect use cases need but Pinterest, wired to the real adapters. Adapters are
 * getters, so a function only needs the bindings of the adapters its use case touches (least
 * privilege holds).
 */
export const connectDeps = lazy(
  (): OAuthDeps => ({
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
  }),
);

const environmentRecords = lazy(() => new EnvironmentRecords(workflowTable()));

/** What disconnecting needs: no Pinterest call, so no Pinterest client in that bundle. */
export const disconnectDeps = lazy(
  (): DisconnectDeps => ({
    clock,
    get accounts() {
      return accounts();
    },
    get vault() {
      return tokenVault();
    },
    get records() {
      return environmentRecords();
    },
    get securityLog() {
      return safeSecurityLog();
    },
    settings: { disconnectedRetentionDays: appSettings().RETENTION_DISCONNECTED_ACCOUNT_DAYS },
  }),
);
