import { request } from 'node:http';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { AsyncInvocationError, LambdaAsyncInvoker } from '../../shared/adapters/async-invoker';
import { lambdaClient } from '../../shared/adapters/aws/lambda';
import { functionBindingName } from '../../shared/config';
import { ConfigError } from '../../shared/domain/errors';
import { functionSpecs, type FunctionId } from '../../shared/routes';
import { buildHttpApiEvent, readHttpApiResult } from '../../local/api-event';
import type { Invoke } from '../../local/background';
import { invoke as runHandler } from '../../local/lambda-runtime';
import { useInvokeEndpoint } from '../support/invoke-endpoint';

/**
 * LambdaAsyncInvoker through the real SDK client and real HTTP, against the Invoke endpoint of the
 * API stand-in (test/support/invoke-endpoint.ts), with the bindings the local stack set in this
 * process (`FUNCTION_GET_HEALTH=getHealth`). The Background's runs go through a spy that succeeds
 * at once, or runs the real handler when a test says so (a failed run would be retried twice, as
 * Lambda does, and show up as three calls).
 */

let run: Invoke = () => Promise.resolve(undefined);
const runs = jest.fn<ReturnType<Invoke>, Parameters<Invoke>>((fn, event) => run(fn, event));
const endpoint = useInvokeEndpoint({ invoke: runs });

beforeEach(() => {
  runs.mockClear();
  run = () => Promise.resolve(undefined);
});

const healthEvent = () => buildHttpApiEvent({ method: 'GET', url: '/health', routeKey: 'GET /health' });

describe('LambdaAsyncInvoker', () => {
  it('queues the function with the payload as JSON and returns before it runs; the function then runs in the background', async () => {
    let release: (value?: unknown) => void = () => undefined;
    const held = new Promise((resolve) => (release = resolve));
    run = async (fn, event) => {
      await held;
      return runHandler(fn, event);
    };
    const event = healthEvent();

    await new LambdaAsyncInvoker(lambdaClient()).invoke('getHealth', event);

    // Accepted while the run is still held back: the caller never waits for the function.
    expect(runs).toHaveBeenCalledTimes(1);
    const [fn, received] = runs.mock.calls[0] ?? [];
    expect(fn).toBe('getHealth');
    expect(received).toEqual(JSON.parse(JSON.stringify(event)));
    let finished = false;
    const done = endpoint
      .server()
      .background.idle()
      .then(() => (finished = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(finished).toBe(false);

    release();
    await done;
    const answer = readHttpApiResult(await runs.mock.results[0]?.value);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ status: 'ok' });
  });

  it('sends any JSON value as the payload', async () => {
    const invoker = new LambdaAsyncInvoker(lambdaClient());
    await invoker.invoke('getHealth', { cursor: 'b-2', page: 3, nested: { done: false } });
    await invoker.invoke('getHealth', 'continue');
    await endpoint.server().background.idle();
    expect(runs.mock.calls.map(([, payload]) => payload)).toEqual([{ cursor: 'b-2', page: 3, nested: { done: false } }, 'continue']);
  });

  it('refuses a payload that is not JSON before sending anything', async () => {
    await expect(new LambdaAsyncInvoker(lambdaClient()).invoke('getHealth', undefined)).rejects.toThrow(TypeError);
    expect(runs).not.toHaveBeenCalled();
  });

  it('fails naming the variable when the function is not bound (no invokes grant), sending nothing', async () => {
    const attempt = new LambdaAsyncInvoker(lambdaClient(), {}).invoke('getHealth', {});
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow('FUNCTION_GET_HEALTH is required');
    expect(runs).not.toHaveBeenCalled();
  });

  it('passes on ResourceNotFoundException for a function Lambda does not know', async () => {
    const attempt = new LambdaAsyncInvoker(lambdaClient(), { FUNCTION_GET_HEALTH: 'mdz-getHealth-gone' }).invoke('getHealth', {});
    await expect(attempt).rejects.toThrow(ResourceNotFoundException);
    await expect(attempt).rejects.toThrow('Function not found: arn:aws:lambda:local:000000000000:function:mdz-getHealth-gone');
    expect(runs).not.toHaveBeenCalled();
  });

  it('treats anything but 202 as an error (an Event invocation that was not queued)', async () => {
    const client = { send: jest.fn(() => Promise.resolve({ StatusCode: 200 })) } as unknown as LambdaClient;
    const attempt = new LambdaAsyncInvoker(client, { FUNCTION_GET_HEALTH: 'getHealth' }).invoke('getHealth', {});
    await expect(attempt).rejects.toThrow(AsyncInvocationError);
    await expect(attempt).rejects.toThrow('Lambda answered 200 to an Event invocation of getHealth, not 202');
  });

  it('sends an Event invocation of the bound name, unqualified', async () => {
    const send = jest.fn((command: InvokeCommand) => Promise.resolve({ StatusCode: 202, command }));
    const client = { send } as unknown as LambdaClient;
    await new LambdaAsyncInvoker(client, { FUNCTION_GET_HEALTH: 'Publisher-getHealth' }).invoke('getHealth', { a: 1 });
    const input = send.mock.calls[0]?.[0].input;
    expect(input).toEqual({ FunctionName: 'Publisher-getHealth', InvocationType: 'Event', Payload: '{"a":1}' });
  });
});

describe('the local stack’s Lambda bindings', () => {
  it('bind every function under its own id', () => {
    for (const fnId of Object.keys(functionSpecs) as FunctionId[]) expect(process.env[functionBindingName(fnId)]).toBe(fnId);
  });

  it('derive one distinct, valid variable per function id', () => {
    expect(functionBindingName('syncBoards')).toBe('FUNCTION_SYNC_BOARDS');
    expect(functionBindingName('createOAuthLink')).toBe('FUNCTION_CREATE_OAUTH_LINK');
    expect(functionBindingName('getHealth')).toBe('FUNCTION_GET_HEALTH');
    const names = Object.keys(functionSpecs).map(functionBindingName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^FUNCTION_[A-Z][A-Z0-9_]*$/);
  });
});

describe('the Invoke endpoint behind the guard', () => {
  /** A signed-looking Invoke request with an exact Host header (fetch would set its own). */
  function rawInvoke(headers: Record<string, string>): Promise<number> {
    const url = new URL(endpoint.server().url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/2015-03-31/functions/getHealth/invocations',
          headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json', ...headers },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            resolve(res.statusCode ?? 0);
          });
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
  }

  it('accepts what the SDK sends (Host 127.0.0.1:<port>, no Origin)', async () => {
    const client = new LambdaClient({ endpoint: endpoint.server().url });
    const answer = await client.send(new InvokeCommand({ FunctionName: 'getHealth', InvocationType: 'Event', Payload: '{}' }));
    expect(answer.StatusCode).toBe(202);
    await endpoint.server().background.idle();
    expect(runs).toHaveBeenCalledTimes(1);
  });

  it('refuses a foreign Host or a web page’s Origin with 403, queuing nothing', async () => {
    const port = new URL(endpoint.server().url).port;
    expect(await rawInvoke({ host: `attacker.example:${port}` })).toBe(403);
    expect(await rawInvoke({ host: `127.0.0.1:${port}`, origin: 'https://attacker.example' })).toBe(403);
    expect(await rawInvoke({ host: `127.0.0.1:${port}` })).toBe(202);
    await endpoint.server().background.idle();
    expect(runs).toHaveBeenCalledTimes(1);
  });
});
