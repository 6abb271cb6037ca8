import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { SecretStore } from '../../shared/adapters/secret-store';
import { credentialMatches, operatorCredentialRecord } from '../../shared/domain/operator-credential';
import { systemClock } from '../../shared/domain/time';
import { DEFAULT_SECRET_PREFIX, secretNames } from '../../shared/secrets';
import { placeArgs } from '../../scripts/secrets-client';
import { clients, uniquePrefix } from '../support/aws';

/**
 * `npm run setup -- --region …` and `npm run set-pinterest-app -- --region …` as an operator runs them
 * after a deploy: child processes talking to Secrets Manager in a region (here the global setup's
 * emulator, which the SDK finds through AWS_ENDPOINT_URL_SECRETS_MANAGER as it would any endpoint),
 * under a prefix of this file's own. The app secret goes in through stdin, never an argument.
 */

const repoRoot = join(__dirname, '../..');
const prefix = `${uniquePrefix('setup-scripts')}/`;
const names = secretNames(prefix);
const store = new SecretStore(clients.secrets, systemClock, 0);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      join(repoRoot, 'node_modules/.bin/tsx'),
      [`scripts/${script}.ts`, ...args],
      { cwd: repoRoot, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

const region = ['--region', 'us-east-1', '--prefix', prefix];

describe('npm run setup', () => {
  let credential = '';

  it('creates the hashing key and the operator credential (printed once, only its hash stored), and says the app is not set', async () => {
    const first = await run('setup', region);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`Hashing key: created (${names.hashingKey}).`);
    credential = /Shown once, keep it safe:\n {2}(\S+)/.exec(first.stdout)?.[1] ?? '';
    expect(credential.length).toBeGreaterThanOrEqual(32);
    // The next command names the same deployment: its region and (not the default) its prefix.
    expect(first.stdout).toContain(`Pinterest app credentials: not set. Next: npm run set-pinterest-app -- --region us-east-1 --prefix ${prefix}\n`);
    const key = await store.get(names.hashingKey, z.object({ hashingKey: z.string() }));
    expect(key?.hashingKey.length).toBeGreaterThanOrEqual(32);
    const record = await store.get(names.operatorCredential, operatorCredentialRecord);
    expect(record === undefined ? false : credentialMatches(credential, record)).toBe(true);
    expect(JSON.stringify(record)).not.toContain(credential);
  });

  it('changes nothing when run again: the key and the credential are kept', async () => {
    const keyBefore = await store.get(names.hashingKey, z.unknown());
    const again = await run('setup', region);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Hashing key: kept');
    expect(again.stdout).toContain('Operator credential: kept');
    expect(again.stdout).not.toContain(credential);
    expect(await store.get(names.hashingKey, z.unknown())).toEqual(keyBefore);
  });
});

describe('the set-up scripts’ arguments', () => {
  const scripts = ['setup', 'set-pinterest-app', 'operator-credential'];

  it.each(scripts)('%s: --help prints the usage and exits 0, changing nothing', async (script) => {
    const help = await run(script, ['--help', '--prefix', `${uniquePrefix('help')}/`]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: npm run ${script} -- --region <region>`);
    expect(help.stdout).toContain('--local');
  });

  it.each(scripts)('%s: --local and --region together, or an unknown option, are a usage error (exit 2) that changes nothing', async (script) => {
    const scoped = `${uniquePrefix('usage')}/`;
    const both = await run(script, ['--local', '--region', 'us-east-1', '--prefix', scoped]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--local and --region name two different places');
    const unknown = await run(script, ['--regoin', 'us-east-1', '--prefix', scoped]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`Usage: npm run ${script}`);
    await expect(store.get(secretNames(scoped).operatorCredential, z.unknown())).resolves.toBeUndefined();
    await expect(store.get(secretNames(scoped).hashingKey, z.unknown())).resolves.toBeUndefined();
  });

  it.each(scripts)('%s: asks for the region when it has none', async (script) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'AWS_REGION' && key !== 'AWS_DEFAULT_REGION'));
    const noRegion = await new Promise<Run>((resolve) => {
      execFile(join(repoRoot, 'node_modules/.bin/tsx'), [`scripts/${script}.ts`, '--prefix', prefix], { cwd: repoRoot, env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      });
    });
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain(`Usage: npm run ${script} -- --region <region>`);
  });

  it('names the same deployment in the next command it suggests: its region, and its prefix unless it is the default', async () => {
    const again = await run('setup', region);
    expect(again.stdout).toContain(`rotate it with npm run operator-credential -- --region us-east-1 --prefix ${prefix}.`);
    // The default prefix goes unsaid; --local stays --local.
    expect(placeArgs({ local: false, region: 'eu-west-1', prefix: DEFAULT_SECRET_PREFIX })).toBe('--region eu-west-1');
    expect(placeArgs({ local: true, prefix: DEFAULT_SECRET_PREFIX })).toBe('--local');
    expect(placeArgs({ local: true, prefix: 'second-publisher/' })).toBe('--local --prefix second-publisher/');
  });

  it.each(scripts)('%s: refuses a prefix that cannot start a secret name (as cdk.json’s secretPrefix), changing nothing', async (script) => {
    const bad = await run(script, ['--region', 'us-east-1', '--prefix', 'second-publisher']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--prefix second-publisher: letters, digits and _+=.@- in /-separated parts, ending with /');
    await expect(store.get('second-publisherkeys/hashing-key', z.unknown())).resolves.toBeUndefined();
  });
});

describe('npm run setup repairs what the API tells it to', () => {
  const repair = `${uniquePrefix('setup-repair')}/`;
  const repairNames = secretNames(repair);
  const args = ['--region', 'us-east-1', '--prefix', repair];

  it('replaces an empty hashing key and an unusable credential record (nothing was linked to them yet), then keeps them', async () => {
    await store.create(repairNames.hashingKey, '');
    await store.create(repairNames.operatorCredential, {});
    const fixed = await run('setup', args);
    expect(fixed).toMatchObject({ code: 0, stderr: '' });
    expect(fixed.stdout).toContain(`Hashing key: its value was empty or unusable, replaced (${repairNames.hashingKey}).`);
    expect(fixed.stdout).toContain('Operator credential: its stored value was unusable, replaced');
    const credential = /Shown once, keep it safe:\n {2}(\S+)/.exec(fixed.stdout)?.[1] ?? '';
    const record = await store.get(repairNames.operatorCredential, operatorCredentialRecord);
    expect(record === undefined ? false : credentialMatches(credential, record)).toBe(true);
    expect((await store.get(repairNames.hashingKey, z.object({ hashingKey: z.string() })))?.hashingKey.length).toBeGreaterThanOrEqual(32);
    const again = await run('setup', args);
    expect(again.stdout).toContain('Hashing key: kept');
    expect(again.stdout).toContain('Operator credential: kept');
  });
});

describe('npm run setup and a secret marked for deletion', () => {
  it('stops with exit 1 and the commands that restore or remove it, changing nothing', async () => {
    const marked = `${uniquePrefix('setup-marked')}/`;
    const markedNames = secretNames(marked);
    await store.create(markedNames.hashingKey, { hashingKey: 'k'.repeat(44) });
    await clients.secrets.send(new DeleteSecretCommand({ SecretId: markedNames.hashingKey, RecoveryWindowInDays: 7 }));
    const stopped = await run('setup', ['--region', 'us-east-1', '--prefix', marked]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(`${markedNames.hashingKey} is marked for deletion: restore it (aws secretsmanager restore-secret --secret-id ${markedNames.hashingKey})`);
    expect(stopped.stdout).toBe('');
  });
});

describe('npm run set-pinterest-app', () => {
  const app = z.object({ clientId: z.string(), clientSecret: z.string() });

  it('stores the id and secret from stdin as JSON, printing neither the secret nor asking for an argument', async () => {
    const stored = await run('set-pinterest-app', region, JSON.stringify({ clientId: '1500123', clientSecret: 'app-secret-json-0123456789' }));
    expect(stored).toMatchObject({ code: 0, stderr: '' });
    expect(stored.stdout).toContain(`Stored the Pinterest app credentials in ${names.pinterestApp} (app id 1500123).`);
    expect(stored.stdout).not.toContain('app-secret-json');
    expect(await store.get(names.pinterestApp, app)).toEqual({ clientId: '1500123', clientSecret: 'app-secret-json-0123456789' });
  });

  it('replaces them from two lines, and setup then says they are set', async () => {
    expect((await run('set-pinterest-app', region, '1500999\napp-secret-lines-0123456789\n')).code).toBe(0);
    expect(await store.get(names.pinterestApp, app)).toEqual({ clientId: '1500999', clientSecret: 'app-secret-lines-0123456789' });
    expect((await run('setup', region)).stdout).toContain(`Pinterest app credentials: set (${names.pinterestApp}).`);
  });

  it.each([
    ['nothing', ''],
    ['only an id', '1500999\n'],
    ['JSON without the secret', JSON.stringify({ clientId: '1500999' })],
    ['three lines', 'a\nb\nc\n'],
  ])('refuses %s with exit 2 and changes nothing', async (_, input) => {
    const before = await store.get(names.pinterestApp, app);
    const refused = await run('set-pinterest-app', region, input);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Give the app id and the app secret');
    expect(await store.get(names.pinterestApp, app)).toEqual(before);
  });
});
