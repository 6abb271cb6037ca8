import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { invoke } from '../../local/lambda-runtime';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { refreshTokens } from '../../shared/use-cases/token-refresh';
import { ReauthorizationRequiredError, withPinterestToken } from '../../shared/use-cases/token-source';
import {
  MIRA,
  accountLog,
  logMark,
  accountView,
  connectConfirmed,
  operatorMails,
  readSecret,
  refreshAtEmulator,
  refreshRequests,
  setUpTokenFlow,
  steps,
  storedAccount,
} from '../support/token-flow';

/**
 * Refreshing through the real adapters against the Pinterest emulator: rotation, single-flight under
 * concurrency, the one retry after a 401, and what a revoked grant does (tokens deleted, the operator
 * mailed once, the security log). Each test starts from a fresh connection of a fresh emulator world.
 */

const flow = setUpTokenFlow('refresh');

const requestsTo = (path: string) => flow.emulator.controls.requests().filter((r) => r.path === path);
const listBoards = (token: string) => flow.api.listBoards('sandbox', token);

let mark: Set<string>;
let mailsBefore: number;

beforeEach(async () => {
  flow.clock.set(new Date());
  mark = await logMark(flow);
  mailsBefore = (await operatorMails(flow)).length;
  flow.emulator.controls.reset();
  await connectConfirmed('sandbox');
});

describe('token refresh against the Pinterest emulator', () => {
  it('a second refresh sends the refresh token the first one received, and Pinterest refuses the old ones afterwards (400 code 283)', async () => {
    const { secretName } = await storedAccount(flow);
    const original = await readSecret(secretName);

    expect(await refreshTokens(flow.deps, 'sandbox', () => true)).toMatchObject({ kind: 'refreshed' });
    const afterFirst = await readSecret(secretName);
    expect(await refreshTokens(flow.deps, 'sandbox', () => true)).toMatchObject({ kind: 'refreshed' });
    const afterSecond = await readSecret(secretName);

    const refreshes = refreshRequests(flow);
    expect(refreshes.map((form) => form.get('refresh_token'))).toEqual([original.refreshToken, afterFirst.refreshToken]);
    expect(new Set([original.refreshToken, afterFirst.refreshToken, afterSecond.refreshToken]).size).toBe(3);
    // HTTP Basic with the app's credentials, never the client secret in the body.
    for (const request of requestsTo('/v5/oauth/token').slice(-2)) {
      expect(request.headers.authorization).toMatch(/^Basic /);
      expect(request.body).not.toContain(flow.emulator.app.clientSecret);
    }
    for (const old of [original.refreshToken, afterFirst.refreshToken]) {
      expect(await refreshAtEmulator(flow, old)).toEqual({ status: 400, body: expect.objectContaining({ code: 283 }) as unknown });
    }

    expect(afterSecond.tokenVersion).toBe(3);
    expect(await storedAccount(flow)).toMatchObject({
      status: 'connected',
      tokenVersion: 3,
      accessTokenExpiresAt: afterSecond.accessTokenExpiresAt,
      refreshTokenExpiresAt: afterSecond.refreshTokenExpiresAt,
      lastRefreshAt: flow.clock.now().toISOString(),
    });
    expect(Date.parse(afterSecond.accessTokenExpiresAt ?? '') - flow.clock.now().getTime()).toBe(30 * 86_400_000);
    // The newest access token is the one that works.
    await expect(listBoards(afterSecond.accessToken)).resolves.toMatchObject({ status: 200 });
    await expect(listBoards(afterFirst.accessToken)).resolves.toMatchObject({ status: 200 }); // access tokens live until they expire
    expect(steps(await accountLog(flow, mark)).filter((s) => s === 'refreshed')).toHaveLength(2);
  });

  it('ten concurrent calls with an expired access token make exactly one refresh, all succeed, and the newest tokens are stored', async () => {
    const before = await storedAccount(flow);
    const original = await readSecret(before.secretName);
    flow.emulator.controls.expireAccessTokens('sandbox', MIRA);

    // All ten first attempts reach Pinterest with the expired token before any of them is answered.
    let arrived = 0;
    let allArrived: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    const call = async (token: string) => {
      if (token === original.accessToken && ++arrived === 10) allArrived();
      if (token === original.accessToken) await barrier;
      return listBoards(token);
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => withPinterestToken(flow.deps, 'sandbox', call)));

    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(refreshRequests(flow).map((form) => form.get('refresh_token'))).toEqual([original.refreshToken]);
    const stored = await readSecret(before.secretName);
    expect(stored.tokenVersion).toBe(2);
    expect(stored.accessToken).not.toBe(original.accessToken);
    expect(stored.refreshToken).not.toBe(original.refreshToken);
    // Ten refused calls with the old token, then ten retries with the one new token.
    const boardCalls = requestsTo('/v5/boards').map((r) => r.headers.authorization);
    expect(boardCalls.filter((a) => a === `Bearer ${original.accessToken}`)).toHaveLength(10);
    expect(boardCalls.filter((a) => a === `Bearer ${stored.accessToken}`)).toHaveLength(10);
    expect(boardCalls).toHaveLength(20);

    const after = await storedAccount(flow);
    expect(after).toMatchObject({
      tokenVersion: 2,
      accessTokenExpiresAt: stored.accessTokenExpiresAt,
      refreshTokenExpiresAt: stored.refreshTokenExpiresAt,
      lastRefreshAt: flow.clock.now().toISOString(),
    });
    expect(after.refreshLockUntil).toBeUndefined();
    expect(after.refreshLeaseId).toBeUndefined();
    expect(Date.parse(after.accessTokenExpiresAt)).toBeGreaterThan(Date.parse(before.accessTokenExpiresAt) - 60_000);
    expect(steps(await accountLog(flow, mark)).filter((s) => s === 'refreshed')).toHaveLength(1);
  });

  it('after a 401 in the middle of a call: one refresh, one retry with the new token, and the call succeeds', async () => {
    const { secretName } = await storedAccount(flow);
    const original = await readSecret(secretName);
    const seen = requestsTo('/v5/user_account').length;
    flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/user_account', kind: 'status', status: 401, body: { code: 2, message: 'Authentication failed.' } });

    const answer = await withPinterestToken(flow.deps, 'sandbox', (token) => flow.deps.pinterest.userAccount('sandbox', token));

    expect(answer.data).toMatchObject({ id: MIRA, username: 'miradigitalzen' });
    const renewed = await readSecret(secretName);
    expect(refreshRequests(flow)).toHaveLength(1);
    expect(requestsTo('/v5/user_account').slice(seen).map((r) => r.headers.authorization)).toEqual([`Bearer ${original.accessToken}`, `Bearer ${renewed.accessToken}`]);
    expect(await storedAccount(flow)).toMatchObject({ status: 'connected', tokenVersion: 2 });
  });

  it('a grant revoked at Pinterest: the next call ends in reauthorization_required, the tokens are deleted, the operator is mailed once and it is logged; later calls and schedule runs mail nothing more', async () => {
    const { secretName } = await storedAccount(flow);
    const tokens = await readSecret(secretName);
    flow.emulator.controls.revokeGrant('sandbox', MIRA);

    await expect(withPinterestToken(flow.deps, 'sandbox', listBoards)).rejects.toBeInstanceOf(ReauthorizationRequiredError);

    // One refresh, refused with 283 (the same refresh token is refused again here).
    expect(refreshRequests(flow).map((form) => form.get('refresh_token'))).toEqual([tokens.refreshToken]);
    expect(await refreshAtEmulator(flow, tokens.refreshToken)).toEqual({ status: 400, body: expect.objectContaining({ code: 283 }) as unknown });
    expect(await storedAccount(flow)).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'refresh_refused' });
    await expect(readSecret(secretName)).rejects.toBeInstanceOf(ResourceNotFoundException);

    const mails = (await operatorMails(flow)).slice(mailsBefore);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail?.destination.to).toEqual([flow.notifyEmail]);
    expect(mail?.subject).toMatch(/sandbox.*revoked/);
    expect(mail?.body.text).toContain('POST https://publisher.example.test/oauth/start with {"environment":"sandbox"}');
    expect(mail?.body.text).toContain('Check the result with GET /account');
    expect(mail?.body.text).toContain(MIRA);

    const log = await accountLog(flow, mark);
    expect(log).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'denied', errorCode: 'reauthorization_required', detail: expect.objectContaining({ environment: 'sandbox', accountId: MIRA, reason: 'refresh_refused' }) as unknown }),
        expect.objectContaining({ outcome: 'ok', detail: expect.objectContaining({ step: 'operator_notified', notice: 'revoked' }) as unknown }),
      ]),
    );

    // Nothing more reaches Pinterest, and nothing more is mailed.
    const requestsBefore = flow.emulator.controls.requests().length;
    await expect(withPinterestToken(flow.deps, 'sandbox', listBoards)).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(await runRefreshSchedule(flow.deps)).toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(await invoke('refreshTokens', {})).toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(flow.emulator.controls.requests()).toHaveLength(requestsBefore);
    expect(await operatorMails(flow)).toHaveLength(mailsBefore + 1);
    expect(steps(await accountLog(flow, mark)).filter((s) => s === 'operator_notified')).toHaveLength(1);
    expect(await accountView()).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'refresh_refused', warnings: [{ kind: 'revoked', since: expect.any(String) as unknown }] });

    // Connecting again clears it.
    await connectConfirmed('sandbox');
    expect(await accountView()).toMatchObject({ status: 'connected', warnings: [] });
    await expect(withPinterestToken(flow.deps, 'sandbox', listBoards)).resolves.toMatchObject({ status: 200 });
  });

  it('a revocation whose mail could not be sent (SES failing) still ends the call with reauthorization_required, and the next schedule run sends the mail once', async () => {
    const { secretName } = await storedAccount(flow);
    flow.emulator.controls.revokeGrant('sandbox', MIRA);
    const sesDown = { ...flow.deps, notifier: { notify: () => Promise.reject(new Error('SES is down')) } };

    await expect(withPinterestToken(sesDown, 'sandbox', listBoards)).rejects.toBeInstanceOf(ReauthorizationRequiredError);

    await expect(readSecret(secretName)).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(await operatorMails(flow)).toHaveLength(mailsBefore);
    expect(await accountLog(flow, mark)).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'server_error', errorCode: 'operator_not_notified' })]));
    expect(await accountView()).toMatchObject({ status: 'reauthorization_required', warnings: [] });

    expect(await runRefreshSchedule(flow.deps)).toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect(await runRefreshSchedule(flow.deps)).toEqual({ sandbox: 'not_connected', production: 'not_connected' });
    expect((await operatorMails(flow)).slice(mailsBefore).map((m) => m.subject)).toEqual([expect.stringMatching(/sandbox.*revoked/)]);
    expect((await accountView()).warnings.map((w) => w.kind)).toEqual(['revoked']);
  });

  it('a 401 that survives the refresh means the grant is gone: reauthorization_required and tokens deleted', async () => {
    const { secretName } = await storedAccount(flow);
    flow.emulator.controls.injectFault({ host: 'sandbox', path: '/v5/boards', kind: 'status', status: 401, times: 2, body: { code: 2, message: 'Authentication failed.' } });

    await expect(withPinterestToken(flow.deps, 'sandbox', listBoards)).rejects.toBeInstanceOf(ReauthorizationRequiredError);

    expect(refreshRequests(flow)).toHaveLength(1);
    expect(requestsTo('/v5/boards')).toHaveLength(2);
    expect(await storedAccount(flow)).toMatchObject({ status: 'reauthorization_required', reauthorizationReason: 'token_refused_after_refresh' });
    await expect(readSecret(secretName)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
