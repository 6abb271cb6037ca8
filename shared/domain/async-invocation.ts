import type { FunctionId } from '../routes';

/**
 * Starts another function (or the caller itself, to continue a long job) without waiting for it:
 * the invocation is queued and the function runs later, retried up to twice if it fails. Resolves
 * once the invocation is accepted, never with the function's result. The caller must hold an
 * `invokes` grant on `fn` (shared/routes.ts).
 */
export interface AsyncInvokerPort {
  invoke(fn: FunctionId, payload: unknown): Promise<void>;
}
