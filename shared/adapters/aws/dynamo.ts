import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One module per AWS client, so a function's bundle carries only the SDK clients it uses (the S3
 * client alone is larger than a whole small function). Endpoints come from the SDK's own
 * environment variables (`AWS_ENDPOINT_URL_DYNAMODB`, …), which local mode points at the emulators.
 */

export function createDynamo(): { raw: DynamoDBClient; doc: DynamoDBDocumentClient } {
  const raw = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  return { raw, doc };
}

let shared: ReturnType<typeof createDynamo> | undefined;

/** The process-wide DynamoDB document client (module scope in Lambda, reused across invocations). */
export function dynamoDocumentClient(): DynamoDBDocumentClient {
  shared ??= createDynamo();
  return shared.doc;
}
