import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { startSecretsManagerEmulator, type SecretsManagerEmulator } from '../../local/emulators/secrets-manager';
import { rejectionOf } from '../support/rejection';

const DAY_MS = 86_400_000;
const START = new Date('2026-03-01T12:00:00.000Z');

let now = START;
const clock = (): Date => now;
function advanceClock(ms: number): void {
  now = new Date(now.getTime() + ms);
}

let dir: string;
let dataFile: string;
let emulator: SecretsManagerEmulator;
let client: SecretsManagerClient;

function clientFor(target: SecretsManagerEmulator): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: target.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function start(): Promise<void> {
  emulator = await startSecretsManagerEmulator({ port: 0, dataFile, clock });
  client = clientFor(emulator);
}

async function stop(): Promise<void> {
  client.destroy();
  await emulator.close();
}

/** The error a call fails with; fails the test if the call succeeds. */
const failureOf = (call: Promise<unknown>) => rejectionOf(call, Error);

async function create(name: string, value: string): Promise<{ ARN: string; VersionId: string }> {
  const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  if (out.ARN === undefined || out.VersionId === undefined) throw new Error('CreateSecret returned no ARN/VersionId');
  return { ARN: out.ARN, VersionId: out.VersionId };
}

async function postRaw(target: string, body: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${emulator.port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sm-'));
  dataFile = path.join(dir, 'secrets.json');
  await start();
});

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Secrets Manager emulator through the real SDK client', () => {
  it('binds to 127.0.0.1 on a free port by default', () => {
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
  });

  it('creates a secret and returns its current value with ARN, version, stage and creation date', async () => {
    const created = await create('app/basic', '{"token":"abc"}');
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/basic-[A-Za-z0-9]{6}$/);

    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/basic' }));
    expect(got).toMatchObject({
      ARN: created.ARN,
      Name: 'app/basic',
      VersionId: created.VersionId,
      SecretString: '{"token":"abc"}',
      VersionStages: ['AWSCURRENT'],
    });
    expect(got.CreatedDate?.getTime()).toBe(now.getTime());
  });

  it('stores binary secrets and returns the same bytes', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: 'app/binary', SecretBinary: bytes }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/binary' }));
    expect(got.SecretString).toBeUndefined();
    expect(Array.from(got.SecretBinary ?? [])).toEqual([0, 1, 2, 250, 255]);
  });

  it('finds a secret by its full ARN and by its partial ARN without the random suffix', async () => {
    const { ARN } = await create('app/by-arn', 'v');
    const partial = ARN.slice(0, -7);
    expect(partial).toBe('arn:aws:secretsmanager:us-east-1:000000000000:secret:app/by-arn');

    const byFull = await client.send(new GetSecretValueCommand({ SecretId: ARN }));
    const byPartial = await client.send(new GetSecretValueCommand({ SecretId: partial }));
    expect(byFull.Name).toBe('app/by-arn');
    expect(byPartial.ARN).toBe(ARN);
  });

  it('refuses a second secret with the same name with ResourceExistsException', async () => {
    await create('app/duplicate', 'first');
    const error = await failureOf(create('app/duplicate', 'second'));
    expect(error).toBeInstanceOf(ResourceExistsException);
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toBe('The operation failed because the secret app/duplicate already exists.');
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/duplicate' }));
    expect(got.SecretString).toBe('first');
  });

  it('raises ResourceNotFoundException for an unknown secret, version id or stage', async () => {
    const unknown = await failureOf(client.send(new GetSecretValueCommand({ SecretId: 'app/never-created' })));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(unknown.message).toBe("Secrets Manager can't find the specified secret.");

    await create('app/one-version', 'v1');
    const noStage = await failureOf(
      client.send(new GetSecretValueCommand({ SecretId: 'app/one-version', VersionStage: 'AWSPREVIOUS' })),
    );
    expect(noStage).toBeInstanceOf(ResourceNotFoundException);
    expect(noStage.message).toContain('staging label: AWSPREVIOUS');

    const missingVersion = '00000000-0000-4000-8000-000000000000';
    const noVersion = await failureOf(
      client.send(new GetSecretValueCommand({ SecretId: 'app/one-version', VersionId: missingVersion })),
    );
    expect(noVersion).toBeInstanceOf(ResourceNotFoundException);
    expect(noVersion.message).toContain(missingVersion);

    const describe = await failureOf(client.send(new DescribeSecretCommand({ SecretId: 'app/never-created' })));
    expect(describe).toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects a missing SecretId and an invalid name with InvalidParameterException', async () => {
    const missing = await failureOf(client.send(new GetSecretValueCommand({ SecretId: undefined })));
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toContain('SecretId');

    const badName = await failureOf(client.send(new CreateSecretCommand({ Name: 'has spaces!', SecretString: 'x' })));
    expect(badName).toBeInstanceOf(InvalidParameterException);
    expect(badName.message).toContain('Name');
  });

  it('PutSecretValue moves AWSCURRENT to the new version and AWSPREVIOUS to the one that was current', async () => {
    const v1 = await create('app/rotating', 'one');
    const put2 = await client.send(new PutSecretValueCommand({ SecretId: 'app/rotating', SecretString: 'two' }));
    expect(put2.VersionStages).toEqual(['AWSCURRENT']);
    const put3 = await client.send(new PutSecretValueCommand({ SecretId: 'app/rotating', SecretString: 'three' }));

    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/rotating' }));
    expect(current).toMatchObject({ SecretString: 'three', VersionId: put3.VersionId, VersionStages: ['AWSCURRENT'] });

    const previous = await client.send(new GetSecretValueCommand({ SecretId: 'app/rotating', VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'two', VersionId: put2.VersionId, VersionStages: ['AWSPREVIOUS'] });

    const oldest = await client.send(new GetSecretValueCommand({ SecretId: 'app/rotating', VersionId: v1.VersionId }));
    expect(oldest.SecretString).toBe('one');
    expect(oldest.VersionStages).toEqual([]);

    const mismatch = await failureOf(
      client.send(new GetSecretValueCommand({ SecretId: 'app/rotating', VersionId: v1.VersionId, VersionStage: 'AWSCURRENT' })),
    );
    expect(mismatch).toBeInstanceOf(InvalidRequestException);
  });

  it('PutSecretValue with custom VersionStages leaves AWSCURRENT where it was', async () => {
    const v1 = await create('app/pending', 'live');
    const pending = await client.send(
      new PutSecretValueCommand({ SecretId: 'app/pending', SecretString: 'next', VersionStages: ['AWSPENDING'] }),
    );
    expect(pending.VersionStages).toEqual(['AWSPENDING']);

    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/pending' }));
    expect(current).toMatchObject({ SecretString: 'live', VersionId: v1.VersionId });
    const staged = await client.send(new GetSecretValueCommand({ SecretId: 'app/pending', VersionStage: 'AWSPENDING' }));
    expect(staged.SecretString).toBe('next');
  });

  it('replays a repeated ClientRequestToken idempotently and refuses the same token with another value', async () => {
    const token = 'a1b2c3d4-0000-4000-8000-00000000feed';
    const first = await client.send(new CreateSecretCommand({ Name: 'app/idem', SecretString: 'v', ClientRequestToken: token }));
    expect(first.VersionId).toBe(token);
    const again = await client.send(new CreateSecretCommand({ Name: 'app/idem', SecretString: 'v', ClientRequestToken: token }));
    expect(again).toMatchObject({ ARN: first.ARN, Name: 'app/idem', VersionId: token });

    const changed = await failureOf(
      client.send(new CreateSecretCommand({ Name: 'app/idem', SecretString: 'other', ClientRequestToken: token })),
    );
    expect(changed).toBeInstanceOf(ResourceExistsException);

    const putToken = 'a1b2c3d4-0000-4000-8000-00000000beef';
    const put = { SecretId: 'app/idem', SecretString: 'v2', ClientRequestToken: putToken };
    await client.send(new PutSecretValueCommand(put));
    const replay = await client.send(new PutSecretValueCommand(put));
    expect(replay).toMatchObject({ VersionId: putToken, VersionStages: ['AWSCURRENT'] });
    const versions = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/idem', IncludeDeprecated: true }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual([putToken, token].sort());

    const putChanged = await failureOf(client.send(new PutSecretValueCommand({ ...put, SecretString: 'v3' })));
    expect(putChanged).toBeInstanceOf(ResourceExistsException);
  });

  it('DescribeSecret reports metadata, tags and VersionIdsToStages without the value', async () => {
    const created = await client.send(
      new CreateSecretCommand({
        Name: 'app/described',
        SecretString: 'one',
        Description: 'Pinterest tokens',
        Tags: [{ Key: 'app', Value: 'publisher' }],
      }),
    );
    advanceClock(60_000);
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'app/described', SecretString: 'two' }));

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/described' }));
    expect(described).toMatchObject({
      ARN: created.ARN,
      Name: 'app/described',
      Description: 'Pinterest tokens',
      Tags: [{ Key: 'app', Value: 'publisher' }],
    });
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId ?? 'missing']: ['AWSPREVIOUS'],
      [put.VersionId ?? 'missing']: ['AWSCURRENT'],
    });
    expect(described.CreatedDate?.getTime()).toBe(now.getTime() - 60_000);
    expect(described.LastChangedDate?.getTime()).toBe(now.getTime());
    expect(described.DeletedDate).toBeUndefined();
    expect(described).not.toHaveProperty('SecretString');
  });

  it('UpdateSecret changes the description and makes a new value the current version', async () => {
    const v1 = await create('app/updated', 'old');
    const updated = await client.send(
      new UpdateSecretCommand({ SecretId: 'app/updated', Description: 'new text', SecretString: 'new' }),
    );
    expect(updated.VersionId).toBeDefined();
    expect(updated.VersionId).not.toBe(v1.VersionId);

    const current = await client.send(new GetSecretValueCommand({ SecretId: 'app/updated' }));
    expect(current.SecretString).toBe('new');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/updated' }));
    expect(described.Description).toBe('new text');
    expect(described.VersionIdsToStages?.[v1.VersionId]).toEqual(['AWSPREVIOUS']);

    const descriptionOnly = await client.send(new UpdateSecretCommand({ SecretId: 'app/updated', Description: 'again' }));
    expect(descriptionOnly.VersionId).toBeUndefined();
  });

  it('ListSecrets filters by name prefix and paginates with MaxResults and NextToken', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `listing/item-${i}`);
    for (const name of names) await create(name, 'x');
    await create('unrelated/listing', 'x');

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSecretsCommand({ MaxResults: 3, NextToken: nextToken, Filters: [{ Key: 'name', Values: ['listing/'] }] }),
      );
      const list = page.SecretList ?? [];
      pageSizes.push(list.length);
      seen.push(...list.map((entry) => entry.Name ?? ''));
      expect(list.every((entry) => entry.SecretVersionsToStages !== undefined && !('SecretString' in entry))).toBe(true);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);

    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(names);

    const caseSensitive = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['LISTING/'] }] }));
    expect(caseSensitive.SecretList).toEqual([]);
  });

  it('ListSecrets hides secrets scheduled for deletion unless IncludePlannedDeletion is set', async () => {
    await create('planned/kept', 'x');
    await create('planned/going', 'x');
    await client.send(new DeleteSecretCommand({ SecretId: 'planned/going', RecoveryWindowInDays: 7 }));
    const filter = [{ Key: 'name' as const, Values: ['planned/'] }];

    const visible = await client.send(new ListSecretsCommand({ Filters: filter }));
    expect(visible.SecretList?.map((s) => s.Name)).toEqual(['planned/kept']);

    const all = await client.send(new ListSecretsCommand({ Filters: filter, IncludePlannedDeletion: true }));
    expect(all.SecretList?.map((s) => s.Name)).toEqual(['planned/kept', 'planned/going']);
    expect(all.SecretList?.[1]?.DeletedDate?.getTime()).toBe(now.getTime() + 7 * DAY_MS);

    await client.send(new RestoreSecretCommand({ SecretId: 'planned/going' }));
  });

  it('ListSecretVersionIds lists staged versions, and unstaged ones only with IncludeDeprecated', async () => {
    const v1 = await create('app/versions', 'one');
    const v2 = await client.send(new PutSecretValueCommand({ SecretId: 'app/versions', SecretString: 'two' }));
    const v3 = await client.send(new PutSecretValueCommand({ SecretId: 'app/versions', SecretString: 'three' }));

    const staged = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/versions' }));
    expect(staged.Name).toBe('app/versions');
    expect(staged.Versions?.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [v2.VersionId, ['AWSPREVIOUS']],
      [v3.VersionId, ['AWSCURRENT']],
    ]);
    expect(staged.Versions?.[0]?.CreatedDate?.getTime()).toBe(now.getTime());

    const all = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/versions', IncludeDeprecated: true }));
    expect(all.Versions?.map((v) => v.VersionId)).toEqual([v1.VersionId, v2.VersionId, v3.VersionId]);

    const paged = await client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/versions', IncludeDeprecated: true, MaxResults: 2 }));
    expect(paged.Versions).toHaveLength(2);
    const rest = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: 'app/versions', IncludeDeprecated: true, MaxResults: 2, NextToken: paged.NextToken }),
    );
    expect(rest.Versions?.map((v) => v.VersionId)).toEqual([v3.VersionId]);
    expect(rest.NextToken).toBeUndefined();
  });

  it('DeleteSecret with a recovery window blocks reads and the name until the window passes', async () => {
    const { ARN } = await create('app/scheduled', 'bye');
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: 'app/scheduled', RecoveryWindowInDays: 7 }));
    expect(deleted).toMatchObject({ ARN, Name: 'app/scheduled' });
    expect(deleted.DeletionDate?.getTime()).toBe(now.getTime() + 7 * DAY_MS);

    const read = await failureOf(client.send(new GetSecretValueCommand({ SecretId: 'app/scheduled' })));
    expect(read).toBeInstanceOf(InvalidRequestException);
    expect(read.message).toBe("You can't perform this operation on the secret because it was marked for deletion.");

    const recreate = await failureOf(create('app/scheduled', 'again'));
    expect(recreate).toBeInstanceOf(InvalidRequestException);
    expect(recreate.message).toBe(
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );

    const twice = await failureOf(client.send(new DeleteSecretCommand({ SecretId: 'app/scheduled' })));
    expect(twice).toBeInstanceOf(InvalidRequestException);

    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/scheduled' }));
    expect(described.DeletedDate?.getTime()).toBe(now.getTime() + 7 * DAY_MS);

    advanceClock(7 * DAY_MS + 1000);
    const gone = await failureOf(client.send(new DescribeSecretCommand({ SecretId: 'app/scheduled' })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    const again = await create('app/scheduled', 'again');
    expect(again.ARN).not.toBe(ARN);
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/scheduled' }));
    expect(got.SecretString).toBe('again');
  });

  it('ForceDeleteWithoutRecovery removes a secret at once and frees its name', async () => {
    await create('app/forced', 'old');
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: 'app/forced', ForceDeleteWithoutRecovery: true }));
    expect(deleted.DeletionDate?.getTime()).toBe(now.getTime());

    const read = await failureOf(client.send(new GetSecretValueCommand({ SecretId: 'app/forced' })));
    expect(read).toBeInstanceOf(ResourceNotFoundException);
    await create('app/forced', 'new');
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/forced' }));
    expect(got.SecretString).toBe('new');
  });

  it('ForceDeleteWithoutRecovery purges a secret that is already scheduled for deletion', async () => {
    await create('app/scheduled-then-forced', 'x');
    await client.send(new DeleteSecretCommand({ SecretId: 'app/scheduled-then-forced' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'app/scheduled-then-forced', ForceDeleteWithoutRecovery: true }));
    const described = await failureOf(client.send(new DescribeSecretCommand({ SecretId: 'app/scheduled-then-forced' })));
    expect(described).toBeInstanceOf(ResourceNotFoundException);
    await create('app/scheduled-then-forced', 'y');
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/scheduled-then-forced' }));
    expect(got.SecretString).toBe('y');
  });

  it('RestoreSecret cancels a scheduled deletion and makes the secret readable again', async () => {
    const { ARN } = await create('app/restored', 'keep me');
    await client.send(new DeleteSecretCommand({ SecretId: 'app/restored' }));
    const restored = await client.send(new RestoreSecretCommand({ SecretId: 'app/restored' }));
    expect(restored).toMatchObject({ ARN, Name: 'app/restored' });

    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/restored' }));
    expect(got.SecretString).toBe('keep me');
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/restored' }));
    expect(described.DeletedDate).toBeUndefined();

    advanceClock(31 * DAY_MS);
    const stillThere = await client.send(new GetSecretValueCommand({ SecretId: 'app/restored' }));
    expect(stillThere.SecretString).toBe('keep me');
  });

  it('refuses a recovery window together with ForceDeleteWithoutRecovery, and a window outside 7-30 days', async () => {
    await create('app/conflicting-delete', 'x');
    const both = await failureOf(
      client.send(
        new DeleteSecretCommand({ SecretId: 'app/conflicting-delete', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true }),
      ),
    );
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(both.name).toBe('InvalidParameterException');

    const tooShort = await failureOf(
      client.send(new DeleteSecretCommand({ SecretId: 'app/conflicting-delete', RecoveryWindowInDays: 6 })),
    );
    expect(tooShort).toBeInstanceOf(InvalidParameterException);

    const got = await client.send(new GetSecretValueCommand({ SecretId: 'app/conflicting-delete' }));
    expect(got.SecretString).toBe('x');
  });

  it('keeps every secret, version and scheduled deletion across a restart with the same dataFile', async () => {
    const kept = await create('persist/kept', 'v1');
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'persist/kept', SecretString: 'v2' }));
    await client.send(new UpdateSecretCommand({ SecretId: 'persist/kept', Description: 'survives' }));
    const doomed = await create('persist/doomed', 'soon gone');
    const deletion = await client.send(new DeleteSecretCommand({ SecretId: 'persist/doomed', RecoveryWindowInDays: 10 }));
    const oldPort = emulator.port;

    await stop();
    expect(existsSync(dataFile)).toBe(true);
    expect(readdirSync(dir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    await start();
    expect(emulator.port).not.toBe(oldPort);

    const current = await client.send(new GetSecretValueCommand({ SecretId: kept.ARN }));
    expect(current).toMatchObject({ SecretString: 'v2', VersionId: put.VersionId, VersionStages: ['AWSCURRENT'] });
    const previous = await client.send(new GetSecretValueCommand({ SecretId: 'persist/kept', VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'v1', VersionId: kept.VersionId });
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'persist/kept' }));
    expect(described.Description).toBe('survives');

    const doomedAfter = await client.send(new DescribeSecretCommand({ SecretId: 'persist/doomed' }));
    expect(doomedAfter.ARN).toBe(doomed.ARN);
    expect(doomedAfter.DeletedDate?.getTime()).toBe(deletion.DeletionDate?.getTime());
    const blocked = await failureOf(client.send(new GetSecretValueCommand({ SecretId: 'persist/doomed' })));
    expect(blocked).toBeInstanceOf(InvalidRequestException);
    const existing = await client.send(new GetSecretValueCommand({ SecretId: 'app/basic' }));
    expect(existing.SecretString).toBe('{"token":"abc"}');
  });

  it('answers an unknown operation with 400 UnknownOperationException', async () => {
    const res = await postRaw('secretsmanager.Frobnicate', '{}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('answers malformed JSON with 400 SerializationException', async () => {
    const res = await postRaw('secretsmanager.GetSecretValue', '{"SecretId": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(await res.json()).toMatchObject({ __type: 'SerializationException' });
  });
});
