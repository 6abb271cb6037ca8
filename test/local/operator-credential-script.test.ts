import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SecretStore } from '../../shared/adapters/secret-store';
import { credentialMatches, operatorCredentialRecord, type OperatorCredentialRecord } from '../../shared/domain/operator-credential';
import { systemClock } from '../../shared/domain/time';
import { secretNames } from '../../shared/secrets';
import { clients, uniquePrefix } from '../support/aws';

/**
 * `npm run operator-credential -- --local`: the script as a child process against the global setup's
 * Secrets Manager emulator (found through SECRETS_MANAGER_PORT, as in local mode), under a prefix of
 * this file's own.
 */

const repoRoot = join(__dirname, '../..');
const prefix = `${uniquePrefix('operator-credential-script')}/`;
const name = secretNames(prefix).operatorCredential;
const store = new SecretStore(clients.secrets, systemClock, 0);

function emulatorPort(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  if (endpoint === undefined || endpoint === '') throw new Error('the global setup did not start the Secrets Manager emulator');
  return new URL(endpoint).port;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script; the child sees no AWS_* variable, so only `--local` and the port can lead it to the emulator. */
function runScript(...args: string[]): Promise<Run> {
  const env: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')),
  );
  env.SECRETS_MANAGER_PORT = emulatorPort();
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'node_modules/.bin/tsx'),
      ['scripts/operator-credential.ts', '--local', '--prefix', prefix, ...args],
      { cwd: repoRoot, env, timeout: 15_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
  });
}

async function storedRecord(): Promise<OperatorCredentialRecord | undefined> {
  return store.get(name, operatorCredentialRecord);
}

async function storedJson(): Promise<string> {
  const result = await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }));
  return result.SecretString ?? '';
}

afterAll(async () => {
  await store.forceDelete(name);
});

describe('scripts/operator-credential.ts --local', () => {
  let generated = '';
  let afterRotation: OperatorCredentialRecord | undefined;

  it('generates a credential, prints it once and stores only its hash', async () => {
    expect(await storedRecord()).toBeUndefined();
    const run = await runScript();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Stored the hash in ${name}.`);
    const printed = /Operator credential \(shown once\):\n\s+(\S+)/.exec(run.stdout)?.[1];
    expect(printed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    generated = printed ?? '';

    const record = await storedRecord();
    expect(record).toBeDefined();
    expect(record?.algorithm).toBe('sha256');
    expect(record && credentialMatches(generated, record)).toBe(true);
    const json = await storedJson();
    expect(json).not.toBe('');
    expect(json).not.toContain(generated);
  });

  it('rotates to a given credential (--credential) without printing it', async () => {
    expect(generated).not.toBe('');
    const given = randomBytes(20).toString('hex');
    expect(given).toHaveLength(40);
    const run = await runScript('--credential', given);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Stored the hash in ${name}.`);
    expect(run.stdout).not.toContain('Operator credential (shown once)');
    expect(run.stdout).not.toContain(given);

    const record = await storedRecord();
    expect(record && credentialMatches(given, record)).toBe(true);
    expect(record && credentialMatches(generated, record)).toBe(false);
    expect(await storedJson()).not.toContain(given);
    afterRotation = record;
  });

  it('refuses a short credential with a non-zero exit and changes nothing', async () => {
    expect(afterRotation).toBeDefined();
    const run = await runScript('--credential', 'short');
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain('at least 32 characters');
    expect(run.stdout).not.toContain('Stored the hash');
    expect(run.stdout).not.toContain('Operator credential (shown once)');
    expect(await storedRecord()).toEqual(afterRotation);
  });
});
