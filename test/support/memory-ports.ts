import type { AccountRecord } from '../../shared/domain/account';
import { NotConfiguredError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { boundedUserAgent, pathOnly, securityEventSchema, type NewSecurityEvent, type SecurityEvent, type SecurityEventKind } from '../../shared/domain/security-event';
import type { Clock } from '../../shared/domain/time';
import type { AppCredentials, ConnectDeps, ConnectSettings, RequestFacts, SecurityLogPort } from '../../shared/use-cases/connect-ports';
import { FakeClock } from './fake-clock';
import { MemoryPinterest } from './memory-pinterest';
import { MemoryAccounts, MemoryOAuthState, MemoryVault, io } from './memory-stores';

/**
 * Every port of ConnectDeps in memory, for use-case tests that run in milliseconds without any
 * emulator. `memoryConnectDeps()` wires them; its `state` is how a test sets the scene and reads
 * back what was stored, deleted, called and logged.
 */

export { MemoryAccounts, MemoryOAuthState, MemoryVault } from './memory-stores';
export { ALL_SCOPES, MIRA, MemoryPinterest, OTHER_ACCOUNT } from './memory-pinterest';

/** The security log as the real writer keeps it: id and time added, the client address only as a keyed hash. */
export class MemorySecurityLog implements SecurityLogPort {
  readonly entries: SecurityEvent[] = [];
  private written = 0;

  constructor(
    private readonly clock: Clock,
    private readonly hashingKey: Buffer,
  ) {}

  /** Unlike the safe writer the use cases get, an entry the real log would refuse fails the test. */
  write(event: NewSecurityEvent): Promise<SecurityEvent> {
    return io(() => {
      const { clientAddress, ...rest } = event;
      this.written += 1;
      const entry = securityEventSchema.parse({
        ...rest,
        id: `log-${String(this.written)}`,
        time: this.clock.now().toISOString(),
        ...(rest.path === undefined ? {} : { path: pathOnly(rest.path) }),
        ...(rest.userAgent === undefined ? {} : { userAgent: boundedUserAgent(rest.userAgent) }),
        ...(clientAddress === undefined ? {} : { clientHash: keyedHash(this.hashingKey, 'client-address', clientAddress) }),
      });
      this.entries.push(entry);
      return entry;
    });
  }

  ofKind(kind: SecurityEventKind): SecurityEvent[] {
    return this.entries.filter((entry) => entry.kind === kind);
  }

  last(): SecurityEvent | undefined {
    return this.entries.at(-1);
  }
}

/** The Pinterest app's credentials, present until removed (then NotConfiguredError, as pinterestApp does). */
export class MemoryAppCredentials {
  credentials: AppCredentials | undefined = { clientId: 'test-client-id', clientSecret: 'test-client-secret' };

  remove(): void {
    this.credentials = undefined;
  }

  readonly read = (): Promise<AppCredentials> =>
    io(() => {
      if (this.credentials === undefined) throw new NotConfiguredError('The Pinterest app credentials are not set (memory port)');
      return { ...this.credentials };
    });
}

/** Deterministic ids and random tokens: counters, so two draws never collide. */
export class Counters {
  private ids = 0;
  private tokens = 0;

  readonly newId = (): string => {
    this.ids += 1;
    return `id-${String(this.ids)}`;
  };

  /** 43 base64url characters, like 32 random bytes. */
  readonly randomToken = (): string => {
    this.tokens += 1;
    return `tok_${String(this.tokens).padStart(39, '0')}`;
  };
}

export const HASHING_KEY = Buffer.alloc(32, 7);

export const defaultSettings: ConnectSettings = {
  publicBaseUrl: 'https://publisher.example.test',
  authorizeUrl: 'https://www.pinterest.com/oauth/',
  expectedAccountId: undefined,
  stateMinutes: 10,
};

export interface MemoryState {
  clock: FakeClock;
  oauth: MemoryOAuthState;
  accounts: MemoryAccounts;
  vault: MemoryVault;
  pinterest: MemoryPinterest;
  app: MemoryAppCredentials;
  log: MemorySecurityLog;
  counters: Counters;
  hashingKey: Buffer;
}

export type ConnectOverrides = Partial<Omit<ConnectDeps, 'settings'>> & { settings?: Partial<ConnectSettings> };

/** ConnectDeps wired to fresh in-memory ports; `overrides` replace single ports or settings. */
export function memoryConnectDeps(overrides: ConnectOverrides = {}): { deps: ConnectDeps; state: MemoryState } {
  const clock = new FakeClock('2026-03-01T09:00:00.000Z');
  const log = new MemorySecurityLog(clock, HASHING_KEY);
  const state: MemoryState = {
    clock,
    oauth: new MemoryOAuthState(clock),
    accounts: new MemoryAccounts(),
    vault: new MemoryVault(),
    pinterest: new MemoryPinterest(),
    app: new MemoryAppCredentials(),
    log,
    counters: new Counters(),
    hashingKey: HASHING_KEY,
  };
  const { settings, ...ports } = overrides;
  const deps: ConnectDeps = {
    clock: state.clock,
    randomToken: state.counters.randomToken,
    newId: state.counters.newId,
    hashingKey: () => Promise.resolve(state.hashingKey),
    oauthState: state.oauth,
    accounts: state.accounts,
    vault: state.vault,
    pinterest: state.pinterest,
    appCredentials: state.app.read,
    securityLog: state.log,
    pinterestTimeoutMs: 8000,
    ...ports,
    settings: { ...defaultSettings, ...settings },
  };
  return { deps, state };
}

/** The request facts a handler would pass (shared/http/request-facts.ts). */
export function requestFacts(method: string, path: string): RequestFacts {
  return { method, path, route: `${method} ${path}`, userAgent: 'jest/use-cases', clientAddress: '203.0.113.7', requestId: 'api-request-1' };
}

/** An account record as a finished connection leaves it (Mira's, sandbox, pending confirmation). */
export function accountRecord(changes: Partial<AccountRecord> = {}): AccountRecord {
  return {
    environment: 'sandbox',
    status: 'pending_confirmation',
    accountId: '1000000000000000001',
    username: 'mira',
    accountType: 'BUSINESS',
    businessName: 'Mira Digital Zen',
    scopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'],
    connectionId: 'connection-0',
    secretName: 'tokens/sandbox/1000000000000000001/connection-0',
    accessTokenExpiresAt: '2026-03-31T09:00:00.000Z',
    refreshTokenExpiresAt: '2027-03-01T09:00:00.000Z',
    tokenVersion: 1,
    connectedAt: '2026-02-28T09:00:00.000Z',
    version: 1,
    ...changes,
  };
}
