import { LambdaClient } from '@aws-sdk/client-lambda';

let shared: LambdaClient | undefined;

/**
 * The process-wide Lambda client (see ./dynamo.ts for why one module per client). Local mode points
 * it at the API stand-in with `AWS_ENDPOINT_URL_LAMBDA`, which serves the Invoke API.
 */
export function lambdaClient(): LambdaClient {
  shared ??= new LambdaClient({});
  return shared;
}
