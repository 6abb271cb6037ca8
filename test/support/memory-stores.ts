import type { AccountRecord } from '../../shared/domain/account';
import { ConflictError } from '../../shared/domain/errors';
import type { StateRecord, TicketRecord } from '../../shared/domain/oauth';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { epochSeconds, type Clock } from '../../shared/domain/time';
import type { AccountsPort, ConsumedState, OAuthStatePort, TokenVaultPort } from '../../shared/use-cases/connect-ports';
import type { TokenSecret } from '../../shared/domain/tokens';
import type { EnvironmentRecordsPort } from '../../shared/use-cases/disconnect';

/**
 * In-memory stand-ins for the storage ports, with the rules of the real adapters
 * (shared/adapters/dynamo/table.ts, oauth-store.ts, account-store.ts, token-vault.ts): expiry is
 * checked on every read, single-use items are consumed once, state changes are conditional on the
 * version that was read and fail with a ConflictError (the real StaleRecordError is one) when it moved.
 */

/** Runs `work` the way an adapter call completes: asynchronously, a throw becoming a rejection. */
export function io<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work());
  });
}

/** One-time tickets and states under their keyed hashes, each living until its `expiresAt` (epoch seconds). */
export class MemoryOAuthState implements OAuthStatePort {
  /** Everything written, live or expired (expired items stay until read, as with DynamoDB TTL). */
  readonly tickets = new Map<string, TicketRecord>();
  readonly states = new Map<string, StateRecord>();

  constructor(private readonly clock: Clock) {}

  putTicket(ticketHash: string, record: TicketRecord): Promise<void> {
    return io(() => {
      this.create(this.tickets, ticketHash, record);
    });
  }

  consumeTicket(ticketHash: string): Promise<TicketRecord | undefined> {
    return io(() => {
      const record = this.live(this.tickets, ticketHash);
      if (record !== undefined) this.tickets.delete(ticketHash);
      return record;
    });
  }

  putState(stateHash: string, record: StateRecord): Promise<void> {
    return io(() => {
      this.create(this.states, stateHash, record);
    });
  }

  /** Spent only with the nonce hash it was stored with; otherwise left in place for the right browser. */
  consumeState(stateHash: string, nonceHash: string | undefined): Promise<ConsumedState> {
    return io((): ConsumedState => {
      const record = this.live(this.states, stateHash);
      if (record === undefined) return { kind: 'unknown' };
      if (nonceHash === undefined || record.nonceHash !== nonceHash) return { kind: 'wrong_browser', environment: record.environment };
      this.states.delete(stateHash);
      return { kind: 'consumed', record };
    });
  }

  private live<T extends { expiresAt: number }>(items: Map<string, T>, key: string): T | undefined {
    const item = items.get(key);
    return item === undefined || item.expiresAt <= epochSeconds(this.clock.now()) ? undefined : { ...item };
  }

  /** Like table.create: refused while a live item holds the key; an expired leftover may be overwritten. */
  private create<T extends { expiresAt: number }>(items: Map<string, T>, key: string, record: T): void {
    if (this.live(items, key) !== undefined) throw new ConflictError('The record already exists');
    items.set(key, { ...record });
  }
}

type Interference = () => unknown;

/** The current account and the pinned account id per environment. */
export class MemoryAccounts implements AccountsPort {
  private readonly current = new Map<PinterestEnvironment, AccountRecord>();
  private readonly pins = new Map<PinterestEnvironment, { accountId: string; pinnedAt: string }>();
  private interference: Interference | undefined;
  private updateFailure: { where: (set: Partial<AccountRecord>) => boolean; error: Error } | undefined;

  /** The stored record (a copy), for assertions. */
  record(env: PinterestEnvironment): AccountRecord | undefined {
    const record = this.current.get(env);
    return record === undefined ? undefined : structuredClone(record);
  }

  pin(env: PinterestEnvironment): { accountId: string; pinnedAt: string } | undefined {
    const pin = this.pins.get(env);
    return pin === undefined ? undefined : { ...pin };
  }

  /** Puts a record in place as an earlier request would have left it. */
  seed(record: AccountRecord): void {
    this.current.set(record.environment, structuredClone(record));
  }

  seedPin(env: PinterestEnvironment, accountId: string, pinnedAt = '2025-12-01T00:00:00.000Z'): void {
    this.pins.set(env, { accountId, pinnedAt });
  }

  /**
   * Runs `write` (say, another request's connection or confirmation) just before the next replace or
   * confirm checks its condition: the read-then-write race, made deterministic. Runs once.
   */
  beforeNextWrite(write: Interference): void {
    this.interference = write;
  }

  get(env: PinterestEnvironment): Promise<AccountRecord | undefined> {
    return io(() => this.record(env));
  }

  pinned(env: PinterestEnvironment): Promise<{ accountId: string } | undefined> {
    return io(() => this.pin(env));
  }

  /** Conditional on `previous`: none means none may exist; otherwise the stored version must still be its version. */
  async replace(account: Omit<AccountRecord, 'version'>, previous: AccountRecord | undefined): Promise<AccountRecord> {
    await this.interfere();
    const stored = this.current.get(account.environment);
    if (previous === undefined) {
      if (stored !== undefined) throw new ConflictError('The record already exists');
    } else {
      this.expect(stored, previous.version);
    }
    // The new connection's fields only: optional fields it lacks are not inherited.
    const record: AccountRecord = { ...account, version: previous === undefined ? 1 : previous.version + 1 };
    this.current.set(account.environment, structuredClone(record));
    return structuredClone(record);
  }

  /** Pins the id (once per environment), then moves the same pending record at the same version to connected. */
  async confirm(current: AccountRecord, confirmedAt: string): Promise<AccountRecord> {
    await this.interfere();
    const pinned = this.pins.get(current.environment);
    const pinnedNow = pinned === undefined;
    if (pinned === undefined) this.pins.set(current.environment, { accountId: current.accountId, pinnedAt: confirmedAt });
    else if (pinned.accountId !== current.accountId) throw new ConflictError(`Account ${pinned.accountId} is already pinned for ${current.environment}`);
    const stored = this.current.get(current.environment);
    if (stored === undefined || stored.version !== current.version || stored.status !== 'pending_confirmation' || stored.accountId !== current.accountId) {
      // As the real store: a pin this call made is taken back when another account won meanwhile.
      if (pinnedNow && stored?.accountId !== current.accountId) this.pins.delete(current.environment);
      throw new ConflictError('The record changed since it was read', stored?.status);
    }
    const record: AccountRecord = { ...stored, status: 'connected', confirmedAt, version: stored.version + 1 };
    this.current.set(current.environment, structuredClone(record));
    return structuredClone(record);
  }

  /**
   * Makes the next update whose `set` matches `where` fail with `error` before it writes anything (a
   * crash or a lost connection at that write, say the metadata write after a refresh). Runs once.
   */
  failUpdateOnce(where: (set: Partial<AccountRecord>) => boolean, error: Error = new Error('simulated DynamoDB failure')): void {
    this.updateFailure = { where, error };
  }

  /** One conditional write on the version read and any expected attribute; undefined removes. */
  async update(current: AccountRecord, set: Partial<Omit<AccountRecord, 'version'>>, expect: Record<string, string | number> = {}): Promise<AccountRecord> {
    const failure = this.updateFailure;
    if (failure?.where(set) === true) {
      this.updateFailure = undefined;
      await io(() => undefined);
      throw failure.error;
    }
    await this.interfere();
    const stored = this.expect(this.current.get(current.environment), current.version);
    for (const [name, value] of Object.entries(expect)) {
      if ((stored as Record<string, unknown>)[name] !== value) throw new ConflictError('The record changed since it was read', stored.status);
    }
    // undefined removes the attribute, as the real store's REMOVE.
    const entries: Array<[string, unknown]> = Object.entries({ ...stored, ...set, version: stored.version + 1 });
    const merged = entries.filter(([, value]) => value !== undefined);
    const record = Object.fromEntries(merged) as AccountRecord;
    this.current.set(current.environment, structuredClone(record));
    return structuredClone(record);
  }

  private async interfere(): Promise<void> {
    const write = this.interference;
    this.interference = undefined;
    await write?.();
  }

  private expect(stored: AccountRecord | undefined, version: number): AccountRecord {
    if (stored === undefined) throw new ConflictError('The record does not exist or has expired');
    if (stored.version !== version) throw new ConflictError('The record changed since it was read', stored.status);
    return stored;
  }
}

export type StoredTokens = TokenSecret;

/** Token secrets by name (`tokens/<env>/<account>/<connection>`, as shared/secrets.ts names them). */
export class MemoryVault implements TokenVaultPort {
  readonly secrets = new Map<string, StoredTokens>();
  /** Every name stored and every name deleted, in order. */
  readonly stored: string[] = [];
  readonly deleted: string[] = [];
  /** Every read that reached the store (a cached view's misses and bypasses), in order. */
  readonly reads: Array<{ secretName: string; bypassCache: boolean }> = [];
  private deleteFailure: { secretName: string | undefined; error: Error } | undefined;

  /** Makes every later delete of `secretName` (of any secret, when undefined) fail with `error`. */
  failDeletes(secretName?: string, error: Error = new Error('simulated Secrets Manager failure')): void {
    this.deleteFailure = { secretName, error };
  }

  seed(secretName: string, tokens: StoredTokens): void {
    this.secrets.set(secretName, { ...tokens });
  }

  store(env: PinterestEnvironment, accountId: string, connectionId: string, tokens: StoredTokens): Promise<string> {
    return io(() => {
      const name = `tokens/${env}/${accountId}/${connectionId}`;
      // CreateSecret refuses an existing name.
      if (this.secrets.has(name)) throw new Error(`simulated ResourceExistsException: ${name}`);
      this.secrets.set(name, { ...tokens });
      this.stored.push(name);
      return name;
    });
  }

  read(secretName: string, options: { bypassCache?: boolean } = {}): Promise<StoredTokens | undefined> {
    return io(() => {
      this.reads.push({ secretName, bypassCache: options.bypassCache === true });
      const secret = this.secrets.get(secretName);
      return secret === undefined ? undefined : { ...secret };
    });
  }

  /** PutSecretValue: a new current version of an existing secret. */
  update(secretName: string, tokens: StoredTokens): Promise<'updated' | 'gone'> {
    return io(() => {
      if (!this.secrets.has(secretName)) return 'gone';
      this.secrets.set(secretName, { ...tokens });
      return 'updated';
    });
  }

  /** Deletes without recovery; a missing secret is not an error (as forceDelete). */
  delete(secretName: string): Promise<void> {
    return io(() => {
      const failure = this.deleteFailure;
      if (failure !== undefined && (failure.secretName === undefined || failure.secretName === secretName)) throw failure.error;
      this.secrets.delete(secretName);
      this.deleted.push(secretName);
    });
  }
}

/**
 * One container's view of a MemoryVault through its own short cache, as the real SecretStore keeps
 * one per Lambda container: reads within `cacheMs` of the last read or write answer the cached value
 * unless they bypass the cache; writes and deletes go through and update this view's cache only.
 */
export class CachedVault implements TokenVaultPort {
  private readonly cache = new Map<string, { value: StoredTokens; until: number }>();

  constructor(
    private readonly vault: MemoryVault,
    private readonly clock: Clock,
    private readonly cacheMs = 60_000,
  ) {}

  async store(env: PinterestEnvironment, accountId: string, connectionId: string, tokens: StoredTokens): Promise<string> {
    const name = await this.vault.store(env, accountId, connectionId, tokens);
    this.remember(name, tokens);
    return name;
  }

  async read(secretName: string, options: { bypassCache?: boolean } = {}): Promise<StoredTokens | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(secretName);
    if (options.bypassCache !== true && cached !== undefined && cached.until > now) return { ...cached.value };
    const value = await this.vault.read(secretName, options);
    if (value === undefined) this.cache.delete(secretName);
    else this.cache.set(secretName, { value: { ...value }, until: now + this.cacheMs });
    return value;
  }

  async update(secretName: string, tokens: StoredTokens): Promise<'updated' | 'gone'> {
    const result = await this.vault.update(secretName, tokens);
    if (result === 'updated') this.remember(secretName, tokens);
    return result;
  }

  async delete(secretName: string): Promise<void> {
    this.cache.delete(secretName);
    await this.vault.delete(secretName);
  }

  private remember(secretName: string, tokens: StoredTokens): void {
    this.cache.set(secretName, { value: { ...tokens }, until: this.clock.now().getTime() + this.cacheMs });
  }
}

/**
 * The records a disconnect looks at (shared/adapters/dynamo/environment-records.ts): Pin records by
 * environment and status, and the synced boards and sections of each environment.
 */
export class MemoryEnvironmentRecords implements EnvironmentRecordsPort {
  readonly pins: Array<{ environment: PinterestEnvironment; id: string; status: string }> = [];
  private readonly boards = new Map<PinterestEnvironment, string[]>();

  addPin(environment: PinterestEnvironment, id: string, status: string): void {
    this.pins.push({ environment, id, status });
  }

  /** Board and section records (their keys) synced for an environment. */
  addBoards(environment: PinterestEnvironment, ...keys: string[]): void {
    this.boards.set(environment, [...(this.boards.get(environment) ?? []), ...keys]);
  }

  boardsOf(environment: PinterestEnvironment): string[] {
    return [...(this.boards.get(environment) ?? [])];
  }

  anyWithStatus(env: PinterestEnvironment, status: string): Promise<boolean> {
    return io(() => this.pins.some((pin) => pin.environment === env && pin.status === status));
  }

  removeBoards(env: PinterestEnvironment): Promise<number> {
    return io(() => {
      const removed = this.boards.get(env)?.length ?? 0;
      this.boards.delete(env);
      return removed;
    });
  }
}
