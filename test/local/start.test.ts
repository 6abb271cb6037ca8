import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

const repoRoot = join(__dirname, '../..');
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  urls: { api: string; dynamodb: string; s3: string; ses: string; secretsManager: string };
}

/** Runs `npm start`'s script (tsx local/start.ts) on free ports and waits for its banner. */
async function start(dataDir: string): Promise<Started> {
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['local/start.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_PORT: '0',
      S3_PORT: '0',
      SES_PORT: '0',
      SECRETS_MANAGER_PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_OPERATOR_CREDENTIAL: '',
    },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`start did not finish:\n${out}`));
    }, 25_000);
    child.stdout.on('data', () => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${String(code)}:\n${out}`));
    });
  });
  const url = (label: string) => new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(out)?.[1] ?? '';
  return {
    child,
    output: () => out,
    urls: { api: url('API'), dynamodb: url('DynamoDB'), s3: url('S3'), ses: url('SES'), secretsManager: url('Secrets Manager') },
  };
}

/** Sends Ctrl-C and resolves with the exit code. */
function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => {
      resolve(code);
    });
    started.child.kill('SIGINT');
  });
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdz-start-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots every emulator and the API offline, keeps data across a restart, and stops cleanly on Ctrl-C', async () => {
    const first = await start(dataDir);
    expect(first.output()).toContain('Operator credential (shown once; only its hash is stored):');
    const health = await fetch(`${first.urls.api}/health`);
    expect(health.status).toBe(200);
    const sesHealth = await fetch(`${first.urls.ses}/health-check`);
    expect(sesHealth.status).toBe(200);

    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: first.urls.dynamodb, region: 'us-east-1', credentials }));
    await dynamo.send(new PutCommand({ TableName: 'mdz-workflow', Item: { pk: 'RESTART', sk: 'CHECK', note: 'kept' } }));
    const s3 = new S3Client({ endpoint: first.urls.s3, region: 'us-east-1', credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await s3.send(new PutObjectCommand({ Bucket: 'mdz-data', Key: 'media/restart.txt', Body: 'kept' }));
    expect(await stop(first)).toBe(0);

    const second = await start(dataDir);
    try {
      expect(second.output()).toContain('"workflow":"kept"');
      expect(second.output()).toContain('Operator credential: unchanged since it was first printed');
      const dynamo2 = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: second.urls.dynamodb, region: 'us-east-1', credentials }));
      const item = await dynamo2.send(new GetCommand({ TableName: 'mdz-workflow', Key: { pk: 'RESTART', sk: 'CHECK' } }));
      expect(item.Item?.note).toBe('kept');
      const s3b = new S3Client({ endpoint: second.urls.s3, region: 'us-east-1', credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
      const object = await s3b.send(new GetObjectCommand({ Bucket: 'mdz-data', Key: 'media/restart.txt' }));
      expect(await object.Body?.transformToString()).toBe('kept');
    } finally {
      expect(await stop(second)).toBe(0);
    }
    // Every port is released once it has stopped.
    await expect(fetch(`${second.urls.api}/health`)).rejects.toThrow();
    await expect(fetch(second.urls.dynamodb)).rejects.toThrow();
  }, 90_000);
});
