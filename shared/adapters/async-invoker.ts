import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { requireFunctionBinding } from '../config';
import { DependencyError } from '../domain/errors';
import type { AsyncInvokerPort } from '../domain/async-invocation';
import type { FunctionId } from '../routes';

type Env = Record<string, string | undefined>;

/** Lambda accepted the request but did not queue it (anything but 202 to an Event invocation). */
export class AsyncInvocationError extends DependencyError {
  readonly code = 'not_queued';
  readonly summary: string;

  constructor(
    readonly fn: FunctionId,
    readonly status: number | undefined,
  ) {
    const summary = `Lambda answered ${status === undefined ? 'no status' : String(status)} to an Event invocation of ${fn}, not 202`;
    super(summary);
    this.name = 'AsyncInvocationError';
    this.summary = summary;
  }
}

/**
 * Asynchronous invocations through Lambda's Invoke API (`InvocationType: Event`): the payload as
 * JSON, the function's name from its binding (`FUNCTION_SYNC_BOARDS`, set by infra/bind.ts for each
 * function the caller may invoke), read on each call so a missing grant fails naming the variable.
 * SDK errors (ResourceNotFoundException, AccessDeniedException, …) are passed on as they are.
 */
export class LambdaAsyncInvoker implements AsyncInvokerPort {
  constructor(
    private readonly client: LambdaClient,
    private readonly env: Env = process.env,
  ) {}

  async invoke(fn: FunctionId, payload: unknown): Promise<void> {
    const functionName = requireFunctionBinding(fn, this.env);
    const json = JSON.stringify(payload) as string | undefined;
    if (json === undefined) throw new TypeError(`The payload of an invocation of ${fn} must be a JSON value`);
    const result = await this.client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: json }));
    if (result.StatusCode !== 202) throw new AsyncInvocationError(fn, result.StatusCode);
  }
}
