import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { functionSpecs, type FunctionId } from '../shared/routes';
import type { Background } from './background';
import { readBody } from './http-body';

/**
 * Lambda's Invoke API as the product uses it, served by the API stand-in so the real
 * `@aws-sdk/client-lambda` works offline (`AWS_ENDPOINT_URL_LAMBDA` points at the stand-in):
 * `POST /2015-03-31/functions/{FunctionName}/invocations` with `X-Amz-Invocation-Type: Event` queues
 * the function on the Background (run in this process, retried twice like Lambda) and answers 202
 * with an empty body. Locally a function's name is its id (`syncBoards`); the stack binds
 * `FUNCTION_SYNC_BOARDS=syncBoards` for every function. Errors are Lambda's: the status, the
 * `x-amzn-errortype` header the SDK turns into its exception class, and a `{"Type","message"}` body.
 * Only asynchronous invocations are served; `RequestResponse` and `DryRun` are refused with a 400.
 * Not part of the product's route table: API Gateway has no such route.
 */

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Lambda's payload limit for an asynchronous invocation. */
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;

/** A made-up ARN in Lambda's error messages (the local context's account and region). */
const arnOf = (name: string) => `arn:aws:lambda:local:000000000000:function:${name}`;

/** Whether a request is an Invoke call (any other method on the path is the gateway's 404). */
export function isInvokeRequest(method: string | undefined, path: string): boolean {
  return method === 'POST' && INVOKE_PATH.test(path);
}

function lambdaError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ Type: 'User', message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

/** A FunctionName path segment as the SDK sent it, decoded (an ARN's colons arrive as %3A). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Answers an Invoke call (`isInvokeRequest`); `url` is the request's path and query. */
export async function answerInvoke(req: IncomingMessage, res: ServerResponse, url: string, background: Background): Promise<void> {
  const [path = '', query = ''] = url.split('?', 2);
  const segment = INVOKE_PATH.exec(path)?.[1] ?? '';
  const body = await readBody(req, MAX_EVENT_PAYLOAD_BYTES);
  const name = decodeSegment(segment);
  const qualifier = new URLSearchParams(query).get('Qualifier');
  // Locally every function is its id, unqualified or $LATEST (no versions, no aliases).
  if (!Object.hasOwn(functionSpecs, name) || (qualifier !== null && qualifier !== '$LATEST')) {
    lambdaError(res, 404, 'ResourceNotFoundException', `Function not found: ${arnOf(qualifier === null ? name : `${name}:${qualifier}`)}`);
    return;
  }
  const fn = name as FunctionId;
  // Lambda's default is RequestResponse; a header sent twice is no invocation type either.
  const invocationType = req.headersDistinct['x-amz-invocation-type']?.join(', ') ?? 'RequestResponse';
  if (invocationType !== 'Event') {
    lambdaError(
      res,
      400,
      'InvalidParameterValueException',
      `The local stack serves only asynchronous invocations (X-Amz-Invocation-Type: Event), not ${invocationType}`,
    );
    return;
  }
  if (body === 'too_large') {
    lambdaError(res, 413, 'RequestTooLargeException', `Request must be smaller than ${String(MAX_EVENT_PAYLOAD_BYTES)} bytes for the Invoke operation`);
    return;
  }
  let event: unknown = {};
  if (body.length > 0) {
    try {
      event = JSON.parse(body.toString('utf8')) as unknown;
    } catch (error) {
      lambdaError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: ${error instanceof Error ? error.message : 'invalid JSON'}`);
      return;
    }
  }
  const requestId = background.invokeAsync(fn, event);
  res.writeHead(202, { 'content-length': 0, 'x-amzn-requestid': requestId });
  res.end();
}
