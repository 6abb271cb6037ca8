import { PutObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { MAX_PLAIN_BYTES } from '../../functions/get-privacy-export';
import { buildHttpApiEvent, readHttpApiResult } from '../../local/api-event';
import { invoke } from '../../local/lambda-runtime';
import { clients } from '../support/aws';
import { callFunction } from '../support/http';
import { setUpPrivacyWorld } from '../support/privacy-world';

/**
 * GET /privacy/requests/{id}/export with a document larger than one Lambda answer can carry (6 MB,
 * base64 included): gzip-compressed for a client that accepts it, a clear 413 otherwise. The export is
 * made by the handler; its stored document is then replaced by a large one of the same form.
 */

const world = setUpPrivacyWorld('privacy-size');

async function getExport(id: string, headers: Record<string, string> = {}) {
  const event = buildHttpApiEvent({ routeKey: 'GET /privacy/requests/{id}/export', method: 'GET', url: `/privacy/requests/${id}/export`, pathParameters: { id }, headers, sourceIp: '10.1.2.3' });
  return readHttpApiResult(await invoke('getPrivacyExport', event));
}

describe('a large privacy export', () => {
  let id = '';
  let large = Buffer.alloc(0);

  beforeAll(async () => {
    const made = await callFunction('handlePrivacyRequest', {
      method: 'POST',
      url: '/privacy/requests',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'export', subject: { email: 'large-export@example.org' } }),
    });
    expect(made.statusCode).toBe(201);
    id = (made.json() as { id: string }).id;
    // Many security-log-like entries: about 6 MB of JSON, which compresses well (as real exports do).
    const entries = Array.from({ length: 24_000 }, (_, i) => ({ id: `entry-${String(i)}`, time: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(), kind: 'http_request', outcome: 'ok', path: `/pins/${String(i)}/approve`, route: 'POST /pins/{id}/approve', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36', detail: { environment: 'sandbox', step: 'approved' } }));
    large = Buffer.from(JSON.stringify({ format: 'mdz-publisher-export/1', requestId: id, securityLog: entries }));
    expect(large.length).toBeGreaterThan(MAX_PLAIN_BYTES);
    await clients.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: `exports/${id}.json`, Body: large, ContentType: 'application/json' }));
  });

  it('is served gzip-compressed to a client that accepts gzip, whole', async () => {
    const res = await getExport(id, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="privacy-export-${id}.json"`);
    expect(res.body.length).toBeLessThan(MAX_PLAIN_BYTES);
    expect(gunzipSync(res.body).equals(large)).toBe(true);
  });

  it('is refused with 413 saying how to ask for it when the client does not accept gzip', async () => {
    const res = await getExport(id);
    expect(res.statusCode).toBe(413);
    const answer = JSON.parse(res.body.toString('utf8')) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('payload_too_large');
    expect(answer.error.message).toContain('Accept-Encoding: gzip');
  });

  it('a small export is plain JSON whatever the client accepts', async () => {
    const made = await callFunction('handlePrivacyRequest', {
      method: 'POST',
      url: '/privacy/requests',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'export', subject: { email: 'small-export@example.org' } }),
    });
    const small = (made.json() as { id: string }).id;
    const res = await getExport(small, { 'accept-encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ format: 'mdz-publisher-export/1', requestId: small });
  });
});
