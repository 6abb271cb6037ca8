import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS SDK clients, created once per process and shared by the adapters. Endpoints come from the
 * SDK's own environment variables (`AWS_ENDPOINT_URL_DYNAMODB`, …), which local mode and the tests
 * point at the emulators; no code path differs between Lambda and local.
 */

type Env = Record<string, string | undefined>;

export interface AwsClients {
  /** Document client: plain JS values in and out. */
  dynamo: DynamoDBDocumentClient;
  /** The underlying client, for table administration (local boot). */
  dynamoDb: DynamoDBClient;
  secrets: SecretsManagerClient;
  ses: SESClient;
  s3: S3Client;
}

export function createAwsClients(env: Env = process.env): AwsClients {
  const dynamoDb = new DynamoDBClient({});
  const dynamo = DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return {
    dynamo,
    dynamoDb,
    secrets: new SecretsManagerClient({}),
    ses: new SESClient({}),
    // A custom S3 endpoint (an emulator) has no per-bucket DNS names: address buckets by path.
    s3: new S3Client({ forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined }),
  };
}

let shared: AwsClients | undefined;

/** The process-wide clients (module scope in Lambda, reused across invocations). */
export function awsClients(): AwsClients {
  shared ??= createAwsClients();
  return shared;
}
