import { z } from 'zod';
import { SecretStore } from '../../shared/adapters/secret-store';
import { FakeClock } from '../support/fake-clock';
import { redactString } from '../../shared/observability/redact';
import { clients, names, uniquePrefix } from '../support/aws';

const tokenSecret = z.object({ accessToken: z.string(), refreshToken: z.string() });

describe('SecretStore against the Secrets Manager emulator', () => {
  const clock = new FakeClock();
  const store = new SecretStore(clients.secrets, clock, 60_000);
  const other = new SecretStore(clients.secrets, clock, 60_000);
  const name = () => `${names.secretPrefix}tokens/sandbox/${uniquePrefix('acct')}/c1`;

  it('creates and reads back a JSON secret, and answers undefined for a missing one', async () => {
    const n = name();
    await store.create(n, { accessToken: 'pina_SECRETVALUE_one_0001', refreshToken: 'pinrSECRETVALUEone0001' });
    expect(await other.get(n, tokenSecret)).toEqual({ accessToken: 'pina_SECRETVALUE_one_0001', refreshToken: 'pinrSECRETVALUEone0001' });
    expect(await store.get(`${n}-missing`, tokenSecret)).toBeUndefined();
  });

  it('serves the cached value until it expires or the cache is bypassed', async () => {
    const n = name();
    await store.create(n, { accessToken: 'pina_A_value_00000001', refreshToken: 'pinrAvalue00000001' });
    expect((await store.get(n, tokenSecret))?.accessToken).toBe('pina_A_value_00000001');
    await other.put(n, { accessToken: 'pina_B_value_00000002', refreshToken: 'pinrBvalue00000002' });
    expect((await store.get(n, tokenSecret))?.accessToken).toBe('pina_A_value_00000001');
    expect((await store.get(n, tokenSecret, { bypassCache: true }))?.accessToken).toBe('pina_B_value_00000002');
    await other.put(n, { accessToken: 'pina_C_value_00000003', refreshToken: 'pinrCvalue00000003' });
    clock.advance(61_000);
    expect((await store.get(n, tokenSecret))?.accessToken).toBe('pina_C_value_00000003');
  });

  it('force-deletes so the same name can be created again at once', async () => {
    const n = name();
    await store.create(n, { accessToken: 'pina_D_value_00000004', refreshToken: 'pinrDvalue00000004' });
    await store.forceDelete(n);
    expect(await other.get(n, tokenSecret)).toBeUndefined();
    await store.create(n, { accessToken: 'pina_E_value_00000005', refreshToken: 'pinrEvalue00000005' });
    expect((await other.get(n, tokenSecret))?.accessToken).toBe('pina_E_value_00000005');
    await store.forceDelete(`${n}-never-existed`);
  });

  it('teaches the log redactor every sensitive value it handles', async () => {
    const n = `${names.secretPrefix}app/${uniquePrefix('client')}`;
    await store.create(n, { clientId: '1234567', clientSecret: 'unshaped-client-secret-value-42' });
    expect(redactString('secret is unshaped-client-secret-value-42')).toBe('secret is [REDACTED]');
    expect(redactString('client 1234567')).toBe('client 1234567');
  });
});
