import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamo } from './aws/dynamo';
import { createS3 } from './aws/s3';

/**
 * Every AWS client at once, for code that is not a Lambda bundle (the local boot, scripts, tests).
 * Functions import the per-client modules in ./aws/ instead, to keep their bundles small.
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
  const dynamo = createDynamo();
  return { dynamo: dynamo.doc, dynamoDb: dynamo.raw, secrets: new SecretsManagerClient({}), ses: new SESClient({}), s3: createS3(env) };
}
