import { AppError } from '../../shared/domain/errors';
import { environments, type PinterestEnvironment } from '../../shared/domain/pinterest';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import type { TokenDeps } from '../../shared/use-cases/token-ports';
import { withPinterestToken } from '../../shared/use-cases/token-source';
import type { RefreshFailure } from '../support/memory-pinterest';
import { memoryTokenDeps, seedConnection, storedAccount, storedSecret, type TokenState } from '../support/memory-tokens';

/**
 * A year of the token lifecycle in memory, randomised but reproducible (seeded): the daily schedule,
 * bursts of concurrent Pinterest calls from several containers (each with its own secret cache) whose
 * access tokens Pinterest refuses, refresh calls that take up to a few seconds, ~10% of refresh calls failing (5xx, 429, not sent) and a few
 * outages of one environment's token endpoint lasting a day or more. Whatever happens: no connection
 * is ever lost, the secret always holds the one refresh token Pinterest accepts, no refresh is ever
 * sent with a refresh token another refresh already rotated away (single flight), and each failing
 * episode is mailed exactly once, and only after 24 hours. Violations are collected and asserted
 * once (an `expect` per check would cost more than the simulation).
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DAYS = 365;
const FAILURE_RATE = 0.1;
const FAILURES: readonly RefreshFailure[] = ['server_error', 'rate_limited', 'not_sent'];

/** A small, seeded PRNG (mulberry32): the same seed, the same year. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Burst {
  at: number;
  withSchedule: boolean;
  /** The environment whose access tokens Pinterest stops accepting just before, if any. */
  refuse: PinterestEnvironment | undefined;
  calls: Array<{ environment: PinterestEnvironment; container: number }>;
}

function checkConnections(state: TokenState, day: number, problems: string[]): void {
  for (const environment of environments) {
    const account = storedAccount(state, environment);
    const secret = storedSecret(state, environment);
    const where = `day ${String(day)}, ${environment}:`;
    if (account.status !== 'connected') problems.push(`${where} ${account.status} (${account.reauthorizationReason ?? ''})`);
    // Exactly one refresh token is alive at Pinterest, and it is the one in the secret.
    const live = state.pinterest.liveRefreshTokens(environment);
    if (secret === undefined || live.length !== 1 || live[0] !== secret.refreshToken) problems.push(`${where} secret holds ${secret?.refreshToken ?? 'nothing'}, Pinterest accepts ${live.join(', ')}`);
    if (account.tokenVersion !== secret?.tokenVersion) problems.push(`${where} account at token version ${String(account.tokenVersion)}, secret at ${String(secret?.tokenVersion)}`);
    if (account.refreshLockUntil !== undefined) problems.push(`${where} lease left behind`);
  }
}

/** After a schedule run that started at `startedAt`: a failing episode 24 hours old has been mailed, once. */
function checkFailingMailed(state: TokenState, startedAt: number, problems: string[]): number {
  let due = 0;
  for (const environment of environments) {
    const since = storedAccount(state, environment).refreshFailingSince;
    if (since === undefined || startedAt - Date.parse(since) < DAY_MS) continue;
    due += 1;
    const mails = state.notifier.ofKind('refresh_failing', environment).filter((mail) => mail.text.includes(`has failed since ${since}`));
    if (mails.length !== 1) problems.push(`${environment}: failing since ${since}, mailed ${String(mails.length)} times`);
  }
  return due;
}

describe.each([20260301, 7, 424242])('a year of refreshes with failures and concurrent calls (seed %i)', (seed) => {
  it('never requires reauthorization, always keeps the refresh token Pinterest accepts, and mails each failing episode once', async () => {
    const rng = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
    const { state, container } = memoryTokenDeps();
    const containers: TokenDeps[] = Array.from({ length: 4 }, () => container());
    for (const environment of environments) seedConnection(state, environment, { accessDays: 1 + rng() * 29 });

    const start = state.clock.now().getTime();
    // Outages: one environment's token endpoint fails every refresh for one to three days.
    const outages = Array.from({ length: 4 }, () => {
      const from = start + Math.floor(rng() * (DAYS - 5)) * DAY_MS + Math.floor(rng() * 24) * HOUR_MS;
      return { environment: pick(environments), from, until: from + (1 + rng() * 2) * DAY_MS };
    });
    let injected = 0;
    state.pinterest.failRefreshWhen((environment) => {
      const now = state.clock.now().getTime();
      const down = outages.some((outage) => outage.environment === environment && outage.from <= now && now < outage.until);
      if (!down && rng() >= FAILURE_RATE) return undefined;
      injected += 1;
      return pick(FAILURES);
    });

    // A refresh takes up to a few (virtual) seconds, so concurrent callers really wait on the lease.
    state.pinterest.refreshLatency(() => state.timers.sleep(Math.floor(rng() * 1500)));

    const problems: string[] = [];
    let calls = 0;
    let succeeded = 0;
    let failingRunsChecked = 0;
    for (let day = 0; day < DAYS; day += 1) {
      const midnight = start + day * DAY_MS;
      // The schedule runs at 03:00; bursts of calls come in other hours (so no cached token is older
      // than the token Pinterest refuses: caches live a minute).
      const hours = [4, 8, 11, 14, 17, 20, 23].filter(() => rng() < 0.3);
      const bursts: Burst[] = [3, ...hours].map((hour) => ({
        at: midnight + hour * HOUR_MS + Math.floor(rng() * 50) * 60_000,
        withSchedule: hour === 3,
        refuse: rng() < 0.6 ? pick(environments) : undefined,
        calls: Array.from({ length: hour === 3 && rng() < 0.7 ? 0 : 1 + Math.floor(rng() * 8) }, () => ({ environment: pick(environments), container: Math.floor(rng() * containers.length) })),
      }));
      for (const burst of bursts) {
        if (burst.at > state.clock.now().getTime()) state.clock.set(new Date(burst.at));
        if (burst.refuse !== undefined) state.pinterest.expireAccessTokens(burst.refuse);
        const startedAt = state.clock.now().getTime();
        const work = burst.calls.map(({ environment, container: index }) =>
          withPinterestToken(containers[index] ?? container(), environment, async (token) => {
            await state.pinterest.userAccount(environment, token);
            return token;
          }),
        );
        const schedule = burst.withSchedule ? runRefreshSchedule(pick(containers)) : Promise.resolve(undefined);
        const [outcomes, scheduled] = await Promise.all([Promise.allSettled(work), schedule]);
        calls += outcomes.length;
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') {
            succeeded += 1;
          } else if (!(outcome.reason instanceof AppError) || outcome.reason.code !== 'dependency_failed') {
            // Only a refresh that failed right then may fail a call, as a temporary dependency failure.
            problems.push(`day ${String(day)}: a call failed with ${String(outcome.reason)}`);
          }
        }
        checkConnections(state, day, problems);
        if (scheduled !== undefined) {
          for (const environment of environments) {
            if (!['refreshed', 'joined', 'not_needed', 'not_due', 'failed'].includes(scheduled[environment])) problems.push(`day ${String(day)}: the schedule answered ${scheduled[environment]} for ${environment}`);
          }
          failingRunsChecked += checkFailingMailed(state, startedAt, problems);
        }
      }
    }

    expect(problems.slice(0, 10)).toEqual([]);
    // Single flight: no refresh ever went out with a refresh token another refresh had rotated away.
    expect(state.pinterest.refusedRefreshes).toBe(0);
    // Each mail: a refresh_failing episode, at least 24 hours old when mailed, mailed once.
    expect(new Set(state.notifier.sent.map((mail) => mail.kind))).toEqual(new Set(['refresh_failing']));
    const episodes = new Map<string, number>();
    for (const mail of state.notifier.sent) {
      const since = /has failed since (\S+) /.exec(mail.text)?.[1] ?? 'unknown';
      expect(Date.parse(mail.at) - Date.parse(since)).toBeGreaterThanOrEqual(DAY_MS);
      const key = `${mail.environment} ${since}`;
      episodes.set(key, (episodes.get(key) ?? 0) + 1);
    }
    expect([...episodes.values()].filter((count) => count !== 1)).toEqual([]);

    // The year really was eventful.
    expect(injected).toBeGreaterThan(30);
    // Failing days are retried daily, so only multi-day outages last 24 h: at least one per year.
    expect(episodes.size).toBeGreaterThanOrEqual(1);
    expect(failingRunsChecked).toBeGreaterThanOrEqual(1);
    expect(state.pinterest.callsTo('refresh').length).toBeGreaterThan(2 * 12);
    expect(state.pinterest.withTokenCalls.renewed).toBeGreaterThan(500);
    expect(succeeded).toBeGreaterThan(calls * 0.8);
    expect(state.clock.now().getTime() - start).toBeGreaterThanOrEqual((DAYS - 1) * DAY_MS);
  });
});
