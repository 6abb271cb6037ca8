import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callFunction } from '../support/http';

const policyText = readFileSync(join(__dirname, '../../shared/content/privacy-policy.txt'), 'utf8');

/** The visible text of an HTML page, tags dropped and entities decoded, one line per block. */
function visibleText(page: string): string {
  return page
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<title>[\s\S]*?<\/title>/, '')
    .replace(/<\/(h1|h2|p|li)>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('GET /health', () => {
  it('answers ok as JSON with security headers and no caching', async () => {
    const res = await callFunction('getHealth', { method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
  });

  it('refuses unexpected query parameters with a clear 400', async () => {
    const res = await callFunction('getHealth', { method: 'GET', url: '/health?verbose=1' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: 'validation_failed', message: expect.stringContaining('verbose') as unknown, requestId: expect.any(String) as unknown },
    });
  });

  it('refuses a body with a clear 400', async () => {
    const res = await callFunction('getHealth', {
      method: 'GET',
      url: '/health',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'validation_failed', message: 'This route takes no request body' } });
  });
});

describe('GET /privacy', () => {
  it('serves the policy as an accessible HTML page with every line of the text, in order', async () => {
    const res = await callFunction('getPrivacy', { method: 'GET', url: '/privacy' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(res.text).toContain('<meta name="viewport"');
    expect(res.text).toContain('<main>');
    expect(res.text).toContain('<h1>MiraDigitalZen Publisher Pinterest Privacy Policy</h1>');
    expect(res.text).toContain('<h2>Posting boundary</h2>');
    expect(res.text).toContain('<a href="mailto:info@ecooffice.net">info@ecooffice.net</a>');
    const pageLines = visibleText(res.text).split('\n').map((l) => l.trim()).filter(Boolean);
    const policyLines = policyText.split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean);
    expect(pageLines).toEqual(policyLines);
  });

  it('forbids scripts and framing on the page', async () => {
    const res = await callFunction('getPrivacy', { method: 'GET', url: '/privacy' });
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.text).not.toContain('<script');
  });

  it('serves the text exactly as written with ?format=text and ignores tracking parameters', async () => {
    const res = await callFunction('getPrivacy', { method: 'GET', url: '/privacy?format=text&utm_source=pinterest' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(policyText);
  });

  it('answers an unknown format with a clear 400', async () => {
    const res = await callFunction('getPrivacy', { method: 'GET', url: '/privacy?format=pdf' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining('format must be html or text') as unknown } });
  });
});
