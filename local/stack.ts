import { join, resolve } from 'node:path';
import { z } from 'zod';
import { createAwsClients } from '../shared/adapters/aws-clients';
import { SecretStore } from '../shared/adapters/secret-store';
import { systemClock } from '../shared/domain/time';
import { functionBindingName } from '../shared/config';
import { functionSpecs } from '../shared/routes';
import { DEFAULT_SECRET_PREFIX } from '../shared/secrets';
import type { TableName } from '../shared/tables';
import { ensureBucket, ensureTables, seedSecrets, type SeedResult } from './boot';
import { startEmulators, type Emulators } from './emulators';
import { startPinterestEmulator, type PinterestEmulator } from './emulators/pinterest';
import { lockDataDir } from './data-lock';
import { tagPortError } from './listen';
import { startApiServer, type LocalServer } from './server';

/**
 * The whole local stack in one call: emulators, the prepared AWS resources, the product's settings
 * and bindings in the environment, and (unless `api: false`) the API server. `npm start` and the
 * end-to-end tests both use it, so they run the same thing.
 */

/** Each local server's port setting: what start-up names when the port is taken. */
export const portSettings = {
  api: { service: 'API', variable: 'PORT', fallback: 3000 },
  dynamodb: { service: 'DynamoDB', variable: 'DYNAMODB_PORT', fallback: 8000 },
  s3: { service: 'S3', variable: 'S3_PORT', fallback: 4568 },
  ses: { service: 'SES', variable: 'SES_PORT', fallback: 8005 },
  secretsManager: { service: 'Secrets Manager', variable: 'SECRETS_MANAGER_PORT', fallback: 4584 },
  'pinterest.www': { service: 'Pinterest emulator (authorize page)', variable: 'PINTEREST_WWW_PORT', fallback: 8090 },
  'pinterest.sandbox': { service: 'Pinterest emulator (sandbox API)', variable: 'PINTEREST_SANDBOX_PORT', fallback: 8091 },
  'pinterest.production': { service: 'Pinterest emulator (production API)', variable: 'PINTEREST_PRODUCTION_PORT', fallback: 8092 },
} as const;

const port = (key: keyof typeof portSettings) =>
  z.coerce.number({ error: 'must be a port number (0 picks a free one)' }).int('must be a port number (0 picks a free one)').min(0).max(65535).default(portSettings[key].fallback);

/** Local-stack options read from the environment (docs/local-mode.md). */
export const localEnvSchema = z.object({
  PORT: port('api'),
  DYNAMODB_PORT: port('dynamodb'),
  S3_PORT: port('s3'),
  SES_PORT: port('ses'),
  SECRETS_MANAGER_PORT: port('secretsManager'),
  PINTEREST_WWW_PORT: port('pinterest.www'),
  PINTEREST_SANDBOX_PORT: port('pinterest.sandbox'),
  PINTEREST_PRODUCTION_PORT: port('pinterest.production'),
  /** Real Pinterest app credentials: when both are set, the local stack talks to the real Pinterest. */
  PINTEREST_CLIENT_ID: z.string().regex(/^\d+$/, 'must be the numeric Pinterest app id').optional(),
  PINTEREST_CLIENT_SECRET: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('.local-data'),
  LOCAL_OPERATOR_CREDENTIAL: z.string().min(32, 'must be at least 32 characters').optional(),
  /** `compact`: one short line per request; `json`: the JSON lines Lambda writes. */
  LOG_FORMAT: z.enum(['compact', 'json'], { error: 'must be compact or json' }).default('compact'),
});
export type LocalEnv = z.infer<typeof localEnvSchema>;

export const localResources = {
  tables: { state: 'mdz-state', workflow: 'mdz-workflow', audit: 'mdz-audit' } satisfies Record<TableName, string>,
  bucket: 'mdz-data',
  secretPrefix: DEFAULT_SECRET_PREFIX,
};

export interface LocalStackOptions {
  ports: {
    api: number;
    dynamodb: number;
    s3: number;
    ses: number;
    secretsManager: number;
    pinterest?: { www: number; sandbox: number; production: number };
  };
  /** Real Pinterest app credentials; without them the Pinterest emulator runs. */
  realPinterestApp?: { clientId: string; clientSecret: string };
  /** Persisted data folder; undefined keeps everything in memory/temp (tests). */
  dataDir?: string;
  operatorCredential?: string;
  /** Start the API server (default true). */
  api?: boolean;
}

export interface LocalStack {
  emulators: Emulators;
  pinterest?: PinterestEmulator;
  api?: LocalServer;
  apiUrl: string;
  seed: SeedResult;
  tables: Record<TableName, 'created' | 'kept'>;
  /** Environment the stack set for the product (settings, bindings, SDK endpoints). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A local setting that cannot be used; the message names the variable and what it must be. */
export class LocalSettingError extends Error {
  override readonly name = 'LocalSettingError';
}

export function parseLocalEnv(env: Record<string, string | undefined> = process.env): LocalEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = localEnvSchema.safeParse(present);
  if (!result.success) {
    throw new LocalSettingError(result.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join('; '));
  }
  return result.data;
}

export function optionsFromEnv(env: Record<string, string | undefined> = process.env): LocalStackOptions {
  const parsed = parseLocalEnv(env);
  return {
    ports: {
      api: parsed.PORT,
      dynamodb: parsed.DYNAMODB_PORT,
      s3: parsed.S3_PORT,
      ses: parsed.SES_PORT,
      secretsManager: parsed.SECRETS_MANAGER_PORT,
      pinterest: { www: parsed.PINTEREST_WWW_PORT, sandbox: parsed.PINTEREST_SANDBOX_PORT, production: parsed.PINTEREST_PRODUCTION_PORT },
    },
    ...(parsed.PINTEREST_CLIENT_ID !== undefined && parsed.PINTEREST_CLIENT_SECRET !== undefined
      ? { realPinterestApp: { clientId: parsed.PINTEREST_CLIENT_ID, clientSecret: parsed.PINTEREST_CLIENT_SECRET } }
      : {}),
    dataDir: resolve(parsed.DATA_DIR),
    ...(parsed.LOCAL_OPERATOR_CREDENTIAL === undefined ? {} : { operatorCredential: parsed.LOCAL_OPERATOR_CREDENTIAL }),
  };
}

/**
 * The product settings of the local stack: local defaults, each replaced by the environment's value
 * when set. Without real app credentials every Pinterest URL points at the emulator.
 */
export function localSettings(
  apiUrl: string,
  pinterestUrls: { authorize: string; sandbox: string; production: string } | undefined,
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const defaults: Record<string, string> = {
    PUBLIC_BASE_URL: apiUrl,
    OPERATOR_NOTIFY_EMAIL: 'operator@publisher.test',
    SENDER_EMAIL: 'info@ecooffice.net',
    ...(pinterestUrls === undefined
      ? {}
      : {
          PINTEREST_AUTHORIZE_URL: pinterestUrls.authorize,
          PINTEREST_API_BASE_SANDBOX: pinterestUrls.sandbox,
          PINTEREST_API_BASE_PRODUCTION: pinterestUrls.production,
        }),
  };
  return Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, env[k] !== undefined && env[k] !== '' ? env[k] : v]));
}

/**
 * The function bindings of local mode: every function may be invoked by every other, under its id
 * (`FUNCTION_SYNC_BOARDS=syncBoards`), the name the API stand-in's Invoke API knows it by.
 */
export function localFunctionBindings(): Record<string, string> {
  return Object.fromEntries(Object.keys(functionSpecs).map((fnId) => [functionBindingName(fnId), fnId]));
}

/**
 * Settings, resource bindings and SDK endpoints. The Lambda client goes to the API stand-in, which
 * serves the Invoke API (./lambda-invoke.ts); with `api: false` nothing listens there.
 */
function productEnv(apiUrl: string, emulators: Emulators, pinterest: PinterestEmulator | undefined): Record<string, string> {
  const settings = localSettings(apiUrl, pinterest?.urls);
  return {
    ...settings,
    ...emulators.sdkEnv,
    AWS_ENDPOINT_URL_LAMBDA: apiUrl,
    STATE_TABLE: localResources.tables.state,
    WORKFLOW_TABLE: localResources.tables.workflow,
    AUDIT_TABLE: localResources.tables.audit,
    SECRET_PREFIX: localResources.secretPrefix,
    DATA_BUCKET: localResources.bucket,
    ...localFunctionBindings(),
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const unlock = options.dataDir === undefined ? () => undefined : lockDataDir(options.dataDir);
  let emulators: Emulators;
  try {
    emulators = await startEmulators({
      ports: options.ports,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    });
  } catch (error) {
    unlock();
    throw error;
  }
  return startOnEmulators(options, emulators, unlock);
}

async function startOnEmulators(options: LocalStackOptions, emulators: Emulators, unlock: () => void): Promise<LocalStack> {
  let api: LocalServer | undefined;
  let pinterest: PinterestEmulator | undefined;
  try {
    // The API URL is needed for PUBLIC_BASE_URL before handlers load; with port 0 it is known after listen,
    // and handlers read settings lazily on their first request.
    if (options.api !== false) api = await tagPortError('api', startApiServer(options.ports.api));
    const apiUrl = api?.url ?? `http://127.0.0.1:${options.ports.api}`;
    const baseUrl = process.env.PUBLIC_BASE_URL ?? apiUrl;
    if (options.realPinterestApp === undefined) {
      pinterest = await startPinterestEmulator({
        ...(options.ports.pinterest === undefined ? {} : { ports: options.ports.pinterest }),
        ...(options.dataDir === undefined ? {} : { dataFile: join(options.dataDir, 'pinterest.json') }),
        app: { redirectUris: [`${baseUrl}/oauth/callback`] },
      });
    }
    const env = productEnv(apiUrl, emulators, pinterest);
    Object.assign(process.env, env);
    const clients = createAwsClients(env);
    const tables = await ensureTables(
      clients.dynamoDb,
      localResources.tables,
      options.dataDir ?? '(in memory)',
    );
    await ensureBucket(clients.s3, localResources.bucket);
    const seed = await seedSecrets(
      new SecretStore(clients.secrets, systemClock),
      localResources.secretPrefix,
      options.operatorCredential,
      options.realPinterestApp ?? pinterest?.app,
    );
    const stop = async () => {
      await api?.close();
      await pinterest?.close();
      await emulators.stop();
      unlock();
    };
    return {
      emulators,
      ...(pinterest === undefined ? {} : { pinterest }),
      ...(api === undefined ? {} : { api }),
      apiUrl,
      seed,
      tables,
      env,
      stop,
    };
  } catch (error) {
    await api?.close();
    await pinterest?.close();
    await emulators.stop();
    unlock();
    throw error;
  }
}
