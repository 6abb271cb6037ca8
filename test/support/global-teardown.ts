import type { LocalStack } from '../../local/stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __LOCAL_STACK__?: LocalStack }).__LOCAL_STACK__?.stop();
}
