import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { start, stop } from '../support/local-process';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mdz-start-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots every emulator and the API offline, keeps data across a restart, and stops cleanly on Ctrl-C', async () => {
    const first = await start({ DATA_DIR: dataDir });
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

    const second = await start({ DATA_DIR: dataDir });
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
