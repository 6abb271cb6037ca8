/**
 * What a script that talks to the running local stack says when nothing answers: how to start it,
 * rather than a bare ECONNREFUSED. Answers undefined for any other failure.
 */
export function localStackUnreachable(error: unknown, variable: string, port: string): string | undefined {
  let current: unknown = error;
  // fetch wraps the socket error in `cause`; the AWS SDK passes it through as is. Shapes are checked
  // rather than classes: errors may come from another realm (a test runner's sandbox).
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (code === 'ECONNREFUSED') {
      return `The local stack is not running (nothing answers on 127.0.0.1:${port}): start it with npm start, or set ${variable} to the port it uses.`;
    }
    current = cause;
  }
  return undefined;
}
