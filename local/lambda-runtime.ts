import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { functionSpecs, type FunctionId } from '../shared/routes';

/**
 * Runs the product's Lambda handlers in this process the way the Lambda service would: the module is
 * loaded once (cold start) and kept; each call gets a fresh context whose remaining time counts down
 * from the function's configured timeout, and a call that outlives it is abandoned as a timeout.
 */

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const repoRoot = resolve(__dirname, '..');
const loaded = new Map<FunctionId, LambdaHandler>();

export function loadHandler(fn: FunctionId): LambdaHandler {
  const cached = loaded.get(fn);
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(resolve(repoRoot, functionSpecs[fn].entry)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw new Error(`${functionSpecs[fn].entry} exports no handler`);
  const handler = mod.handler as LambdaHandler;
  loaded.set(fn, handler);
  return handler;
}

export function lambdaContext(fn: FunctionId, awsRequestId = randomUUID()): Context {
  const spec = functionSpecs[fn];
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error('callback-style completion is not used by this product');
  };
  // The deprecated completion methods are still part of the Context type; they only throw here.
  const legacy = { done: unsupported, fail: unsupported, succeed: unsupported };
  return {
    ...legacy,
    callbackWaitsForEmptyEventLoop: false,
    // Locally a function's name is its id: the name the local Invoke API knows it by (./lambda-invoke.ts).
    functionName: fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

export class LambdaTimeoutError extends Error {
  constructor(fn: FunctionId, seconds: number) {
    super(`Task timed out after ${seconds} seconds (${fn})`);
  }
}

/** Invokes a handler with its timeout; rejects with LambdaTimeoutError when it runs too long. */
export async function invoke(fn: FunctionId, event: unknown): Promise<unknown> {
  const handler = loadHandler(fn);
  const seconds = functionSpecs[fn].timeoutSeconds;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new LambdaTimeoutError(fn, seconds));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([handler(event, lambdaContext(fn)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
