import type { AccountRecord, NoticeKind } from '../../shared/domain/account';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { Clock } from '../../shared/domain/time';
import type { TokenSecret } from '../../shared/domain/tokens';
import type { DisconnectDeps } from '../../shared/use-cases/disconnect';
import type { OperatorNotifier, TokenDeps, TokenSettings } from '../../shared/use-cases/token-ports';
import { FakeClock } from './fake-clock';
import { Counters, HASHING_KEY, MemoryAppCredentials, MemorySecurityLog, accountRecord } from './memory-ports';
import { MemoryPinterest } from './memory-pinterest';
import { CachedVault, MemoryAccounts, MemoryEnvironmentRecords, MemoryVault, io } from './memory-stores';

/**
 * The token lifecycle's ports in memory (TokenDeps): the stores of memory-stores.ts, the memory
 * Pinterest with a clock (tokens expire), a recording operator notifier and a `sleep` on virtual time,
 * so waiting for another refresh's lease is instant and deterministic. `container()` gives the deps
 * of another Lambda container: the same stores, Pinterest and mail, its own secret cache.
 */

const DAY_MS = 86_400_000;

export const tokenSettings: TokenSettings = {
  refreshAccessDays: 5,
  refreshWarnDays: 20,
  leaseMs: 90_000,
  pollMs: 250,
  failingNoticeAfterMs: 24 * 3_600_000,
  disconnectedRetentionDays: 90,
  publicBaseUrl: 'https://publisher.example.test',
};

/**
 * `sleep` on virtual time: a sleeper wakes once everything runnable has run (the memory ports settle
 * in microtasks), with the clock moved to its wake-up time. Sleepers overlap as real timers do: ten
 * callers sleeping 250 ms at once move the clock by 250 ms, not 2.5 s.
 */
export class VirtualTimers {
  private sleepers: Array<{ at: number; wake: () => void }> = [];
  private scheduled = false;
  /** Every sleep asked for, in ms. */
  readonly slept: number[] = [];

  constructor(private readonly clock: FakeClock) {}

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.slept.push(ms);
      this.sleepers.push({ at: this.clock.now().getTime() + Math.max(0, ms), wake: resolve });
      this.schedule();
    });

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.wakeNext();
    });
  }

  private wakeNext(): void {
    this.scheduled = false;
    if (this.sleepers.length === 0) return;
    const next = Math.min(...this.sleepers.map((sleeper) => sleeper.at));
    const now = this.clock.now().getTime();
    if (next > now) this.clock.advance(next - now);
    const due = this.sleepers.filter((sleeper) => sleeper.at <= next);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.at > next);
    for (const sleeper of due) sleeper.wake();
    if (this.sleepers.length > 0) this.schedule();
  }
}

export interface SentNotice {
  kind: NoticeKind;
  environment: PinterestEnvironment;
  subject: string;
  text: string;
  /** When it was sent (the clock's time). */
  at: string;
}

/** Mails to the operator, recorded; sending can be made to fail. */
export class RecordingNotifier implements OperatorNotifier {
  readonly sent: SentNotice[] = [];
  /** Every attempt, sent or failed. */
  attempts = 0;
  private readonly failures: Error[] = [];

  constructor(private readonly clock: Clock) {}

  /** The next `times` mails fail with `error` (SES refusing, say). */
  failNext(times = 1, error: Error = new Error('simulated SES failure')): void {
    for (let i = 0; i < times; i += 1) this.failures.push(error);
  }

  notify(notice: { kind: NoticeKind; environment: PinterestEnvironment; subject: string; text: string }): Promise<void> {
    return io(() => {
      this.attempts += 1;
      const failure = this.failures.shift();
      if (failure !== undefined) throw failure;
      this.sent.push({ ...notice, at: this.clock.now().toISOString() });
    });
  }

  ofKind(kind: NoticeKind, environment?: PinterestEnvironment): SentNotice[] {
    return this.sent.filter((notice) => notice.kind === kind && (environment === undefined || notice.environment === environment));
  }
}

export interface TokenState {
  clock: FakeClock;
  timers: VirtualTimers;
  accounts: MemoryAccounts;
  vault: MemoryVault;
  pinterest: MemoryPinterest;
  app: MemoryAppCredentials;
  log: MemorySecurityLog;
  counters: Counters;
  notifier: RecordingNotifier;
  records: MemoryEnvironmentRecords;
}

export type TokenOverrides = Partial<Omit<TokenDeps, 'settings'>> & { settings?: Partial<TokenSettings> };

/** TokenDeps wired to fresh in-memory ports (the clock at 2026-03-01T09:00Z); `overrides` replace single ports or settings. */
export function memoryTokenDeps(overrides: TokenOverrides = {}): { deps: TokenDeps; state: TokenState; container: () => TokenDeps } {
  const clock = new FakeClock('2026-03-01T09:00:00.000Z');
  const state: TokenState = {
    clock,
    timers: new VirtualTimers(clock),
    accounts: new MemoryAccounts(),
    vault: new MemoryVault(),
    pinterest: new MemoryPinterest(clock),
    app: new MemoryAppCredentials(),
    log: new MemorySecurityLog(clock, HASHING_KEY),
    counters: new Counters(),
    notifier: new RecordingNotifier(clock),
    records: new MemoryEnvironmentRecords(),
  };
  const { settings, ...ports } = overrides;
  const container = (): TokenDeps => ({
    clock: state.clock,
    newId: state.counters.newId,
    sleep: state.timers.sleep,
    accounts: state.accounts,
    vault: new CachedVault(state.vault, state.clock),
    pinterest: state.pinterest,
    appCredentials: state.app.read,
    securityLog: state.log,
    notifier: state.notifier,
    ...ports,
    settings: { ...tokenSettings, ...settings },
  });
  return { deps: container(), state, container };
}

/** The disconnect's deps over the same in-memory state. */
export function disconnectDepsOf(deps: TokenDeps, state: TokenState): DisconnectDeps {
  return { clock: deps.clock, accounts: deps.accounts, vault: deps.vault, securityLog: deps.securityLog, records: state.records, settings: deps.settings };
}

export interface SeedOptions {
  /** Days the access token has left (30 by default). */
  accessDays?: number;
  /** Days the refresh token has left (60 by default); undefined in `account` changes leaves it unknown. */
  refreshDays?: number;
  tokenVersion?: number;
  /** Changes to the account record (status, notices, …). */
  account?: Partial<AccountRecord>;
  /** Whether Pinterest knows the tokens (true by default). */
  granted?: boolean;
}

/**
 * A connection made before the test: the account (connected and confirmed), its secret at the same
 * token version, and the tokens live at the memory Pinterest until their expiries.
 */
export function seedConnection(state: TokenState, environment: PinterestEnvironment, options: SeedOptions = {}): { account: AccountRecord; secret: TokenSecret } {
  const now = state.clock.now().getTime();
  const version = options.tokenVersion ?? 1;
  const accessTokenExpiresAt = new Date(now + (options.accessDays ?? 30) * DAY_MS).toISOString();
  const refreshTokenExpiresAt = new Date(now + (options.refreshDays ?? 60) * DAY_MS).toISOString();
  const secret: TokenSecret = {
    accessToken: `pina_seed_${environment}_${String(version)}`,
    refreshToken: `pinr_seed_${environment}_${String(version)}`,
    tokenVersion: version,
    accessTokenExpiresAt,
    refreshTokenExpiresAt,
  };
  const account = accountRecord({
    environment,
    status: 'connected',
    secretName: `tokens/${environment}/1000000000000000001/connection-0`,
    accessTokenExpiresAt,
    refreshTokenExpiresAt,
    tokenVersion: version,
    confirmedAt: new Date(now - DAY_MS).toISOString(),
    connectedAt: new Date(now - DAY_MS).toISOString(),
    ...options.account,
  });
  state.accounts.seed(account);
  state.accounts.seedPin(environment, account.accountId);
  state.vault.seed(account.secretName, secret);
  if (options.granted !== false) state.pinterest.grant(environment, secret);
  return { account, secret };
}

/** The stored secret of the environment's account (a copy), or undefined. */
export function storedSecret(state: TokenState, environment: PinterestEnvironment): TokenSecret | undefined {
  const account = state.accounts.record(environment);
  const secret = account === undefined ? undefined : state.vault.secrets.get(account.secretName);
  return secret === undefined ? undefined : { ...secret };
}

/** The stored account record of the environment; fails the test when there is none. */
export function storedAccount(state: TokenState, environment: PinterestEnvironment): AccountRecord {
  const account = state.accounts.record(environment);
  if (account === undefined) throw new Error(`no ${environment} account stored`);
  return account;
}

/** ISO time `days` after the clock's now. */
export function daysFromNow(clock: Clock, days: number): string {
  return new Date(clock.now().getTime() + days * DAY_MS).toISOString();
}
