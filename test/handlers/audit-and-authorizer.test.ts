import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { buildHttpApiEvent } from '../../local/api-event';
import { authorizerEvent } from '../../local/authorizer-gate';
import { invoke } from '../../local/lambda-runtime';
import { callFunction } from '../support/http';
import { uniquePrefix } from '../support/aws';

interface AuditBody {
  items: Array<{ kind: string; path?: string; userAgent?: string; status?: number; outcome: string; errorCode?: string; clientHash?: string }>;
  nextCursor?: string;
  range: { from: string; to: string };
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const anId = '0f0e0d0c-0b0a-4908-8706-050403020100';

async function audit(query: string) {
  const res = await callFunction('getAudit', { method: 'GET', url: `/audit${query}` });
  return { status: res.statusCode, body: res.json() as AuditBody };
}

function authorizerEventFor(authorization: string | undefined, userAgent: string): APIGatewayRequestAuthorizerEventV2 {
  const http = buildHttpApiEvent({
    method: 'GET',
    url: '/audit',
    routeKey: 'GET /audit',
    headers: { ...(authorization === undefined ? {} : { authorization }), 'user-agent': userAgent },
  });
  const event = authorizerEvent(http, authorization ?? '');
  return authorization === undefined ? { ...event, identitySource: [] } : event;
}

describe('the security log written by every HTTP function', () => {
  it('records a page view with outcome, status, user agent and a hashed address, never the query', async () => {
    const agent = uniquePrefix('agent');
    await callFunction('getPrivacy', { method: 'GET', url: '/privacy?ticket=SENTINELticket', headers: { 'user-agent': agent }, sourceIp: '198.51.100.7' });
    const { body } = await audit('?kind=http_request&limit=100');
    const entry = body.items.find((e) => e.userAgent === agent);
    expect(entry).toMatchObject({ path: '/privacy', status: 200, outcome: 'ok' });
    expect(entry?.clientHash).toEqual(expect.any(String));
    expect(JSON.stringify(entry)).not.toContain('SENTINEL');
    expect(JSON.stringify(entry)).not.toContain('198.51.100.7');
  });

  it('records refused requests with their error code', async () => {
    const agent = uniquePrefix('bad');
    const res = await callFunction('getPrivacy', { method: 'GET', url: '/privacy?format=pdf', headers: { 'user-agent': agent } });
    expect(res.statusCode).toBe(400);
    const { body } = await audit('?kind=http_request&limit=100');
    expect(body.items.find((e) => e.userAgent === agent)).toMatchObject({ status: 400, outcome: 'client_error', errorCode: 'validation_failed' });
  });
});

describe('GET /audit', () => {
  it('lists newest first within the retention window', async () => {
    const { status, body } = await audit('?limit=5');
    expect(status).toBe(200);
    expect(body.items.length).toBeLessThanOrEqual(5);
    const days = (Date.parse(body.range.to) - Date.parse(body.range.from)) / 86_400_000;
    expect(Math.round(days)).toBe(90);
  });

  it('clamps a range that starts before the retention period', async () => {
    const { body } = await audit('?from=2000-01-01T00:00:00Z');
    expect(Date.parse(body.range.from)).toBeGreaterThan(Date.parse('2000-01-02T00:00:00Z'));
  });

  it('clamps a far-future end of range to now', async () => {
    const { status, body } = await audit('?to=9999-12-31T00:00:00Z&limit=5');
    expect(status).toBe(200);
    expect(Date.parse(body.range.to)).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['a start in the future', '?from=2999-01-01T00:00:00Z', 'from must not be in the future'],
    ['a cursor with the right partition but a forged key', `?kind=account&cursor=${Buffer.from(JSON.stringify({ kindKey: 'KIND#account' })).toString('base64url')}`, 'cursor'],
    ['an unknown parameter', '?sort=asc', 'sort'],
    ['a malformed time', '?from=yesterday', 'ISO 8601'],
    ['an unknown kind', '?kind=all', 'kind must be one of'],
    ['a limit out of range', '?limit=1000', 'limit'],
    ['a reversed range', '?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'from must not be later than to'],
    ['a forged cursor', '?cursor=abc', 'cursor'],
    ['a cursor naming a day that does not exist', `?cursor=${cursorOf({ before: `2026-11-99T10:00:00.000Z#${anId}` })}`, 'cursor'],
    ['a cursor naming 30 February', `?cursor=${cursorOf({ before: `2026-02-30T10:00:00.000Z#${anId}` })}`, 'cursor'],
    ['a cursor with an empty inner cursor', `?cursor=${cursorOf({ resume: '' })}`, 'cursor'],
    ['a cursor whose inner cursor names another partition', `?cursor=${cursorOf({ resume: cursorOf({ pk: 'ACCOUNT#sandbox', sk: 'PINNED' }) })}`, 'cursor'],
    ['a cursor of another kind', `?kind=auth_denied&cursor=${cursorOf({ kind: 'account', before: `2026-11-01T10:00:00.000Z#${anId}` })}`, 'cursor'],
    ['a cursor past the end of the range', `?cursor=${cursorOf({ before: `2099-01-01T10:00:00.000Z#${anId}` })}`, 'cursor'],
  ])('answers %s with a clear 400', async (_case, query, message) => {
    const { status, body } = await audit(query);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain(message);
  });
});

describe('the operator authorizer', () => {
  const right = 'Bearer test-operator-credential-0123456789abcdef';

  it('allows the stored credential and names the principal', async () => {
    expect(await invoke('authorizeOperator', authorizerEventFor(right, 'ok'))).toEqual({ isAuthorized: true, context: { principal: 'operator' } });
  });

  it.each([
    ['a wrong credential', 'Bearer test-operator-credential-0123456789abcdeX', 'wrong_credential'],
    ['another scheme', 'Basic dGVzdDp0ZXN0', 'malformed_credential'],
    ['an empty bearer', 'Bearer ', 'malformed_credential'],
  ])('refuses %s and records the refusal', async (_case, header, errorCode) => {
    const agent = uniquePrefix('deny');
    expect(await invoke('authorizeOperator', authorizerEventFor(header, agent))).toEqual({ isAuthorized: false, context: { principal: 'none' } });
    const { body } = await audit('?kind=auth_denied&limit=100');
    expect(body.items.find((e) => e.userAgent === agent)).toMatchObject({ path: '/audit', outcome: 'denied', errorCode });
  });
});
