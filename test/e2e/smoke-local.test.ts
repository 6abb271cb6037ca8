import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { useLocalStack } from '../support/local-process';

const credential = 'e2e-smoke-credential-0123456789abcdefgh';
const repoRoot = join(__dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run smoke -- <url>` as a person runs it after a deploy: a child process, with or without OPERATOR_CREDENTIAL. */
function smoke(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'OPERATOR_CREDENTIAL'));
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/smoke.ts', ...args], { cwd: repoRoot, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => {
    resolve();
  }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * The smoke check after a deploy, run against `npm start` (the same API as a deployment): health, the
 * privacy page, 401 and 403 on an operator route, and with the operator credential the OAuth start
 * link's redirect to Pinterest (client id, this deployment's callback, scopes, state); what to do next.
 */
describe('npm run smoke against the local stack', () => {
  const stack = useLocalStack('mdz-smoke-', { LOCAL_OPERATOR_CREDENTIAL: credential });

  it('passes every check with the operator credential and says what to do next', async () => {
    const run = await smoke([stack.urls.api], { OPERATOR_CREDENTIAL: credential });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const line of [
      'ok   GET /health: answered 200',
      'ok   GET /privacy: answered 200 text/html',
      'ok   GET /account without a credential: answered 401 (401 expected)',
      'ok   GET /account with a wrong credential: answered 403 (403 expected)',
      'ok   GET /account with the operator credential: answered 200',
      'ok   the start link redirects to Pinterest: answered 302',
      `ok   redirect_uri is this deployment’s callback: ${stack.urls.api}/oauth/callback`,
      'ok   response_type=code, a client id, a state',
      'ok   the scopes: boards:read,boards:write,pins:read,pins:write,user_accounts:read',
    ]) {
      expect(run.stdout).toContain(line);
    }
    expect(run.stdout).toContain(`Register ${stack.urls.api}/oauth/callback exactly in your Pinterest app`);
  });

  it('without the credential runs the public checks and says how to check the start link', async () => {
    const run = await smoke([`${stack.urls.api}/`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok   GET /account with a wrong credential');
    expect(run.stdout).not.toContain('start link redirects');
    expect(run.stdout).toContain('Set OPERATOR_CREDENTIAL to the operator credential');
  });

  it('fails a refused credential with exit 1 and says what to run', async () => {
    const run = await smoke([stack.urls.api], { OPERATOR_CREDENTIAL: 'not-the-operator-credential-0123456789' });
    expect(run.code).toBe(1);
    // API Gateway's own refusal has no error code: the message alone.
    expect(run.stdout).toContain('FAIL GET /account with the operator credential: answered 403: ');
    expect(run.stdout).not.toContain('answered 403: : ');
    // The local stack's address: the local command.
    expect(run.stdout).toContain('npm run operator-credential -- --local)');
  });

  it('says when the API cannot be reached (exit 1), and how to call it (exit 2)', async () => {
    const unreachable = await smoke([`http://127.0.0.1:${String(await closedPort())}`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Could not reach http://127.0.0.1:');
    const usage = await smoke([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run smoke -- <api url>');
    expect((await smoke(['not-a-url'])).code).toBe(2);
    const unknown = await smoke(['--verbose', 'http://127.0.0.1:1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run smoke -- <api url>');
    const help = await smoke(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run smoke -- <api url>');
  });
});
