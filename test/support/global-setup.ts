import { startLocalStack, type LocalStack } from '../../local/stack';

/**
 * Starts the AWS emulators once for the whole test run (free ports, in-memory data), prepares the
 * tables, bucket and secrets, and leaves their endpoints in the environment the test workers inherit.
 */
export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const stack = await startLocalStack({
    ports: { api: 0, dynamodb: 0, s3: 0, ses: 0, secretsManager: 0 },
    api: false,
    operatorCredential: 'test-operator-credential-0123456789abcdef',
  });
  (globalThis as { __LOCAL_STACK__?: LocalStack }).__LOCAL_STACK__ = stack;
}
