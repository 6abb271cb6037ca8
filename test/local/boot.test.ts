import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { ensureTables, seedSecrets, StaleLocalDataError } from '../../local/boot';
import { SecretStore } from '../../shared/adapters/secret-store';
import { credentialMatches, operatorCredentialRecord } from '../../shared/domain/operator-credential';
import { systemClock } from '../../shared/domain/time';
import { secretNames } from '../../shared/secrets';
import { tableList } from '../../shared/tables';
import { clients, uniquePrefix } from '../support/aws';

describe('local boot', () => {
  it('creates the tables once, keeps them on the next boot', async () => {
    const prefix = uniquePrefix('boot');
    const tableNames = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
    expect(await ensureTables(clients.dynamoDb, tableNames, '/data')).toEqual({ state: 'created', workflow: 'created', audit: 'created' });
    expect(await ensureTables(clients.dynamoDb, tableNames, '/data')).toEqual({ state: 'kept', workflow: 'kept', audit: 'kept' });
  });

  it('stops with a "delete the data folder" message when a persisted table has an older definition', async () => {
    const prefix = uniquePrefix('stale');
    const tableNames = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
    await ensureTables(clients.dynamoDb, tableNames, '/data');
    await clients.dynamoDb.send(new DeleteTableCommand({ TableName: tableNames.workflow }));
    // Re-create the workflow table as an older version would have: without the bySubject index.
    const older = tableList.map((def) => (def.name === 'workflow' ? { ...def, indexes: def.indexes.slice(0, 1) } : def));
    await ensureTables(clients.dynamoDb, tableNames, '/data', older);
    const error = await ensureTables(clients.dynamoDb, tableNames, '/my/data').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleLocalDataError);
    expect((error as Error).message).toContain(`"${tableNames.workflow}"`);
    expect((error as Error).message).toContain('Delete the data folder (/my/data)');
  });

  describe('secrets seeding', () => {
    const store = () => new SecretStore(clients.secrets, systemClock, 0);

    it('creates a hashing key once and generates an operator credential only when none exists', async () => {
      const prefix = `${uniquePrefix('seed')}/`;
      const first = await seedSecrets(store(), prefix, undefined);
      expect(first.operatorCredentialSource).toBe('generated');
      expect(first.generatedOperatorCredential).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const key1 = await store().get(secretNames(prefix).hashingKey, z.object({ hashingKey: z.string() }));
      const second = await seedSecrets(store(), prefix, undefined);
      expect(second).toEqual({ operatorCredentialSource: 'kept' });
      const key2 = await store().get(secretNames(prefix).hashingKey, z.object({ hashingKey: z.string() }));
      expect(key2).toEqual(key1);
      const record = await store().get(secretNames(prefix).operatorCredential, operatorCredentialRecord);
      expect(record && credentialMatches(first.generatedOperatorCredential ?? '', record)).toBe(true);
    });

    it('stores only the hash of a given credential and replaces an older one', async () => {
      const prefix = `${uniquePrefix('given')}/`;
      await seedSecrets(store(), prefix, undefined);
      const given = 'given-operator-credential-0123456789abcdef';
      expect(await seedSecrets(store(), prefix, given)).toEqual({ operatorCredentialSource: 'given' });
      const record = await store().get(secretNames(prefix).operatorCredential, operatorCredentialRecord);
      expect(record).toBeDefined();
      expect(JSON.stringify(record)).not.toContain(given);
      expect(record && credentialMatches(given, record)).toBe(true);
      expect(record && credentialMatches('another-credential-0123456789abcdef0000', record)).toBe(false);
    });

    it('refuses a short operator credential', async () => {
      await expect(seedSecrets(store(), `${uniquePrefix('short')}/`, 'short')).rejects.toThrow('at least 32 characters');
    });
  });
});
