import { z } from 'zod';
import { buildHttpApiEvent } from '../../local/api-event';
import { ValidationError } from '../../shared/domain/errors';
import { MAX_ISSUES, jsonBody, queryParams } from '../../shared/http/input';
import { callFunction } from '../support/http';

/** Error answers stay small whatever a caller sends: capped issue lists, bounded messages and paths. */

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('bounded validation errors', () => {
  it('lists at most 20 issues, then says how many more there were', () => {
    const event = buildHttpApiEvent({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: 500 }, () => 'x')) });
    const error = refusal(() => jsonBody(event, z.array(z.number())));
    expect(error.issues).toHaveLength(MAX_ISSUES + 1);
    expect(error.issues.at(-1)).toEqual({ path: 'body', message: `and ${String(500 - MAX_ISSUES)} more` });
  });

  it('cuts key names and messages a caller controls', () => {
    const longKey = 'k'.repeat(5000);
    const event = buildHttpApiEvent({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [longKey]: { [longKey]: 'x' } }) });
    const error = refusal(() => jsonBody(event, z.record(z.string(), z.record(z.string(), z.number()))));
    for (const issue of error.issues) {
      expect(issue.path.length).toBeLessThanOrEqual(120);
      expect(issue.message.length).toBeLessThanOrEqual(200);
    }
    expect(error.message.length).toBeLessThan(400);
  });

  it('bounds query errors the same way', () => {
    const url = `/x?${Array.from({ length: 300 }, (_, i) => `unknown${String(i)}=${'v'.repeat(50)}`).join('&')}`;
    const error = refusal(() => queryParams(buildHttpApiEvent({ method: 'GET', url }), z.strictObject({ a: z.string().optional() })));
    expect(JSON.stringify(error.issues).length).toBeLessThan(2000);
  });
});

describe('bounded error answers from a real route', () => {
  it('answers a body with 6,000 unknown keys in well under 4 KB, naming the problem', async () => {
    const body = JSON.stringify({ environment: 'sandbox', ...Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${String(i)}`, 0])) });
    const res = await callFunction('createOAuthLink', { method: 'POST', url: '/oauth/start', headers: { 'content-type': 'application/json' }, body });
    expect(res.statusCode).toBe(400);
    expect(res.text.length).toBeLessThan(4096);
    expect(res.text).toContain('Unrecognized key');
  });

  it('answers a public route with a huge query string in well under 4 KB', async () => {
    const query = Array.from({ length: 2000 }, (_, i) => `ticket=${String(i).repeat(20)}`).join('&');
    const res = await callFunction('openOAuthLink', { method: 'GET', url: `/oauth/start?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.text.length).toBeLessThan(4096);
  });
});
