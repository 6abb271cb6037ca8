import { z } from 'zod';
import { DynamoTable, StaleRecordError } from '../../shared/adapters/dynamo/table';
import { ValidationError } from '../../shared/domain/errors';
import { epochSeconds } from '../../shared/domain/time';
import { FakeClock } from '../support/fake-clock';
import { clients, names, uniquePrefix } from '../support/aws';

const record = z.object({
  pk: z.string(),
  sk: z.string(),
  status: z.string(),
  version: z.number(),
  title: z.string().optional(),
  expiresAt: z.number().optional(),
});

describe('DynamoTable against dynalite', () => {
  const clock = new FakeClock('2026-06-01T12:00:00Z');
  const table = new DynamoTable(clients.dynamo, names.workflow, clock);
  const state = new DynamoTable(clients.dynamo, names.state, clock);
  let pk: string;
  beforeEach(() => {
    pk = uniquePrefix('T');
  });

  it('creates once and refuses a second create with the same key', async () => {
    await table.create({ pk, sk: 'A', status: 'draft', version: 1 });
    await expect(table.create({ pk, sk: 'A', status: 'draft', version: 1 })).rejects.toBeInstanceOf(StaleRecordError);
    expect(await table.get({ pk, sk: 'A' }, record)).toEqual({ pk, sk: 'A', status: 'draft', version: 1 });
  });

  it('reads an expired item as absent, and lets a create replace it, before TTL deletes it', async () => {
    await state.create({ pk, sk: 'S', status: 'live', version: 1, expiresAt: state.ttlIn(60) });
    expect(await state.get({ pk, sk: 'S' }, record)).toBeDefined();
    clock.advance(61_000);
    expect(await state.get({ pk, sk: 'S' }, record)).toBeUndefined();
    await state.create({ pk, sk: 'S', status: 'again', version: 1, expiresAt: state.ttlIn(60) });
    expect((await state.get({ pk, sk: 'S' }, record))?.status).toBe('again');
  });

  it('writes TTL as whole epoch seconds', () => {
    expect(state.ttlIn(600)).toBe(epochSeconds(clock.now()) + 600);
    expect(Number.isInteger(state.ttlIn(0.2))).toBe(true);
  });

  it('moves a record on a matching state and version, incrementing the version', async () => {
    await table.create({ pk, sk: 'P', status: 'draft', version: 1, title: 'Autumn' });
    const next = await table.transition({ pk, sk: 'P' }, { version: 1, status: ['draft'] }, { status: 'approved' }, record);
    expect(next).toMatchObject({ status: 'approved', version: 2, title: 'Autumn' });
  });

  it('removes attributes set to undefined in the same write', async () => {
    await table.create({ pk, sk: 'P', status: 'approved', version: 1, title: 'x' });
    const next = await table.transition({ pk, sk: 'P' }, { version: 1 }, { status: 'draft', title: undefined }, record);
    expect(next.title).toBeUndefined();
  });

  it('refuses a stale version or a wrong state and reports the current state, changing nothing', async () => {
    await table.create({ pk, sk: 'P', status: 'draft', version: 1 });
    await table.transition({ pk, sk: 'P' }, { version: 1 }, { status: 'approved' }, record);
    await expect(table.transition({ pk, sk: 'P' }, { version: 1 }, { status: 'rejected' }, record)).rejects.toMatchObject({
      code: 'conflict',
      details: { currentState: 'approved' },
    });
    await expect(
      table.transition({ pk, sk: 'P' }, { version: 2, status: ['draft'] }, { status: 'rejected' }, record),
    ).rejects.toBeInstanceOf(StaleRecordError);
    expect(await table.get({ pk, sk: 'P' }, record)).toMatchObject({ status: 'approved', version: 2 });
  });

  it('checks extra attributes in the condition (e.g. an attempt id)', async () => {
    await table.create({ pk, sk: 'P', status: 'publishing', version: 3, title: 'attempt-1' });
    await expect(
      table.transition({ pk, sk: 'P' }, { version: 3, attributes: { title: 'attempt-2' } }, { status: 'published' }, record),
    ).rejects.toBeInstanceOf(StaleRecordError);
    const done = await table.transition({ pk, sk: 'P' }, { version: 3, attributes: { title: 'attempt-1' } }, { status: 'published' }, record);
    expect(done.status).toBe('published');
  });

  it('lets exactly one of many concurrent transitions win', async () => {
    await table.create({ pk, sk: 'P', status: 'approved', version: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        table.transition({ pk, sk: 'P' }, { version: 1, status: ['approved'] }, { status: 'publishing', title: `a${i}` }, record),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof StaleRecordError)).toBe(true);
  });

  it('consumes a single-use item exactly once, even concurrently', async () => {
    await state.create({ pk, sk: 'TICKET', status: 'issued', version: 1, expiresAt: state.ttlIn(600) });
    const results = await Promise.all(Array.from({ length: 8 }, () => state.consume({ pk, sk: 'TICKET' }, record)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await state.consume({ pk, sk: 'TICKET' }, record)).toBeUndefined();
  });

  it('does not consume an expired item', async () => {
    await state.create({ pk, sk: 'OLD', status: 'issued', version: 1, expiresAt: state.ttlIn(10) });
    clock.advance(11_000);
    expect(await state.consume({ pk, sk: 'OLD' }, record)).toBeUndefined();
  });

  it('counts with atomic increments', async () => {
    const expiresAt = state.ttlIn(3600);
    const values = await Promise.all(Array.from({ length: 5 }, () => state.increment({ pk, sk: 'COUNTER' }, 'count', 1, expiresAt)));
    expect(values.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('pages a partition newest first, skips expired items and refuses a foreign cursor', async () => {
    for (let i = 0; i < 5; i++) {
      await state.create({ pk, sk: `2026-06-01T12:00:0${i}Z`, status: 'x', version: 1, expiresAt: state.ttlIn(i === 2 ? 1 : 600) });
    }
    clock.advance(2000);
    const first = await state.query({ partition: { name: 'pk', value: pk }, limit: 2 }, record);
    expect(first.items.map((i) => i.sk)).toEqual(['2026-06-01T12:00:04Z', '2026-06-01T12:00:03Z']);
    expect(first.cursor).toBeDefined();
    const second = await state.query({ partition: { name: 'pk', value: pk }, limit: 2, cursor: first.cursor ?? '' }, record);
    expect(second.items.map((i) => i.sk)).toEqual(['2026-06-01T12:00:01Z']);
    await expect(
      state.query({ partition: { name: 'pk', value: 'someone-else' }, cursor: first.cursor ?? '' }, record),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(state.query({ partition: { name: 'pk', value: pk }, cursor: 'not-a-cursor' }, record)).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('queries a GSI by partition and sort range', async () => {
    const statusKey = uniquePrefix('PIN#sandbox#approved');
    for (const [i, time] of ['2026-06-01T10:00:00Z', '2026-06-01T11:00:00Z', '2026-06-01T12:00:00Z'].entries()) {
      await table.create({ pk: `${pk}#${i}`, sk: 'PIN', status: 'approved', version: 1, statusKey, statusTime: time });
    }
    const page = await table.query(
      {
        index: 'byStatus',
        partition: { name: 'statusKey', value: statusKey },
        sortBetween: { name: 'statusTime', from: '2026-06-01T10:30:00Z', to: '2026-06-01T12:30:00Z' },
      },
      record,
    );
    expect(page.items.map((i) => i.pk)).toEqual([`${pk}#2`, `${pk}#1`]);
  });
});

describe('DynamoTable cursors and counters, hardened', () => {
  const clock = new FakeClock('2026-06-02T12:00:00Z');
  const state = new DynamoTable(clients.dynamo, names.state, clock);

  it('refuses a cursor with the right partition but other key attributes or a key outside the range', async () => {
    const pk = uniquePrefix('C');
    const forged = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const query = (cursor: string) =>
      state.query({ partition: { name: 'pk', value: pk }, sortBetween: { name: 'sk', from: 'a', to: 'm' }, cursor }, record);
    await expect(query(forged({ pk }))).rejects.toBeInstanceOf(ValidationError);
    await expect(query(forged({ pk, sk: 'b', extra: 'x' }))).rejects.toBeInstanceOf(ValidationError);
    await expect(query(forged({ pk, sk: 'z' }))).rejects.toBeInstanceOf(ValidationError);
    await expect(query(forged({ pk, sk: 'b' }))).resolves.toEqual({ items: [] });
  });

  it('restarts an expired counter that TTL has not deleted yet, with the new expiry', async () => {
    const key = { pk: uniquePrefix('COUNT'), sk: 'C' };
    expect(await state.increment(key, 'count', 1, state.ttlIn(60))).toBe(1);
    expect(await state.increment(key, 'count', 1, state.ttlIn(60))).toBe(2);
    clock.advance(61_000);
    expect(await state.increment(key, 'count', 1, state.ttlIn(60))).toBe(1);
    expect(await state.increment(key, 'count', 1, state.ttlIn(60))).toBe(2);
  });
});
