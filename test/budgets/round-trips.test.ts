import { call, countedCallback, countingRequests, minimums, openLink, operator, startLink } from '../../bench/lib/operations';
import type { Counted } from '../../bench/lib/counting';
import { setUpConnectFlow } from '../support/oauth-flow';

/**
 * Round trips at their minimum, and no Secrets Manager call on a warm request: every AWS request and
 * Pinterest call an operation makes is counted at the SDK clients and the Pinterest client, through
 * the real handlers against the emulators (counts only; times are printed by `npm run bench`).
 */

setUpConnectFlow();
let counter: ReturnType<typeof countingRequests>;
// After the flow's own set-up, which points the settings at this file's Pinterest emulator.
beforeAll(() => {
  counter = countingRequests();
});
/** Secret reads: the callback must create a secret (and delete the previous one), but nothing is read once warm. */
const secretReads = (c: Counted) => c.requests['SecretsManager.GetSecretValue'] ?? 0;

async function warm(run: () => Promise<unknown>): Promise<Counted> {
  await run(); // cold: secrets and clients are loaded here
  return counter.during(run);
}

describe('round trips per operation, warm', () => {
  it('GET /account: two account reads in parallel, then its log entry', async () => {
    const counted = await warm(() => call('getAccount', { method: 'GET', url: '/account', headers: operator }));
    expect({ total: counted.total, roundTrips: counted.roundTrips }).toEqual(minimums.getAccount);
  });

  it('POST /oauth/start: the ticket and two log entries', async () => {
    const counted = await warm(() => startLink());
    expect({ total: counted.total, roundTrips: counted.roundTrips }).toEqual(minimums.createOAuthLink);
  });

  it('GET /oauth/start: counter, ticket, state and two log entries', async () => {
    await openLink(await startLink());
    const link = await startLink();
    const counted = await counter.during(() => openLink(link));
    expect({ total: counted.total, roundTrips: counted.roundTrips }).toEqual(minimums.openOAuthLink);
  });

  it('GET /oauth/callback: a first connection in the fewest requests, with Pinterest called twice', async () => {
    await countedCallback(counter);
    const { counted, answer } = await countedCallback(counter);
    expect(answer.statusCode).toBe(200);
    expect(counted.requests['Pinterest.exchangeCode']).toBe(1);
    expect(counted.requests['Pinterest.userAccount']).toBe(1);
    // A reconnect also deletes the previous connection's secret: one request more.
    expect({ total: counted.total - (counted.requests['SecretsManager.DeleteSecret'] ?? 0), roundTrips: counted.roundTrips - (counted.requests['SecretsManager.DeleteSecret'] ?? 0) }).toEqual(minimums.oauthCallback);
  });

  it.each([
    ['a quiet 90-day range', () => `/audit?to=${new Date(Date.now() - 3_600_000).toISOString()}&limit=50`],
    ['the busy default range', () => '/audit?limit=100'],
    ['one kind', () => '/audit?kind=http_request&limit=100'],
  ])('GET /audit over %s: one query, then its log entry', async (_label, url) => {
    const counted = await warm(() => call('getAudit', { method: 'GET', url: url(), headers: operator }));
    expect({ total: counted.total, roundTrips: counted.roundTrips }).toEqual(minimums.getAuditBusy);
    expect(counted.requests['DynamoDB.Query']).toBe(1);
  });
});

describe('Secrets Manager on warm requests', () => {
  it.each([
    ['GET /account', () => call('getAccount', { method: 'GET', url: '/account', headers: operator })],
    ['POST /oauth/start', () => startLink()],
    ['GET /oauth/start', async () => openLink(await startLink())],
    ['GET /audit', () => call('getAudit', { method: 'GET', url: '/audit?limit=5', headers: operator })],
    ['GET /privacy', () => call('getPrivacy', { method: 'GET', url: '/privacy' })],
  ])('%s reads no secret once warm', async (_route, run) => {
    const counted = await warm(run);
    expect(counted.total).toBeGreaterThan(0);
    expect(secretReads(counted)).toBe(0);
  });

  it('GET /oauth/callback reads no secret once warm (it creates the connection\'s)', async () => {
    await countedCallback(counter);
    const { counted } = await countedCallback(counter);
    expect(counted.requests['SecretsManager.CreateSecret']).toBe(1);
    expect(secretReads(counted)).toBe(0);
  });
});
