import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, startToExit, stop } from '../support/local-process';

/**
 * `npm start` refuses to start with one line that says what to change — never a stack trace — and
 * exits 1, for each start-up problem a newcomer meets: a taken port, a data folder another stack is
 * using, an invalid setting.
 */

const dataDirs: string[] = [];
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdz-startup-'));
  dataDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** A port held by another process's socket for the duration of `use`. */
async function withTakenPort<T>(use: (port: number) => Promise<T>): Promise<T> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  try {
    return await use(address.port);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
}

function expectOneClearLine(result: { code: number | null; stderr: string }, message: string | RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('npm start: a taken port names the service and its variable', () => {
  it.each([
    ['API', 'PORT'],
    ['DynamoDB', 'DYNAMODB_PORT'],
    ['S3', 'S3_PORT'],
    ['SES', 'SES_PORT'],
    ['Secrets Manager', 'SECRETS_MANAGER_PORT'],
    ['Pinterest emulator (sandbox API)', 'PINTEREST_SANDBOX_PORT'],
  ])('%s', async (service, variable) => {
    const result = await withTakenPort((port) => startToExit({ DATA_DIR: freshDataDir(), [variable]: String(port) }).then((r) => ({ ...r, port })));
    expectOneClearLine(result, `${service} port ${String(result.port)} is in use: set ${variable} or stop the other process`);
  }, 30_000);
});

describe('npm start: the data folder', () => {
  it('is refused while another local stack uses it, naming that process', async () => {
    const dataDir = freshDataDir();
    const first = await start({ DATA_DIR: dataDir });
    try {
      const second = await startToExit({ DATA_DIR: dataDir });
      // The process is the node process tsx runs the stack in.
      expectOneClearLine(second, `The data folder ${dataDir} is in use by another local stack (process ${readFileSync(join(dataDir, '.lock'), 'utf8')}). Stop that one (Ctrl-C in its terminal), or set DATA_DIR to another folder.`);
      // The running stack is untouched by the refused one.
      expect((await fetch(`${first.urls.api}/health`)).status).toBe(200);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    // A clean stop releases the folder.
    expect(existsSync(join(dataDir, '.lock'))).toBe(false);
  }, 60_000);

  it('is taken over when its lock was left by a process that no longer exists', async () => {
    const dataDir = freshDataDir();
    mkdirSync(dataDir, { recursive: true });
    // Far above any pid this machine hands out (pid_max is at most 2^22).
    writeFileSync(join(dataDir, '.lock'), '99999999');
    const started = await start({ DATA_DIR: dataDir });
    expect(await stop(started)).toBe(0);
  }, 60_000);
});

describe('npm start: an invalid setting names the variable', () => {
  it.each([
    ['PINTEREST_ACCESS_TIER', 'gold', /^Invalid setting: PINTEREST_ACCESS_TIER .*"trial"\|"standard"/],
    ['LOCAL_OPERATOR_CREDENTIAL', 'too-short', /^Invalid setting: LOCAL_OPERATOR_CREDENTIAL must be at least 32 characters$/],
    ['DYNAMODB_PORT', 'eight-thousand', /^Invalid setting: DYNAMODB_PORT must be a port number \(0 picks a free one\)$/],
    ['PUBLIC_BASE_URL', 'not a url', /^Invalid setting: PUBLIC_BASE_URL /],
    ['LOG_FORMAT', 'xml', /^Invalid setting: LOG_FORMAT must be compact or json$/],
  ])('%s=%s', async (variable, value, message) => {
    const dataDir = freshDataDir();
    const result = await startToExit({ DATA_DIR: dataDir, [variable]: value });
    expectOneClearLine(result, message);
    // Refused before anything started: no data was written.
    expect(result.stdout).toBe('');
  }, 30_000);
});
