import * as z from '../../zod';
import { accountRecordSchema, type AccountRecord } from '../../domain/account';
import { ConflictError } from '../../domain/errors';
import type { PinterestEnvironment } from '../../domain/pinterest';
import type { DynamoTable } from './table';

/**
 * The connected account per environment (`ACCOUNT#<env>` / `CURRENT`) and the account id pinned by
 * the operator's confirmation (`ACCOUNT#<env>` / `PINNED`), in the workflow table. The pinned id
 * outlives reconnects, so a later connection of another account is refused.
 */

const currentKey = (env: PinterestEnvironment) => ({ pk: `ACCOUNT#${env}`, sk: 'CURRENT' });
const pinnedKey = (env: PinterestEnvironment) => ({ pk: `ACCOUNT#${env}`, sk: 'PINNED' });
const pinnedSchema = z.object({ accountId: z.string(), pinnedAt: z.string() });

export type NewAccount = Omit<AccountRecord, 'version'>;

export class AccountStore {
  constructor(private readonly table: DynamoTable) {}

  async get(env: PinterestEnvironment): Promise<AccountRecord | undefined> {
    return this.table.get(currentKey(env), accountRecordSchema);
  }

  async pinned(env: PinterestEnvironment): Promise<{ accountId: string; pinnedAt: string } | undefined> {
    return this.table.get(pinnedKey(env), pinnedSchema);
  }

  /**
   * Writes a new connection over whatever was there, conditional on the version that was read
   * (`previous`), so two connections finishing at once cannot both win. Returns the stored record.
   */
  async replace(account: NewAccount, previous: AccountRecord | undefined): Promise<AccountRecord> {
    const subject = { subjectKey: `SUBJECT#${account.accountId}`, subjectTime: account.connectedAt };
    if (previous === undefined) {
      const record = { ...account, version: 1 };
      await this.table.create({ ...currentKey(account.environment), ...record, ...subject });
      return record;
    }
    // Optional fields the new connection lacks are removed, not inherited from the previous one.
    const cleared = {
      accountType: undefined,
      businessName: undefined,
      refreshTokenExpiresAt: undefined,
      confirmedAt: undefined,
      refreshLockUntil: undefined,
      refreshLeaseId: undefined,
      lastRefreshAt: undefined,
      refreshFailingSince: undefined,
      lastRefreshFailedAt: undefined,
      notices: undefined,
      reauthorizationReason: undefined,
      disconnectedAt: undefined,
      expiresAt: undefined,
    };
    return this.table.transition(currentKey(account.environment), { version: previous.version }, { ...cleared, ...account, ...subject }, accountRecordSchema);
  }

  /**
   * Changes the account in one conditional write on the version read (and any `expect`ed attribute,
   * such as the refresh lease's id); `undefined` values are removed. A lost race throws a
   * ConflictError (StaleRecordError) saying where the record is now.
   */
  async update(current: AccountRecord, set: Partial<Omit<AccountRecord, 'version'>>, expect: Record<string, string | number> = {}): Promise<AccountRecord> {
    return this.table.transition(currentKey(current.environment), { version: current.version, attributes: expect }, set, accountRecordSchema);
  }

  /**
   * Pins the id the operator saw, then confirms the pending account in one conditional write. The pin
   * comes first and is idempotent, so a failure between the two writes leaves a retryable state
   * (still pending, already pinned) rather than a confirmed account nothing protects. If the
   * confirmation loses because another account connected meanwhile, the pin this call made is taken
   * back (conditionally: only this call's pin), or that account could never be confirmed.
   */
  async confirm(current: AccountRecord, confirmedAt: string): Promise<AccountRecord> {
    const pinnedNow = await this.pin(current.environment, current.accountId, confirmedAt);
    try {
      return await this.table.transition(
        currentKey(current.environment),
        { version: current.version, status: ['pending_confirmation'], attributes: { accountId: current.accountId } },
        { status: 'connected', confirmedAt },
        accountRecordSchema,
      );
    } catch (error) {
      if (pinnedNow && error instanceof ConflictError && (await this.get(current.environment))?.accountId !== current.accountId) {
        await this.table.consume(pinnedKey(current.environment), pinnedSchema, { accountId: current.accountId, pinnedAt: confirmedAt });
      }
      throw error;
    }
  }

  /**
   * Pins once: a pending account only exists while nothing is pinned (the callback refuses others).
   * Answers whether this call wrote the pin.
   */
  private async pin(env: PinterestEnvironment, accountId: string, pinnedAt: string): Promise<boolean> {
    const pinned = await this.pinned(env);
    if (pinned?.accountId === accountId) return false;
    if (pinned !== undefined) throw new ConflictError(`Account ${pinned.accountId} is already pinned for ${env}`);
    try {
      await this.table.create({ ...pinnedKey(env), accountId, pinnedAt });
      return true;
    } catch (error) {
      // A concurrent confirmation pinned first: the same account is fine, another one is a conflict.
      if (!(error instanceof ConflictError)) throw error;
      const winner = await this.pinned(env);
      if (winner?.accountId !== accountId) throw new ConflictError(`Account ${winner?.accountId ?? 'unknown'} was pinned for ${env} at the same time`);
      return false;
    }
  }
}
