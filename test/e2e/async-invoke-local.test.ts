import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { buildHttpApiEvent } from '../../local/api-event';
import { useLocalStack } from '../support/local-process';

/**
 * `npm start` serves Lambda's Invoke API on its API address (local/lambda-invoke.ts): the real SDK
 * client pointed there starts a function in the background of the running stack, which logs it like
 * any other run; the 202 is logged as the local Lambda's answer.
 */
describe('end to end: asynchronous invocation in the local stack', () => {
  const stack = useLocalStack('mdz-invoke-', { POWERTOOLS_LOG_LEVEL: 'INFO' });
  const client = () => new LambdaClient({ endpoint: stack.urls.api, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

  async function waitFor(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(stack.output())) {
      if (Date.now() > deadline) throw new Error(`no line matching ${String(pattern)} in:\n${stack.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('runs an Event invocation of a function in the background and logs both', async () => {
    const event = buildHttpApiEvent({ method: 'GET', url: '/health', routeKey: 'GET /health' });
    const answer = await client().send(new InvokeCommand({ FunctionName: 'getHealth', InvocationType: 'Event', Payload: JSON.stringify(event) }));
    expect(answer.StatusCode).toBe(202);
    await waitFor(/\d\d:\d\d:\d\d POST \/2015-03-31\/functions\/getHealth\/invocations 202 \d+ms \(lambda\)\n/);
    // The handler's own line: it ran, with the event it was given.
    await waitFor(/\d\d:\d\d:\d\d GET \/health 200 \d+ms\n/);
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    await expect(client().send(new InvokeCommand({ FunctionName: 'nothing', InvocationType: 'Event', Payload: '{}' }))).rejects.toThrow(ResourceNotFoundException);
  });
});
