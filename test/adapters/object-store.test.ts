import { randomBytes } from 'node:crypto';
import { ObjectStore } from '../../shared/adapters/object-store';
import { clients, names, uniquePrefix } from '../support/aws';

describe('ObjectStore against s3rver', () => {
  const store = new ObjectStore(clients.s3, names.bucket);

  it('stores and returns bytes exactly (no aws-chunked framing)', async () => {
    const key = `${uniquePrefix('media')}/image.png`;
    const bytes = randomBytes(200_000);
    await store.put(key, bytes, 'image/png', { sha256: 'abc' });
    const got = await store.get(key);
    expect(got?.contentType).toBe('image/png');
    expect(got?.body.equals(bytes)).toBe(true);
  });

  it('answers undefined for a missing key', async () => {
    expect(await store.get(`${uniquePrefix('missing')}/nothing`)).toBeUndefined();
  });

  it('deletes one key', async () => {
    const key = `${uniquePrefix('one')}/x.txt`;
    await store.put(key, Buffer.from('x'), 'text/plain');
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
  });

  it('lists and deletes by prefix without touching other prefixes', async () => {
    const prefix = `${uniquePrefix('account')}/`;
    const other = `${uniquePrefix('other')}/keep.txt`;
    await Promise.all(Array.from({ length: 7 }, (_, i) => store.put(`${prefix}${i}.bin`, Buffer.from([i]), 'application/octet-stream')));
    await store.put(other, Buffer.from('keep'), 'text/plain');
    expect((await store.list(prefix)).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `${prefix}${i}.bin`));
    expect(await store.deletePrefix(prefix)).toBe(7);
    expect(await store.list(prefix)).toEqual([]);
    expect((await store.get(other))?.body.toString()).toBe('keep');
  });

  it('refuses to delete the whole bucket', async () => {
    await expect(store.deletePrefix('')).rejects.toThrow('Refusing');
  });
});
