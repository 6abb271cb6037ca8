import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { SecretStore } from '../shared/adapters/secret-store';
import { hashOperatorCredential } from '../shared/domain/operator-credential';
import { appCredentialsSchema, type AppCredentials } from '../shared/domain/pinterest-api';
import { hashingKeySecret, secretNames } from '../shared/secrets';
import { keyAttributes, tableList, type TableDefinition, type TableName } from '../shared/tables';

/**
 * Prepares the emulated AWS account at every local start: tables from shared/tables.ts, the data
 * bucket, and the secrets the product needs (hashing key, operator credential hash). Idempotent, so
 * a restart over persisted data changes nothing.
 */

export class StaleLocalDataError extends Error {}

/** The parts of a table definition that persisted local data must still match. */
function shapeOf(def: TableDefinition): string {
  return JSON.stringify({
    keys: [def.partitionKey, def.sortKey],
    indexes: def.indexes.map((i) => [i.name, i.partitionKey, i.sortKey]).sort(),
  });
}

function shapeOfDescription(table: TableDescription): string {
  const key = (schema: TableDescription['KeySchema']) => [
    schema?.find((k) => k.KeyType === 'HASH')?.AttributeName,
    schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName,
  ];
  return JSON.stringify({
    keys: key(table.KeySchema),
    indexes: (table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, ...key(i.KeySchema)]).sort(),
  });
}

async function ensureTable(dynamo: DynamoDBClient, def: TableDefinition, tableName: string, dataDir: string): Promise<'created' | 'kept'> {
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table && shapeOfDescription(Table) !== shapeOf(def)) {
      throw new StaleLocalDataError(
        `The local table "${tableName}" was created from an older definition than shared/tables.ts. ` +
          `Delete the data folder (${dataDir}) and start again; local data cannot be migrated.`,
      );
    }
    return 'kept';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyAttributes(def).map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        { AttributeName: def.sortKey, KeyType: 'RANGE' },
      ],
      ...(def.indexes.length === 0
        ? {}
        : {
            GlobalSecondaryIndexes: def.indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                { AttributeName: index.sortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
          }),
    }),
  );
  try {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite has no UpdateTimeToLive; expiry is enforced on every read anyway (shared/adapters/dynamo).
    if (!(error instanceof Error) || !/UnknownOperation|not.*support/i.test(`${error.name} ${error.message}`)) throw error;
  }
  return 'created';
}

export async function ensureTables(
  dynamo: DynamoDBClient,
  tableNames: Record<TableName, string>,
  dataDir: string,
  definitions: readonly TableDefinition[] = tableList,
): Promise<Record<TableName, 'created' | 'kept'>> {
  const result = {} as Record<TableName, 'created' | 'kept'>;
  for (const def of definitions) result[def.name] = await ensureTable(dynamo, def, tableNames[def.name], dataDir);
  return result;
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}


export interface SeedResult {
  /** Set only when the credential was generated now: printed once, never stored in clear. */
  generatedOperatorCredential?: string;
  operatorCredentialSource: 'given' | 'generated' | 'kept';
}

/** A new hashing key's secret value (random, 32 bytes). */
export const newHashingKey = () => ({ hashingKey: randomBytes(32).toString('base64') });
/** A new operator credential (random, 32 bytes, URL-safe). */
export const newOperatorCredential = () => randomBytes(32).toString('base64url');

/** Stores the hashing key: creates the secret, or a new version of it when one `exists`. */
export async function storeHashingKey(secrets: SecretStore, name: string, exists: boolean): Promise<void> {
  if (exists) await secrets.put(name, newHashingKey());
  else await secrets.create(name, newHashingKey(), 'Key for keyed hashes');
}

/** Stores only the credential's hash: creates the secret, or a new version of it when one `exists`. */
export async function storeOperatorCredential(secrets: SecretStore, name: string, credential: string, exists: boolean): Promise<void> {
  const record = hashOperatorCredential(credential, new Date());
  if (exists) await secrets.put(name, record);
  else await secrets.create(name, record, 'Operator credential hash');
}

/**
 * Seeds the hashing key (once) and the operator credential hash. A credential given in the
 * environment replaces the stored hash; without one, the stored hash is kept, or a new credential is
 * generated and returned so the caller can print it once.
 */
export async function seedSecrets(
  secrets: SecretStore,
  prefix: string,
  givenCredential: string | undefined,
  pinterestApp?: { clientId: string; clientSecret: string },
): Promise<SeedResult> {
  const names = secretNames(prefix);
  if (pinterestApp !== undefined) await seedPinterestApp(secrets, names.pinterestApp, pinterestApp);
  if ((await secrets.get(names.hashingKey, hashingKeySecret)) === undefined) await storeHashingKey(secrets, names.hashingKey, false);
  const stored = await secrets.get(names.operatorCredential, z.looseObject({ hash: z.string() }));
  if (givenCredential !== undefined) {
    if (stored?.hash !== hashOperatorCredential(givenCredential, new Date()).hash) {
      await storeOperatorCredential(secrets, names.operatorCredential, givenCredential, stored !== undefined);
    }
    return { operatorCredentialSource: 'given' };
  }
  if (stored !== undefined) return { operatorCredentialSource: 'kept' };
  const generated = newOperatorCredential();
  await storeOperatorCredential(secrets, names.operatorCredential, generated, false);
  return { operatorCredentialSource: 'generated', generatedOperatorCredential: generated };
}

/** Stores the Pinterest app id and secret: creates the secret, or a new version when it differs. */
export async function seedPinterestApp(secrets: SecretStore, name: string, app: AppCredentials): Promise<void> {
  const stored = await secrets.get(name, z.unknown());
  const value = { clientId: app.clientId, clientSecret: app.clientSecret };
  if (stored === undefined) {
    await secrets.create(name, value, 'Pinterest app id and secret');
    return;
  }
  const parsed = appCredentialsSchema.safeParse(stored);
  if (!parsed.success || parsed.data.clientId !== value.clientId || parsed.data.clientSecret !== value.clientSecret) await secrets.put(name, value);
}
