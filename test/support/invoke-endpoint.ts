import { startApiServer, type ApiServerOptions, type LocalServer } from '../../local/server';

/**
 * Asynchronous invocations in tests. The global setup starts the emulators without the API stand-in
 * (`api: false`), so nothing serves Lambda's Invoke API there: `AWS_ENDPOINT_URL_LAMBDA` points at
 * the unbound port of the stack's API and an invocation fails at once (never reaching AWS). A test
 * file whose code invokes a function asynchronously calls `useInvokeEndpoint()` at the top of a
 * `describe`: it starts the API stand-in in the test's own process on a free port and points the
 * variable at it for the file. Then the real SDK client sends a real request to the same Invoke
 * endpoint `npm start` serves (local/lambda-invoke.ts), the Background runs the invoked handler in
 * this process, and `server().background.idle()` waits for it (and for its retries) to finish, so a
 * test can check what the job did without polling. Pass `invoke` to observe or replace the runs.
 *
 * Set before the first invocation: the product's Lambda client reads the variable when it is made.
 */
export function useInvokeEndpoint(options: ApiServerOptions = {}): { server(): LocalServer } {
  let started: LocalServer | undefined;
  let previous: string | undefined;
  beforeAll(async () => {
    started = await startApiServer(0, '127.0.0.1', options);
    previous = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = started.url;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = previous;
    await started?.close();
  });
  return {
    server: () => {
      if (started === undefined) throw new Error('the invoke endpoint is not running (useInvokeEndpoint starts it in beforeAll)');
      return started;
    },
  };
}
