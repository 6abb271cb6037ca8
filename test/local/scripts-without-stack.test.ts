import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { localStackUnreachable } from '../../scripts/local-stack';

/**
 * The scripts that talk to the running local stack, run with none running: they say to start it with
 * `npm start` instead of a bare ECONNREFUSED, and `npm run schedule` names the schedules that exist.
 */

const repoRoot = join(__dirname, '../..');

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function runScript(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'node_modules/.bin/tsx'), [script, ...args], { cwd: repoRoot, env: { ...base, ...env }, timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('scripts that need the local stack', () => {
  it('npm run operator-credential -- --local says to start the stack when nothing answers', async () => {
    const port = await closedPort();
    const run = await runScript('scripts/operator-credential.ts', ['--local'], { SECRETS_MANAGER_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `The local stack is not running (nothing answers on 127.0.0.1:${String(port)}): start it with npm start, or set SECRETS_MANAGER_PORT to the port it uses.`,
    );
    expect(run.stdout).toBe('');
  });

  it('npm run mail:receive -- message.eml says to start the stack when nothing answers on S3_PORT', async () => {
    const port = await closedPort();
    const run = await runScript('scripts/mail-receive.ts', ['test/fixtures/mail/plain.eml'], { S3_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `The local stack is not running (nothing answers on 127.0.0.1:${String(port)}): start it with npm start, or set S3_PORT to the port it uses.`,
    );
    expect(run.stdout).toBe('');
  });

  it('npm run schedule -- <unknown> lists the schedules that exist and exits 2', async () => {
    const run = await runScript('scripts/trigger-schedule.ts', ['no-such-schedule'], {});
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^No schedule named "no-such-schedule" \((there are no schedules yet|schedules: [\w-]+(, [\w-]+)*)\)\.$/);
  });

  it('recognises a refused connection from fetch and from the AWS SDK, and nothing else', async () => {
    const port = await closedPort();
    const fromFetch = await fetch(`http://127.0.0.1:${String(port)}/`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(localStackUnreachable(fromFetch, 'PORT', String(port))).toBe(
      `The local stack is not running (nothing answers on 127.0.0.1:${String(port)}): start it with npm start, or set PORT to the port it uses.`,
    );
    const fromSdk = Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${String(port)}`), { code: 'ECONNREFUSED' });
    expect(localStackUnreachable(fromSdk, 'SECRETS_MANAGER_PORT', String(port))).toContain('start it with npm start');
    expect(localStackUnreachable(new Error('AccessDenied'), 'PORT', '3000')).toBeUndefined();
  });
});
