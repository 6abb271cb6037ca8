// Before any wiring of this file reads the settings: Pin writes at least 2 s apart, 3 a day.
process.env.PUBLISH_MIN_GAP_SECONDS = '2';
process.env.PUBLISH_DAILY_CAP = '3';

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables } from '../../local/boot';
import { dynamoDocumentClient } from '../../shared/adapters/aws/dynamo';
import { PublishPacing } from '../../shared/adapters/dynamo/publish-pacing';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { tables } from '../../shared/tables';
import type { PacingVerdict } from '../../shared/use-cases/publish-ports';
import { clients, uniquePrefix } from '../support/aws';
import { FakeClock } from '../support/fake-clock';
import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import type { TestResponse } from '../support/http';
import { errorOf, sandboxBoard, type PinJson } from '../support/pin-flow';
import { approvedDraft, pinCreates, publish, publishEntries, storedRecord, type PublishJson } from '../support/publish-flow';

/**
 * Pin writes are paced per environment (PUBLISH_MIN_GAP_SECONDS between two, PUBLISH_DAILY_CAP per
 * UTC day), whatever function writes them: through the publish handler with this file's settings (a
 * burst, the gap, the cap), and through `PublishPacing` itself on a real table against dynalite with a
 * clock the test moves (the gap to the millisecond, the cap, midnight UTC, racing reservations).
 */

const flow = setUpBoardFlow('publish-pacing');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const GAP_MS = 2000;

describe('through the publish handler (gap 2 s, cap 3)', () => {
  let pins: PinJson[];

  beforeAll(async () => {
    await resetBoardFlow(flow, ['sandbox']);
    const boardId = (await sandboxBoard('Pacing')).id;
    pins = [];
    for (let i = 0; i < 5; i += 1) pins.push(await approvedDraft({ environment: 'sandbox', boardId, title: `Burst ${String(i)}`, imageUrl: `https://images.example.com/burst-${String(i)}.jpg` }));
  });

  async function expectPacedOut(res: TestResponse, id: string, before: unknown, pacing: 'gap' | 'daily_cap'): Promise<void> {
    expect(res.statusCode).toBe(429);
    const error = errorOf(res) as ReturnType<typeof errorOf> & { pacing?: string; retryAfterSeconds?: number };
    expect(error).toMatchObject({ code: 'rate_limited', pacing });
    expect(error.message).toContain('Nothing was changed');
    expect(Number(res.headers['retry-after'])).toBe(Math.max(1, Math.ceil(error.retryAfterSeconds ?? 0)));
    expect(await storedRecord(flow, id)).toEqual(before);
    expect(await publishEntries(flow, id)).toEqual([]);
  }

  it('a burst of 5 publishes of 5 approved drafts: one is published, the other 4 get 429 with Retry-After and stay as they were', async () => {
    const before = await Promise.all(pins.map((pin) => storedRecord(flow, pin.id)));
    const answers = await Promise.all(pins.map((pin) => publish(pin.id)));
    const winners = answers.flatMap((res, i) => (res.statusCode === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0] as number;
    expect((answers[winner]?.json() as PublishJson).outcome).toBe('published');
    for (const [i, res] of answers.entries()) {
      if (i === winner) continue;
      await expectPacedOut(res, pins[i]?.id ?? '', before[i], 'gap');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(2);
      expect(errorOf(res).message).toContain('PUBLISH_MIN_GAP_SECONDS');
      expect(before[i]).toMatchObject({ status: 'approved' });
    }
    expect(pinCreates(flow)).toHaveLength(1);
    pins = [pins[winner] as PinJson, ...pins.filter((_, i) => i !== winner)];
  });

  it('once the gap has passed the next Pin goes; a third fills the day (cap 3); the fourth gets 429 until midnight UTC', async () => {
    await sleep(GAP_MS + 100);
    expect((await publish(pins[1]?.id ?? '')).statusCode).toBe(200);
    // At once: the gap again.
    const early = await publish(pins[2]?.id ?? '');
    expect(early.statusCode).toBe(429);
    expect((errorOf(early) as { pacing?: string }).pacing).toBe('gap');
    await sleep(GAP_MS + 100);
    expect((await publish(pins[2]?.id ?? '')).statusCode).toBe(200);
    expect(pinCreates(flow)).toHaveLength(3);

    await sleep(GAP_MS + 100);
    const id = pins[3]?.id ?? '';
    const before = await storedRecord(flow, id);
    const res = await publish(id);
    await expectPacedOut(res, id, before, 'daily_cap');
    const now = Date.now();
    const midnight = Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000;
    expect(Math.abs(Number(res.headers['retry-after']) - (midnight - now) / 1000)).toBeLessThanOrEqual(3);
    expect(errorOf(res).message).toContain('daily cap of 3');
    expect(errorOf(res).message).toContain('PUBLISH_DAILY_CAP');
    expect(pinCreates(flow)).toHaveLength(3);
  }, 20_000);
});

describe('PublishPacing on a real table with a clock the test moves', () => {
  const clock = new FakeClock();
  let tableName: string;
  let pacing: (settings?: { minGapSeconds: number; dailyCap: number }) => PublishPacing;

  beforeAll(async () => {
    tableName = `${uniquePrefix('publish-pacing-direct')}-state`;
    await ensureTables(clients.dynamoDb, { state: tableName, workflow: `${tableName}-unused`, audit: `${tableName}-unused` }, '(test)', [tables.state]);
  });

  let env: 'sandbox' | 'production';
  let n = 0;
  beforeEach(() => {
    // Each test its own counter: the table is fresh, and the two environments' counters are separate.
    n += 1;
    env = n % 2 === 0 ? 'sandbox' : 'production';
    const table = new DynamoTable(dynamoDocumentClient(), tableName, clock);
    pacing = (settings = { minGapSeconds: 10, dailyCap: 3 }) => new PublishPacing(table, clock, settings);
  });

  const counter = async (e: string) => (await clients.dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: `PACING#${e}`, sk: 'PIN_WRITES' }, ConsistentRead: true }))).Item;
  const at = (iso: string) => {
    clock.set(iso);
  };

  it('the gap: refused until exactly PUBLISH_MIN_GAP_SECONDS after the last write, naming its holder; a refusal writes nothing', async () => {
    const p = pacing();
    at(`2026-03-1${String(n)}T12:00:00.000Z`);
    expect(await p.reserve(env, 'pin-a')).toEqual({ allowed: true });
    clock.advance(4_000);
    const stored = await counter(env);
    expect(await p.reserve(env, 'pin-b')).toEqual({ allowed: false, reason: 'gap', retryAfterSeconds: 6, holder: 'pin-a' });
    clock.advance(5_999);
    expect(await p.reserve(env, 'pin-b')).toEqual({ allowed: false, reason: 'gap', retryAfterSeconds: 1, holder: 'pin-a' });
    expect(await counter(env)).toEqual(stored);
    clock.advance(1);
    expect(await p.reserve(env, 'pin-b')).toEqual({ allowed: true });
    expect(await counter(env)).toMatchObject({ day: `2026-03-1${String(n)}`, count: 2, lastPinId: 'pin-b', lastWriteAt: clock.now().getTime() });
  });

  it('the daily cap: the (cap+1)th write of a UTC day waits until midnight; after midnight the count starts again', async () => {
    const p = pacing();
    at('2026-04-02T09:00:00.000Z');
    for (let i = 0; i < 3; i += 1) {
      expect(await p.reserve(env, `pin-${String(i)}`)).toEqual({ allowed: true });
      clock.advance(10_000);
    }
    const refused: PacingVerdict = { allowed: false, reason: 'daily_cap', retryAfterSeconds: 15 * 3600 - 30, cap: 3 };
    expect(await p.reserve(env, 'pin-3')).toEqual(refused);
    at('2026-04-02T23:59:59.500Z');
    expect(await p.reserve(env, 'pin-3')).toEqual({ allowed: false, reason: 'daily_cap', retryAfterSeconds: 1, cap: 3 });
    expect(await counter(env)).toMatchObject({ day: '2026-04-02', count: 3, lastPinId: 'pin-2' });
    at('2026-04-03T00:00:00.000Z');
    expect(await p.reserve(env, 'pin-3')).toEqual({ allowed: true });
    expect(await counter(env)).toMatchObject({ day: '2026-04-03', count: 1, lastPinId: 'pin-3' });
    for (let i = 4; i < 6; i += 1) {
      clock.advance(10_000);
      expect(await p.reserve(env, `pin-${String(i)}`)).toEqual({ allowed: true });
    }
    clock.advance(10_000);
    expect(await p.reserve(env, 'pin-6')).toMatchObject({ allowed: false, reason: 'daily_cap', cap: 3 });
  });

  it('the gap holds across midnight: a write at 23:59:55 keeps the first of the new day waiting 5 s', async () => {
    const p = pacing();
    at('2026-05-06T23:59:55.000Z');
    expect(await p.reserve(env, 'late')).toEqual({ allowed: true });
    at('2026-05-07T00:00:00.000Z');
    expect(await p.reserve(env, 'early')).toEqual({ allowed: false, reason: 'gap', retryAfterSeconds: 5, holder: 'late' });
    expect(await counter(env)).toMatchObject({ day: '2026-05-06', count: 1 });
    at('2026-05-07T00:00:05.000Z');
    expect(await p.reserve(env, 'early')).toEqual({ allowed: true });
    expect(await counter(env)).toMatchObject({ day: '2026-05-07', count: 1, lastPinId: 'early' });
  });

  it('racing reservations at one instant: exactly one wins, on the first write of a day and on a later one', async () => {
    const p = pacing({ minGapSeconds: 10, dailyCap: 300 });
    at('2026-06-01T08:00:00.000Z');
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => p.reserve(env, `racer-${String(i)}`)));
    const winners = first.flatMap((v, i) => (v.allowed ? [`racer-${String(i)}`] : []));
    expect(winners).toHaveLength(1);
    for (const verdict of first.filter((v) => !v.allowed)) expect(verdict).toEqual({ allowed: false, reason: 'gap', retryAfterSeconds: 10, holder: winners[0] });

    clock.advance(10_000);
    const second = await Promise.all(Array.from({ length: 12 }, (_, i) => p.reserve(env, `again-${String(i)}`)));
    expect(second.filter((v) => v.allowed)).toHaveLength(1);
    expect(await counter(env)).toMatchObject({ day: '2026-06-01', count: 2 });
  });

  it('a gap of 0 lets writes through back to back, up to the cap', async () => {
    const p = pacing({ minGapSeconds: 0, dailyCap: 2 });
    at('2026-07-01T10:00:00.000Z');
    expect(await p.reserve(env, 'a')).toEqual({ allowed: true });
    expect(await p.reserve(env, 'b')).toEqual({ allowed: true });
    expect(await p.reserve(env, 'c')).toMatchObject({ allowed: false, reason: 'daily_cap' });
  });

  it('a refund gives back today\'s count for the slot its holder will not use, keeps the gap, and does nothing for a slot another took since', async () => {
    const p = pacing({ minGapSeconds: 10, dailyCap: 2 });
    at('2026-08-01T10:00:00.000Z');
    expect(await p.reserve(env, 'lost-claim')).toEqual({ allowed: true });
    await p.refund(env, 'lost-claim');
    expect(await counter(env)).toMatchObject({ day: '2026-08-01', count: 0, lastPinId: 'lost-claim' });
    // The gap still holds: nobody writes within 10 s of the reservation.
    expect(await p.reserve(env, 'next')).toMatchObject({ allowed: false, reason: 'gap' });
    clock.advance(10_000);
    expect(await p.reserve(env, 'next')).toEqual({ allowed: true });
    await p.refund(env, 'lost-claim');
    expect(await counter(env)).toMatchObject({ count: 1, lastPinId: 'next' });
    clock.advance(10_000);
    expect(await p.reserve(env, 'third')).toEqual({ allowed: true });
    clock.advance(10_000);
    // The cap counts only writes that were used: 2 of 2.
    expect(await p.reserve(env, 'fourth')).toMatchObject({ allowed: false, reason: 'daily_cap' });
  });
});
