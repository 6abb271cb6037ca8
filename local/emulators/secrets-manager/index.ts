/**
 * A small AWS Secrets Manager emulator speaking the real JSON 1.1 wire protocol.
 *
 * It exists because no Secrets Manager emulator exists on npm, and this product keeps its tokens
 * only in Secrets Manager. Local mode and the tests reach it through the real
 * `@aws-sdk/client-secrets-manager` client, pointed here by `AWS_ENDPOINT_URL_SECRETS_MANAGER`, so
 * the code under test is exactly the code that runs in AWS. Error bodies carry `__type`, which makes
 * the SDK raise its real typed exceptions. Signatures are not verified.
 *
 * State lives in memory and, when `dataFile` is given, in one JSON file rewritten atomically (temp
 * file + rename) after every call that changed something, so a restart keeps every secret, version
 * and scheduled deletion. Secrets scheduled for deletion are purged lazily, at the next request
 * after the (injectable) clock passes their deletion date.
 */

export { startSecretsManagerEmulator } from './server';
export type { SecretsManagerEmulator, SecretsManagerEmulatorOptions } from './server';
