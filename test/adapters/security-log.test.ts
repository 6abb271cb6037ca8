import { z } from 'zod';
import { SecurityLog } from '../../shared/adapters/dynamo/security-log';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { ValidationError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { FakeClock } from '../support/fake-clock';
import { clients, names, uniquePrefix } from '../support/aws';

const key = Buffer.alloc(32, 3);

/** Each test writes into its own far-future days so the shared audit table does not interfere. */
function setup(startIso: string) {
  const clock = new FakeClock(startIso);
  const table = new DynamoTable(clients.dynamo, names.audit, clock);
  const log = new SecurityLog(table, clock, () => Promise.resolve(key), 90);
  return { clock, log, table };
}

describe('SecurityLog against dynalite', () => {
  it('stores the path without its query, a bounded user agent and only a keyed hash of the address', async () => {
    const { log, table } = setup('2091-03-01T10:00:00Z');
    const entry = await log.write({
      kind: 'http_request',
      outcome: 'ok',
      method: 'GET',
      path: '/oauth/callback?code=SENTINELcode&state=SENTINELstate',
      status: 200,
      userAgent: 'x'.repeat(2000),
      clientAddress: '203.0.113.9',
      requestId: 'req-1',
    });
    expect(entry.path).toBe('/oauth/callback');
    expect(entry.userAgent?.length).toBeLessThanOrEqual(513);
    expect(entry.clientHash).toBe(keyedHash(key, 'client-address', '203.0.113.9'));
    const stored = await table.get({ pk: 'LOG#2091-03-01', sk: `${entry.time}#${entry.id}` }, z.looseObject({ expiresAt: z.number() }));
    expect(JSON.stringify(stored)).not.toContain('203.0.113.9');
    expect(JSON.stringify(stored)).not.toContain('SENTINEL');
    expect(stored?.expiresAt).toBe(Math.floor(Date.parse('2091-03-01T10:00:00Z') / 1000) + 90 * 86_400);
  });

  it('lists newest first across days and pages with a cursor until the range is exhausted', async () => {
    const { clock, log } = setup('2092-05-01T23:59:00Z');
    const paths: string[] = [];
    for (let i = 0; i < 7; i++) {
      const path = `/${uniquePrefix('p')}-${i}`;
      paths.push(path);
      await log.write({ kind: 'http_request', outcome: 'ok', path });
      clock.advance(12 * 3600_000); // two entries a day, across four days
    }
    const range = { from: new Date('2092-05-01T00:00:00Z'), to: new Date('2092-05-05T00:00:00Z') };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.list({ ...range, limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((e) => e.path ?? ''));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen).toEqual([...paths].reverse());
  });

  it('filters by kind through the byKind index', async () => {
    const { log } = setup('2093-01-01T00:00:00Z');
    const marker = uniquePrefix('ua');
    await log.write({ kind: 'auth_denied', outcome: 'denied', userAgent: marker });
    await log.write({ kind: 'http_request', outcome: 'ok', userAgent: marker });
    const page = await log.list({ from: new Date('2093-01-01T00:00:00Z'), to: new Date('2093-01-02T00:00:00Z'), kind: 'auth_denied', limit: 50 });
    expect(page.items.filter((e) => e.userAgent === marker).map((e) => e.kind)).toEqual(['auth_denied']);
  });

  it('refuses a forged or foreign cursor', async () => {
    const { log } = setup('2094-01-01T00:00:00Z');
    const range = { from: new Date('2094-01-01T00:00:00Z'), to: new Date('2094-01-02T00:00:00Z'), limit: 5 };
    await expect(log.list({ ...range, cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    const later = Buffer.from(JSON.stringify({ day: '2099-01-01' })).toString('base64url');
    await expect(log.list({ ...range, cursor: later })).rejects.toBeInstanceOf(ValidationError);
  });
});
