import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { clients } from '../support/aws';
import {
  DAY_MS,
  accountLog,
  logMark,
  accountView,
  connectConfirmed,
  operatorMails,
  readSecret,
  refreshRequests,
  setUpTokenFlow,
  steps,
  storedAccount,
} from '../support/token-flow';

/**
 * The daily `refresh-tokens` schedule over days of a fake clock (shared by the use cases and the
 * Pinterest emulator): the operator is mailed once per condition however many runs see it, not
 * before the condition holds, and again only after it has cleared; GET /account shows it all.
 */

const flow = setUpTokenFlow('notices');
const HOUR_MS = 3_600_000;

let mailsBefore: number;
const newMails = async () => (await operatorMails(flow)).slice(mailsBefore);

beforeEach(async () => {
  flow.clock.set(new Date());
  flow.emulator.controls.reset();
  await clients.dynamo.send(new DeleteCommand({ TableName: flow.tables.workflow, Key: { pk: 'ACCOUNT#production', sk: 'CURRENT' } }));
  mailsBefore = (await operatorMails(flow)).length;
  await connectConfirmed('sandbox');
});

describe('operator notices from the refresh schedule', () => {
  it('warns once about a refresh token near its end that refreshing does not extend, across three daily runs, and clears when a refresh extends it', async () => {
    const mark = await logMark(flow);
    const { secretName } = await storedAccount(flow);
    const original = await readSecret(secretName);
    // 45 days on, the refresh token (60 days) has 15 left, under REFRESH_WARN_DAYS (20); the token
    // endpoint answers without a new refresh token, so refreshing does not move its end.
    flow.clock.advance(45 * DAY_MS);
    const runs = [];
    for (let day = 0; day < 3; day += 1) {
      flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'omit_refresh_token' });
      runs.push((await runRefreshSchedule(flow.deps)).sandbox);
      flow.clock.advance(DAY_MS);
    }

    expect(runs).toEqual(['refreshed', 'refreshed', 'refreshed']);
    expect(refreshRequests(flow).map((form) => form.get('refresh_token'))).toEqual([original.refreshToken, original.refreshToken, original.refreshToken]);
    const mails = await newMails();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(`[MiraDigitalZen Publisher] Pinterest sandbox: connect again before ${original.refreshTokenExpiresAt?.slice(0, 10) ?? ''}`);
    expect(mails[0]?.body.text).toContain('refreshing did not extend it');
    expect(mails[0]?.body.text).toMatch(/ends \S+ \(in 1[45] days\)/); // 15 days less the rounding of the expiry to seconds
    expect(mails[0]?.body.text).toContain('POST https://publisher.example.test/oauth/start');
    const stored = await storedAccount(flow);
    expect(stored.refreshTokenExpiresAt).toBe(original.refreshTokenExpiresAt);
    expect(stored.tokenVersion).toBe(4);
    expect(await accountView()).toMatchObject({ warnings: [{ kind: 'refresh_token_expiring', since: expect.any(String) as unknown }], refreshFailingSince: null });

    // A refresh that rotates extends the refresh token: the warning is over and would be mailed again.
    const extended = await runRefreshSchedule(flow.deps);
    expect(extended.sandbox).toBe('refreshed');
    expect(await accountView()).toMatchObject({ warnings: [], lastRefreshAt: flow.clock.now().toISOString() });
    // 60 days from now, as Pinterest gives it: in whole seconds.
    const extendedBy = Date.parse((await storedAccount(flow)).refreshTokenExpiresAt ?? '') - flow.clock.now().getTime();
    expect(extendedBy).toBeGreaterThan(60 * DAY_MS - 1000);
    expect(extendedBy).toBeLessThanOrEqual(60 * DAY_MS);
    expect(await runRefreshSchedule(flow.deps)).toMatchObject({ sandbox: 'not_due' });
    expect(await newMails()).toHaveLength(1);
    const notified = (await accountLog(flow, mark)).filter((e) => e.detail?.step === 'operator_notified');
    expect(notified.map((e) => e.detail?.notice)).toEqual(['refresh_token_expiring']);
  });

  it('mails once when refreshing has been failing for 24 hours, not before, and clears once a refresh succeeds', async () => {
    const mark = await logMark(flow);
    // 26 days on, the access token has 4 days left: a refresh is due; the token endpoint fails each time.
    flow.clock.advance(26 * DAY_MS);
    const since = flow.clock.now().toISOString();
    const run = async () => {
      flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'status', status: 500 });
      return (await runRefreshSchedule(flow.deps)).sandbox;
    };

    expect(await run()).toBe('failed');
    expect(await accountView()).toMatchObject({ status: 'connected', refreshFailingSince: since, warnings: [] });
    for (const step of [12 * HOUR_MS, 11 * HOUR_MS + 59 * 60_000]) {
      flow.clock.advance(step);
      expect(await run()).toBe('failed');
      expect(await newMails()).toEqual([]);
    }
    flow.clock.advance(60_000); // 24 hours since the first failure
    expect(await run()).toBe('failed');
    const mailedAt = flow.clock.now().toISOString();
    flow.clock.advance(12 * HOUR_MS);
    expect(await run()).toBe('failed');

    const mails = await newMails();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('[MiraDigitalZen Publisher] Pinterest sandbox: token refresh has been failing for a day');
    expect(mails[0]?.body.text).toContain(`has failed since ${since}`);
    expect(mails[0]?.body.text).toContain('not a revocation');
    expect(refreshRequests(flow)).toHaveLength(5);
    expect(await accountView()).toMatchObject({ status: 'connected', refreshFailingSince: since, warnings: [{ kind: 'refresh_failing', since: mailedAt }] });
    expect(await storedAccount(flow)).toMatchObject({ tokenVersion: 1, refreshFailingSince: since });

    // Pinterest answers again: the refresh succeeds and the condition is over.
    flow.clock.advance(12 * HOUR_MS);
    expect((await runRefreshSchedule(flow.deps)).sandbox).toBe('refreshed');
    expect(await accountView()).toMatchObject({ refreshFailingSince: null, warnings: [], lastRefreshAt: flow.clock.now().toISOString() });
    expect(await newMails()).toHaveLength(1);
    const log = await accountLog(flow, mark);
    expect(steps(log).filter((s) => s === 'refresh_failed')).toHaveLength(5);
    expect(log.find((e) => e.detail?.step === 'refresh_failed')).toMatchObject({ outcome: 'server_error', errorCode: 'refresh_failed', detail: expect.objectContaining({ reason: expect.stringMatching(/^server_error \(HTTP 500\b/) as unknown }) as unknown });
    expect(log.filter((e) => e.detail?.step === 'operator_notified').map((e) => e.detail?.notice)).toEqual(['refresh_failing']);
  });

  it('a refresh answer lost after Pinterest rotated the token: the account stays usable until its access token ends, and the operator is mailed once to reconnect', async () => {
    const mark = await logMark(flow);
    const { secretName } = await storedAccount(flow);
    const original = await readSecret(secretName);
    flow.clock.advance(26 * DAY_MS);
    // Pinterest processes the refresh (the refresh token rotates) and the answer never arrives.
    flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/oauth/token', kind: 'drop_connection', afterProcessing: true });
    expect((await runRefreshSchedule(flow.deps)).sandbox).toBe('failed');
    flow.clock.advance(DAY_MS / 2);
    expect((await runRefreshSchedule(flow.deps)).sandbox).toBe('refresh_token_lost');
    flow.clock.advance(DAY_MS / 2); // a day after the lost answer: no "failing for a day" mail on top
    expect((await runRefreshSchedule(flow.deps)).sandbox).toBe('refresh_token_lost');

    expect(refreshRequests(flow).map((form) => form.get('refresh_token'))).toEqual([original.refreshToken, original.refreshToken, original.refreshToken]);
    expect(await storedAccount(flow)).toMatchObject({ status: 'connected', tokenVersion: 1 });
    await expect(readSecret(secretName)).resolves.toEqual(original);
    await expect(flow.api.listBoards('sandbox', original.accessToken)).resolves.toMatchObject({ status: 200 });
    const mails = await newMails();
    expect(mails.map((m) => m.subject)).toEqual([`[MiraDigitalZen Publisher] Pinterest sandbox: connect again before ${original.accessTokenExpiresAt?.slice(0, 10) ?? ''}`]);
    expect(mails[0]?.body.text).toContain('the new refresh token is unknown');
    expect(await accountView()).toMatchObject({ status: 'connected', refreshFailingSince: null, warnings: [{ kind: 'refresh_token_lost', since: expect.any(String) as unknown }] });
    expect(steps(await accountLog(flow, mark)).filter((s) => s === 'refresh_token_lost')).toHaveLength(2);
  });

  it('GET /account shows per environment lastRefreshAt, refreshFailingSince and the open warnings', async () => {
    await connectConfirmed('production');
    expect(await accountView('production')).toMatchObject({ lastRefreshAt: null, refreshFailingSince: null, warnings: [] });
    flow.clock.advance(26 * DAY_MS);
    const first = flow.clock.now().toISOString();
    flow.emulator.controls.injectFault({ host: 'production', path: '/v5/oauth/token', kind: 'status', status: 503, times: 2 });
    expect(await runRefreshSchedule(flow.deps)).toEqual({ sandbox: 'refreshed', production: 'failed' });
    flow.clock.advance(DAY_MS);
    const second = flow.clock.now().toISOString();
    expect(await runRefreshSchedule(flow.deps)).toEqual({ sandbox: 'not_due', production: 'failed' });

    expect(await accountView('sandbox')).toMatchObject({ status: 'connected', lastRefreshAt: first, refreshFailingSince: null, warnings: [] });
    expect(await accountView('production')).toMatchObject({ status: 'connected', lastRefreshAt: null, refreshFailingSince: first, warnings: [{ kind: 'refresh_failing', since: second }] });
    expect((await newMails()).map((m) => m.subject)).toEqual(['[MiraDigitalZen Publisher] Pinterest production: token refresh has been failing for a day']);
  });
});
