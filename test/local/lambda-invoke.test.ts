import {
  InvalidParameterValueException,
  InvalidRequestContentException,
  InvokeCommand,
  LambdaClient,
  RequestTooLargeException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import type { Invoke } from '../../local/background';
import { MAX_EVENT_PAYLOAD_BYTES } from '../../local/lambda-invoke';
import { matchRoute } from '../../local/server';
import { useInvokeEndpoint } from '../support/invoke-endpoint';

/**
 * The API stand-in's Lambda Invoke endpoint (local/lambda-invoke.ts), answer by answer: over plain
 * fetch for the exact bytes, and through the real SDK client for what a caller sees. The Background's
 * runs go to a spy, so only what was queued is checked here (test/adapters/async-invoker.test.ts runs
 * a real handler).
 */

const runs = jest.fn<ReturnType<Invoke>, Parameters<Invoke>>(() => Promise.resolve(undefined));
const endpoint = useInvokeEndpoint({ invoke: runs });
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeEach(() => {
  runs.mockClear();
});

async function post(name: string, init: { type?: string; body?: string; query?: string } = {}) {
  const res = await fetch(`${endpoint.server().url}/2015-03-31/functions/${name}/invocations${init.query ?? ''}`, {
    method: 'POST',
    headers: init.type === undefined ? {} : { 'x-amz-invocation-type': init.type },
    body: init.body ?? '{}',
  });
  const text = await res.text();
  await endpoint.server().background.idle();
  return { res, status: res.status, text };
}

function expectLambdaError(answer: Awaited<ReturnType<typeof post>>, status: number, type: string, message: string | RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.res.headers.get('x-amzn-errortype')).toBe(type);
  expect(answer.res.headers.get('content-type')).toBe('application/json');
  const body = JSON.parse(answer.text) as { Type: string; message: string };
  expect(Object.keys(body)).toEqual(['Type', 'message']);
  expect(body.Type).toBe('User');
  expect(body.message).toMatch(message);
  expect(runs).not.toHaveBeenCalled();
}

describe('the local Lambda Invoke endpoint', () => {
  it('queues an Event invocation of a known function and answers 202 with an empty body and a request id', async () => {
    const answer = await post('getHealth', { type: 'Event', body: '{"page":2}' });
    expect(answer.status).toBe(202);
    expect(answer.text).toBe('');
    expect(answer.res.headers.get('content-length')).toBe('0');
    expect(answer.res.headers.get('x-amzn-requestid')).toMatch(uuid);
    expect(runs.mock.calls).toEqual([['getHealth', { page: 2 }]]);
  });

  it('passes an empty payload as {}', async () => {
    expect((await post('refreshTokens', { type: 'Event', body: '' })).status).toBe(202);
    expect(runs.mock.calls).toEqual([['refreshTokens', {}]]);
  });

  it('accepts the $LATEST qualifier, the only version a local function has', async () => {
    expect((await post('getHealth', { type: 'Event', query: '?Qualifier=%24LATEST' })).status).toBe(202);
    expect(runs).toHaveBeenCalledTimes(1);
    runs.mockClear();
    const aliased = await post('getHealth', { type: 'Event', query: '?Qualifier=live' });
    expectLambdaError(aliased, 404, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:local:000000000000:function:getHealth:live');
  });

  it('answers an unknown function as Lambda does: 404 ResourceNotFoundException', async () => {
    expectLambdaError(await post('syncNothing', { type: 'Event' }), 404, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:local:000000000000:function:syncNothing');
    // Locally a function's name is its id: the deployed name, an ARN or another spelling is unknown.
    expectLambdaError(await post('MiraDigitalZenPublisher-getHealth', { type: 'Event' }), 404, 'ResourceNotFoundException', /Function not found/);
    expectLambdaError(await post('gethealth', { type: 'Event' }), 404, 'ResourceNotFoundException', /Function not found/);
    expectLambdaError(await post('constructor', { type: 'Event' }), 404, 'ResourceNotFoundException', /Function not found/);
  });

  it('refuses synchronous invocations and dry runs with a 400 (only Event is served)', async () => {
    for (const type of [undefined, 'RequestResponse', 'DryRun']) {
      expectLambdaError(await post('getHealth', type === undefined ? {} : { type }), 400, 'InvalidParameterValueException', /only asynchronous invocations/);
    }
  });

  it('refuses a payload that is not JSON, or over the 1 MB asynchronous limit', async () => {
    expectLambdaError(await post('getHealth', { type: 'Event', body: '{"page":' }), 400, 'InvalidRequestContentException', /^Could not parse request body into json/);
    const large = JSON.stringify({ data: 'a'.repeat(MAX_EVENT_PAYLOAD_BYTES) });
    expectLambdaError(await post('getHealth', { type: 'Event', body: large }), 413, 'RequestTooLargeException', /smaller than 1048576 bytes/);
    const fits = JSON.stringify({ data: 'a'.repeat(MAX_EVENT_PAYLOAD_BYTES - 20) });
    expect((await post('getHealth', { type: 'Event', body: fits })).status).toBe(202);
  });

  it('is not a product route: other methods get the gateway’s 404, and the route table has no such path', async () => {
    const path = '/2015-03-31/functions/getHealth/invocations';
    const get = await fetch(`${endpoint.server().url}${path}`);
    expect(get.status).toBe(404);
    expect(await get.text()).toBe('{"message":"Not Found"}');
    expect(matchRoute('POST', path)).toBeUndefined();
    expect(runs).not.toHaveBeenCalled();
  });

  describe('through the real SDK client', () => {
    const client = () => new LambdaClient({ endpoint: endpoint.server().url, maxAttempts: 1 });
    const invoke = (input: Partial<ConstructorParameters<typeof InvokeCommand>[0]>) =>
      client().send(new InvokeCommand({ FunctionName: 'getHealth', InvocationType: 'Event', Payload: '{}', ...input }));

    it('gives StatusCode 202 and an empty payload', async () => {
      const answer = await invoke({ Payload: JSON.stringify({ page: 1 }) });
      expect(answer.StatusCode).toBe(202);
      expect(answer.Payload?.length ?? 0).toBe(0);
      expect(answer.FunctionError).toBeUndefined();
      await endpoint.server().background.idle();
      expect(runs.mock.calls).toEqual([['getHealth', { page: 1 }]]);
    });

    it('raises the SDK’s own exception classes for Lambda’s errors', async () => {
      await expect(invoke({ FunctionName: 'nope' })).rejects.toThrow(ResourceNotFoundException);
      await expect(invoke({ InvocationType: 'RequestResponse' })).rejects.toThrow(InvalidParameterValueException);
      await expect(invoke({ Payload: 'not json' })).rejects.toThrow(InvalidRequestContentException);
      await expect(invoke({ Payload: 'x'.repeat(MAX_EVENT_PAYLOAD_BYTES + 1) })).rejects.toThrow(RequestTooLargeException);
      const failure = await invoke({ FunctionName: 'nope' }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ name: 'ResourceNotFoundException', message: 'Function not found: arn:aws:lambda:local:000000000000:function:nope', $metadata: { httpStatusCode: 404 } });
      expect(runs).not.toHaveBeenCalled();
    });
  });
});
