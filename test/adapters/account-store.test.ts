import { AccountStore, type NewAccount } from '../../shared/adapters/dynamo/account-store';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { ConflictError } from '../../shared/domain/errors';
import { ensureTables } from '../../local/boot';
import { tables } from '../../shared/tables';
import { FakeClock } from '../support/fake-clock';
import { clients, uniquePrefix } from '../support/aws';

/**
 * The account store's confirmation against a real DynamoDB API, in a workflow table of this file's
 * own (account items are keyed by environment, so sharing the suite's table would race other files).
 */

const tableName = `${uniquePrefix('accounts')}-workflow`;
const store = new AccountStore(new DynamoTable(clients.dynamo, tableName, new FakeClock('2026-06-01T12:00:00Z')));

beforeAll(async () => {
  await ensureTables(clients.dynamoDb, { state: `${tableName}-unused-state`, workflow: tableName, audit: `${tableName}-unused-audit` }, '(test)', [tables.workflow]);
});

function account(accountId: string, username: string): NewAccount {
  return {
    environment: 'sandbox',
    status: 'pending_confirmation',
    accountId,
    username,
    scopes: ['boards:read'],
    connectionId: `c-${accountId}`,
    secretName: `tokens/sandbox/${accountId}/c`,
    accessTokenExpiresAt: '2026-07-01T00:00:00.000Z',
    tokenVersion: 1,
    connectedAt: '2026-06-01T12:00:00.000Z',
  };
}

describe('AccountStore.confirm', () => {
  it('takes back the pin it wrote when another account connected before its conditional write, so that account can be confirmed', async () => {
    const mira = await store.replace(account('1000000000000000001', 'mira'), undefined);
    // Another account's connection lands between the operator's read and the confirmation.
    const other = await store.replace(account('1000000000000000002', 'other'), mira);
    await expect(store.confirm(mira, '2026-06-01T12:01:00.000Z')).rejects.toBeInstanceOf(ConflictError);
    expect(await store.pinned('sandbox')).toBeUndefined();
    await expect(store.confirm(other, '2026-06-01T12:02:00.000Z')).resolves.toMatchObject({ status: 'connected', accountId: other.accountId });
    expect(await store.pinned('sandbox')).toMatchObject({ accountId: other.accountId });
  });

  it('keeps the pin when two confirmations of the same account race to write it first', async () => {
    const pending = await store.replace({ ...account('1000000000000000001', 'mira'), environment: 'production' }, undefined);
    const results = await Promise.allSettled([store.confirm(pending, '2026-06-01T12:03:00.000Z'), store.confirm(pending, '2026-06-01T12:03:01.000Z')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.pinned('production')).toMatchObject({ accountId: '1000000000000000001' });
    expect(await store.get('production')).toMatchObject({ status: 'connected' });
  });
});
