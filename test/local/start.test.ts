import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { start, stop } from '../support/local-process';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting for the log line');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdz-start-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots every emulator and the API offline, keeps data across a restart, and stops cleanly on Ctrl-C', async () => {
    // The test processes silence function logs; this stack logs as `npm start` does.
    const first = await start({ DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'INFO' });
    // Every service first, then the ready line, then the one-time credential as the last thing printed.
    const banner = first.output();
    expect(banner).toMatch(/\nReady: http:\/\/127\.0\.0\.1:\d+ {3}\(started in [\d.]+ s; Ctrl-C stops everything\)\n\nOperator credential \(shown once; only its hash is stored\):\n {4}[A-Za-z0-9_-]{43}\n$/);
    expect(banner.indexOf('Ready: ')).toBeGreaterThan(banner.indexOf('Secrets Manager  http'));
    expect(banner.indexOf('Ready: ')).toBeGreaterThan(banner.indexOf('Pinterest        emulator'));
    const health = await fetch(`${first.urls.api}/health`);
    expect(health.status).toBe(200);
    const refused = await fetch(`${first.urls.api}/account?ticket=never-logged`);
    expect(refused.status).toBe(401);
    // Local logs: one short line per request, the gateway's own answers included; never a query.
    await waitFor(() => /\d\d:\d\d:\d\d GET \/account 401 \d+ms \(gateway\)\n/.test(first.output()));
    expect(first.output()).toMatch(/\n\d\d:\d\d:\d\d GET \/health 200 \d+ms\n/);
    expect(first.output()).not.toContain('never-logged');
    const sesHealth = await fetch(`${first.urls.ses}/health-check`);
    expect(sesHealth.status).toBe(200);

    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: first.urls.dynamodb, region: 'us-east-1', credentials }));
    await dynamo.send(new PutCommand({ TableName: 'mdz-workflow', Item: { pk: 'RESTART', sk: 'CHECK', note: 'kept' } }));
    const s3 = new S3Client({ endpoint: first.urls.s3, region: 'us-east-1', credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await s3.send(new PutObjectCommand({ Bucket: 'mdz-data', Key: 'media/restart.txt', Body: 'kept' }));
    expect(await stop(first)).toBe(0);

    const second = await start({ DATA_DIR: dataDir, LOG_FORMAT: 'json', POWERTOOLS_LOG_LEVEL: 'INFO' });
    try {
      expect(second.output()).toContain('"workflow":"kept"');
      expect(second.output()).toMatch(/\nOperator credential: unchanged, the one stored earlier \(npm run operator-credential -- --local makes a new one\)\n$/);
      // LOG_FORMAT=json keeps the JSON lines Lambda writes.
      expect((await fetch(`${second.urls.api}/health`)).status).toBe(200);
      await waitFor(() => second.output().includes('"message":"request completed"'));
      const line = second.output().split('\n').find((l) => l.includes('"message":"request completed"')) ?? '';
      expect(JSON.parse(line)).toMatchObject({ level: 'INFO', method: 'GET', path: '/health', status: 200 });
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
