import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { PinRecord } from '../../shared/domain/pins';
import { publishPin } from '../../shared/use-cases/publish';
import type { PinHoldersPort } from '../../shared/use-cases/publish-ports';
import { checkPin, reconcileRecord, resolvePin, sweepPublishing } from '../../shared/use-cases/reconcile';
import { BOARDS, SECTIONS } from '../support/memory-pins';
import { io } from '../support/memory-stores';
import { Killed, memoryPublishDeps, type CrashPoint, type MemoryPublish, type MemoryPublishOptions } from '../support/memory-publish';

/**
 * Reconciliation, the sweeper and the operator's resolve (shared/use-cases/reconcile.ts) on the
 * in-memory ports of ../support/memory-publish.ts: the window's edges, Pinterest's `created_at`
 * without an offset, the trimmed NFC comparison, the page cap, several matches, Pins other records
 * hold, section listings; leases, the conditional sweep and the stuck metric; resolve's refusals.
 * Every record here was approved through the use cases and published through publishPin.
 */

const ENV = 'sandbox' as const;
const START = '2026-03-01T09:00:00.000Z';
const TEA = { title: 'Morning tea 🍵', description: 'Five quiet minutes before the day starts.', link: 'https://mira.example.test/tea', altText: 'A cup of green tea' };
const TEA_ON_PLAIN = { boardId: BOARDS.PLAIN, ...TEA };

/** An approved draft whose publish timed out after sending (nothing created): `needs_reconcile`, attempt started now. */
async function unknownOutcome(memory: MemoryPublish, content: Parameters<MemoryPublish['approved']>[0] = TEA_ON_PLAIN): Promise<PinRecord> {
  const approved = await memory.approved(content);
  const answer = await publishPin(memory.attempt(approved.pinId, { fault: 'timeout_no_create' }).deps, approved.pinId);
  expect(answer.outcome).toBe('needs_reconcile');
  return stored(memory, approved.pinId);
}

/** An approved draft whose publish function was killed at `crash`: left `publishing`. */
async function killedAt(memory: MemoryPublish, crash: CrashPoint, content: Parameters<MemoryPublish['approved']>[0] = TEA_ON_PLAIN): Promise<PinRecord> {
  const approved = await memory.approved(content);
  await expect(publishPin(memory.attempt(approved.pinId, { crash }).deps, approved.pinId)).rejects.toBeInstanceOf(Killed);
  return stored(memory, approved.pinId);
}

function stored(memory: MemoryPublish, pinId: string): PinRecord {
  const record = memory.state.pins.record(pinId);
  if (record === undefined) throw new Error(`no record ${pinId}`);
  return record;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function setUp(options: MemoryPublishOptions = {}): MemoryPublish {
  const memory = memoryPublishDeps(options);
  expect(memory.state.clock.now().toISOString()).toBe(START);
  return memory;
}

/* ------------------------------------------------------------------------------------------------ */

describe('reconcileRecord', () => {
  it('counts a Pin created exactly at the attempt start minus two minutes', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const pin = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAtText: '2026-03-01T08:58:00' });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('published');
    expect(after.published).toMatchObject({ pinterestPinId: pin.id, boardId: BOARDS.PLAIN, createdAt: '2026-03-01T08:58:00' });
    expect(memory.state.holders.holder(ENV, pin.id)).toBe(record.pinId);
    expect(after.history.at(-1)).toMatchObject({ action: 'reconcile', from: 'needs_reconcile', to: 'published', by: 'system' });
  });

  it('leaves out a Pin created one millisecond before the window', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAtText: '2026-03-01T08:57:59.999' });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan).toMatchObject({ result: 'none', windowFrom: '2026-03-01T08:58:00.000Z', candidates: [], capped: false });
  });

  it('counts a Pin created exactly at the window end (start + windowAfterMs), not one a millisecond later', async () => {
    const memory = setUp();
    const end = new Date(Date.parse(START) + memory.reconcileDeps.reconcile.windowAfterMs);
    const atEnd = await unknownOutcome(memory);
    const pin = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAtText: end.toISOString().slice(0, 23) });
    expect((await reconcileRecord(memory.reconcileDeps, atEnd)).published?.pinterestPinId).toBe(pin.id);

    const other = setUp();
    const late = await unknownOutcome(other);
    other.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAtText: new Date(end.getTime() + 1).toISOString().slice(0, 23) });
    const after = await reconcileRecord(other.reconcileDeps, late);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan?.candidates).toEqual([]);
  });

  it("reads Pinterest's created_at without an offset as UTC, whatever the process's time zone", () => {
    // Jest's workers cannot change their own zone (process.env is a copy there): a Node child in New
    // York time runs the same reconciliation. A Pin at '08:59:00' (UTC, in the window) is the match;
    // one at '03:59:00' — 08:59 in New York, in the window if read as local time — is hours too early.
    const script = `
      const { memoryPublishDeps } = require(${JSON.stringify(path.resolve(__dirname, '../support/memory-publish.ts'))});
      const { publishPin } = require(${JSON.stringify(path.resolve(__dirname, '../../shared/use-cases/publish.ts'))});
      const { reconcileRecord } = require(${JSON.stringify(path.resolve(__dirname, '../../shared/use-cases/reconcile.ts'))});
      const content = ${JSON.stringify(TEA_ON_PLAIN)};
      (async () => {
        const memory = memoryPublishDeps();
        const approved = await memory.approved(content);
        await publishPin(memory.attempt(approved.pinId, { fault: 'timeout_no_create' }).deps, approved.pinId);
        const utc = memory.state.api.seedPin('sandbox', { ...content, createdAtText: '2026-03-01T08:59:00' });
        memory.state.api.seedPin('sandbox', { ...content, createdAt: '2026-03-01T03:59:00Z', createdAtText: '2026-03-01T03:59:00' });
        const after = await reconcileRecord(memory.reconcileDeps, memory.state.pins.record(approved.pinId));
        const offset = Date.parse('2026-03-01T08:59:00') - Date.parse('2026-03-01T08:59:00Z');
        process.stdout.write(JSON.stringify({ offset, status: after.status, pin: after.published && after.published.pinterestPinId, utc: utc.id }));
      })().catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, TZ: 'America/New_York' }, encoding: 'utf8', timeout: 25_000 });
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as { offset: number; status: string; pin: string; utc: string };
    expect(result.offset).toBe(5 * 3_600_000); // the child's zone is New York
    expect(result.status).toBe('published');
    expect(result.pin).toBe(result.utc);
  });

  it('compares text trimmed and in NFC: decomposed accents and surrounding spaces match', async () => {
    const memory = setUp();
    const content = { boardId: BOARDS.PLAIN, title: 'Caf\u00e9 au lait', description: 'Cr\u00e8me br\u00fbl\u00e9e notes', link: 'https://mira.example.test/cafe' };
    const record = await unknownOutcome(memory, content);
    const pin = memory.state.api.seedPin(ENV, { boardId: BOARDS.PLAIN, title: '  Cafe\u0301 au lait ', description: 'Cre\u0300me bru\u0302le\u0301e notes\n', link: ' https://mira.example.test/cafe', altText: '   ' });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('published');
    expect(after.published?.pinterestPinId).toBe(pin.id);
  });

  it('does not adopt a near match (one field differs): it is reported with what differs', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const pin = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, link: 'https://mira.example.test/tea?v=2' });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan).toMatchObject({ result: 'near_match', candidates: [{ pinterestPinId: pin.id, differs: ['link'] }] });
    expect(memory.state.holders.holder(ENV, pin.id)).toBeUndefined();
  });

  it('a scan that reaches its page cap inside the window is inconclusive, even with one match on the pages read', async () => {
    const memory = setUp({ reconcile: { pageSize: 2, pageCap: 2 } });
    const record = await unknownOutcome(memory);
    const start = Date.parse(START);
    // Oldest first: four other Pins in the window, then (newest) the matching one.
    for (let i = 0; i < 4; i += 1) memory.state.api.seedPin(ENV, { boardId: BOARDS.PLAIN, title: `Other ${String(i)}`, createdAt: start + i * 1000 });
    const match = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAt: start + 10_000 });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan).toMatchObject({ result: 'capped', capped: true, pagesScanned: 2 });
    expect(after.scan?.candidates.map((c) => c.pinterestPinId)).toContain(match.id);
    expect(memory.state.api.calls.filter((call) => call.op === 'listBoardPins')).toHaveLength(2);
    expect(memory.state.holders.holder(ENV, match.id)).toBeUndefined();
  });

  it('stops paging once a page ends before the window (older Pins are not read)', async () => {
    const memory = setUp({ reconcile: { pageSize: 2, pageCap: 3 } });
    const start = Date.parse(START);
    for (let i = 0; i < 10; i += 1) memory.state.api.seedPin(ENV, { boardId: BOARDS.PLAIN, title: `Old ${String(i)}`, createdAt: start - 3_600_000 + i * 1000 });
    const record = await unknownOutcome(memory);
    const match = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, createdAt: start + 2_000 });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.published?.pinterestPinId).toBe(match.id);
    expect(memory.state.api.calls.filter((call) => call.op === 'listBoardPins')).toHaveLength(1);
  });

  it('several matches: none is adopted, all are reported', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const a = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    const b = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan?.result).toBe('several');
    expect(after.scan?.candidates.map((c) => c.pinterestPinId).sort()).toEqual([a.id, b.id].sort());
    expect(memory.state.holders.all().size).toBe(0);
  });

  it('leaves out Pins another record holds: the one free match is adopted', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const held = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    memory.state.holders.seed(ENV, held.id, 'pin-other');
    const free = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.published?.pinterestPinId).toBe(free.id);
    expect(memory.state.holders.holder(ENV, held.id)).toBe('pin-other');
  });

  it('a match held by another record only: stays needs_reconcile, the report names the holder', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const held = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    memory.state.holders.seed(ENV, held.id, 'pin-other');
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan?.candidates).toEqual([expect.objectContaining({ pinterestPinId: held.id, differs: [], heldBy: 'pin-other' })]);
  });

  it("a Pin the record itself holds (its function stopped after claiming it) is its own", async () => {
    const memory = setUp();
    const record = await killedAt(memory, 'after_holder');
    const [pin] = memory.state.api.pins(ENV);
    expect(pin?.origin).toBe(record.pinId);
    memory.state.clock.advance(120_000);
    await sweepPublishing(memory.reconcileDeps);
    const after = stored(memory, record.pinId);
    expect(after.status).toBe('published');
    expect(after.published?.pinterestPinId).toBe(pin?.id);
  });

  it("uses the section's listing when the draft has a section: a match elsewhere on the board is not seen", async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory, { ...TEA_ON_PLAIN, sectionId: SECTIONS.PLAIN_1 });
    const inSection = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, sectionId: SECTIONS.PLAIN_1 });
    memory.state.api.seedPin(ENV, TEA_ON_PLAIN); // the board, no section: newer, same text
    memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, sectionId: SECTIONS.PLAIN_2 });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('published');
    expect(after.published).toMatchObject({ pinterestPinId: inSection.id, sectionId: SECTIONS.PLAIN_1 });
    const lists = memory.state.api.calls.filter((call) => call.op === 'listBoardPins' || call.op === 'listSectionPins');
    expect(lists.map((call) => [call.op, call.boardId, call.sectionId])).toEqual([['listSectionPins', BOARDS.PLAIN, SECTIONS.PLAIN_1]]);
  });

  it('a draft without a section does not adopt a Pin in a section (it was sent without one): a near match naming the section', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const inSection = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, sectionId: SECTIONS.PLAIN_2 });
    const after = await reconcileRecord(memory.reconcileDeps, record);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan).toMatchObject({ result: 'near_match', candidates: [{ pinterestPinId: inSection.id, differs: ['section'] }] });
  });

  it('Pinterest failing: an error report, the record stays needs_reconcile, the error goes to the caller', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    memory.state.api.failNext('listBoardPins', { kind: 'rate_limit', resetSeconds: 30 });
    await expect(reconcileRecord(memory.reconcileDeps, record)).rejects.toMatchObject({ code: 'rate_limited' });
    const after = stored(memory, record.pinId);
    expect(after.status).toBe('needs_reconcile');
    expect(after.scan).toMatchObject({ result: 'error', pagesScanned: 0 });
    expect(after.history).toEqual(record.history);
  });

  it('refuses a record that is not needs_reconcile', async () => {
    const memory = setUp();
    const approved = await memory.approved(TEA_ON_PLAIN);
    await expect(reconcileRecord(memory.reconcileDeps, approved)).rejects.toBeInstanceOf(ConflictError);
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('sweepPublishing', () => {
  it('moves only records whose lease has ended (a lease ending exactly now has ended), never to approved', async () => {
    const memory = setUp();
    const first = await killedAt(memory, 'before_send');
    memory.state.clock.advance(60_000);
    const second = await killedAt(memory, 'before_send', { ...TEA_ON_PLAIN, title: 'Evening tea' });
    expect(first.attempt?.leaseUntil).toBe('2026-03-01T09:02:00.000Z');
    expect(second.attempt?.leaseUntil).toBe('2026-03-01T09:03:00.000Z');

    memory.state.clock.set('2026-03-01T09:01:59.999Z');
    expect(await sweepPublishing(memory.reconcileDeps)).toMatchObject({ swept: 0 });
    memory.state.clock.set('2026-03-01T09:02:00.000Z');
    expect(await sweepPublishing(memory.reconcileDeps)).toMatchObject({ swept: 1, reconciled: 0 });
    expect(stored(memory, first.pinId)).toMatchObject({ status: 'needs_reconcile', unknownOutcome: { attemptId: first.attempt?.attemptId, attemptStartedAt: START } });
    expect(stored(memory, first.pinId).history.at(-1)).toMatchObject({ action: 'sweep', from: 'publishing', to: 'needs_reconcile', by: 'system' });
    expect(stored(memory, second.pinId).status).toBe('publishing');
    memory.state.clock.set('2026-03-01T09:03:00.000Z');
    expect(await sweepPublishing(memory.reconcileDeps)).toMatchObject({ swept: 1 });
    expect(stored(memory, second.pinId).status).toBe('needs_reconcile');
    expect(memory.state.api.posts()).toHaveLength(0);
  });

  it('reconciles what it sweeps at once: a Pin created before the function stopped is found', async () => {
    const memory = setUp();
    const record = await killedAt(memory, 'after_send');
    const [pin] = memory.state.api.pins(ENV);
    memory.state.clock.advance(120_000);
    expect(await sweepPublishing(memory.reconcileDeps)).toMatchObject({ swept: 1, reconciled: 1 });
    expect(stored(memory, record.pinId).published?.pinterestPinId).toBe(pin?.id);
    expect(memory.state.holders.holder(ENV, pin?.id ?? '')).toBe(record.pinId);
  });

  it('is conditional: an outcome written after the sweeper read the record stands', async () => {
    const memory = setUp();
    const approved = await memory.approved(TEA_ON_PLAIN);
    // The publish stops at POST /v5/pins until released (a slow Pinterest).
    const run = memory.attempt(approved.pinId);
    const reached = deferred();
    const release = deferred();
    const slow = {
      ...run.deps,
      pinterest: {
        ...run.deps.pinterest,
        createPin: async (...args: Parameters<typeof run.deps.pinterest.createPin>) => {
          reached.resolve();
          await release.promise;
          return run.deps.pinterest.createPin(...args);
        },
      },
    };
    const publishing = publishPin(slow, approved.pinId);
    await reached.promise;
    memory.state.clock.advance(120_000);
    // The sweeper lists the record (publishing, lease ended); then the publish finishes before its write.
    const pins = memory.reconcileDeps.pins;
    const deps = {
      ...memory.reconcileDeps,
      pins: {
        ...pins,
        get: pins.get.bind(pins),
        replace: pins.replace.bind(pins),
        remove: pins.remove.bind(pins),
        create: pins.create.bind(pins),
        list: async (...args: Parameters<typeof pins.list>) => {
          const page = await pins.list(...args);
          if (args[1] === 'publishing' && page.items.length > 0) {
            release.resolve();
            await publishing;
          }
          return page;
        },
      },
    };
    expect(await sweepPublishing(deps)).toMatchObject({ swept: 0 });
    const after = stored(memory, approved.pinId);
    expect(after.status).toBe('published');
    expect(after.history.map((entry) => entry.action)).not.toContain('sweep');
  });

  it('counts records publishing or needs_reconcile for longer than stuckAfterMinutes, per environment', async () => {
    const memory = setUp({ settings: { leaseMs: 3_600_000 }, reconcile: { stuckAfterMinutes: 30 } });
    const old = await unknownOutcome(memory);
    const longLease = await killedAt(memory, 'before_send', { ...TEA_ON_PLAIN, title: 'Long lease' });
    memory.state.clock.advance(20 * 60_000);
    const recent = await unknownOutcome(memory, { ...TEA_ON_PLAIN, title: 'Recent' });
    memory.state.clock.advance(11 * 60_000);
    const outcome = await sweepPublishing(memory.reconcileDeps);
    expect(outcome).toMatchObject({ swept: 0, stuck: { sandbox: 2, production: 0 } });
    expect(memory.state.metrics.reports.at(-1)).toEqual({ sandbox: 2, production: 0 });
    expect([old, longLease, recent].map((record) => stored(memory, record.pinId).status)).toEqual(['needs_reconcile', 'publishing', 'needs_reconcile']);
  });

  it('a Pinterest failure while reconciling leaves the swept record needs_reconcile with an error report; the sweep goes on', async () => {
    const memory = setUp();
    const first = await killedAt(memory, 'before_send');
    const second = await killedAt(memory, 'before_send', { ...TEA_ON_PLAIN, title: 'Evening tea' });
    memory.state.clock.advance(120_000);
    memory.state.api.failNext('listBoardPins', 'server_error');
    expect(await sweepPublishing(memory.reconcileDeps)).toMatchObject({ swept: 2, reconciled: 0 });
    const statuses = [first, second].map((record) => stored(memory, record.pinId));
    expect(statuses.map((record) => record.status)).toEqual(['needs_reconcile', 'needs_reconcile']);
    expect(statuses.map((record) => record.scan?.result)).toContain('error');
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('resolvePin', () => {
  it('published with a Pin on another board: 409, nothing changes', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const elsewhere = memory.state.api.seedPin(ENV, { ...TEA, boardId: BOARDS.OTHER });
    await expect(resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'published', pinterestPinId: elsewhere.id })).rejects.toBeInstanceOf(ConflictError);
    expect(stored(memory, record.pinId)).toEqual(record);
    expect(memory.state.holders.holder(ENV, elsewhere.id)).toBeUndefined();
  });

  it('published with a Pin another record holds: 409, the holder stays', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const held = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    memory.state.holders.seed(ENV, held.id, 'pin-other');
    await expect(resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'published', pinterestPinId: held.id })).rejects.toThrow(/already held by record pin-other/);
    expect(stored(memory, record.pinId)).toEqual(record);
    expect(memory.state.holders.holder(ENV, held.id)).toBe('pin-other');
  });

  it('published with a Pin Pinterest does not know: 404', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    await expect(resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'published', pinterestPinId: '999999999999999999' })).rejects.toBeInstanceOf(NotFoundError);
    expect(stored(memory, record.pinId)).toEqual(record);
  });

  it('published with a Pin on its board: claimed, published, the operator in the history', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const pin = memory.state.api.seedPin(ENV, { ...TEA_ON_PLAIN, title: 'Not quite the same title' });
    const view = await resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'published', pinterestPinId: pin.id, version: record.version });
    expect(view).toMatchObject({ status: 'published', published: { pinterestPinId: pin.id, boardId: BOARDS.PLAIN } });
    expect(memory.state.holders.holder(ENV, pin.id)).toBe(record.pinId);
    expect(stored(memory, record.pinId).history.at(-1)).toMatchObject({ action: 'resolve', to: 'published', by: 'operator' });
  });

  it('approved: the record can be published again (a second Pin, the risk the operator took)', async () => {
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const view = await resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'approved' });
    expect(view.status).toBe('approved');
    expect(stored(memory, record.pinId).history.at(-1)).toMatchObject({ action: 'resolve', from: 'needs_reconcile', to: 'approved', by: 'operator' });
    const answer = await publishPin(memory.attempt(record.pinId).deps, record.pinId);
    expect(answer.outcome).toBe('published');
    expect(memory.state.api.posts(record.pinId)).toHaveLength(2);
  });

  it('refuses a record that is not needs_reconcile, and a stale version', async () => {
    const memory = setUp();
    const approved = await memory.approved(TEA_ON_PLAIN);
    await expect(resolvePin(memory.reconcileDeps, approved.pinId, { outcome: 'approved' })).rejects.toBeInstanceOf(ConflictError);
    const record = await unknownOutcome(memory, { ...TEA_ON_PLAIN, title: 'Another' });
    await expect(resolvePin(memory.reconcileDeps, record.pinId, { outcome: 'approved', version: record.version - 1 })).rejects.toBeInstanceOf(ConflictError);
    expect(stored(memory, record.pinId)).toEqual(record);
  });
});

/* ------------------------------------------------------------------------------------------------
 * Races publish-property.test.ts found (fixed in 84abf02; kept as regressions)
 * ---------------------------------------------------------------------------------------------- */

describe('races between publishing and settling', () => {
  it("a publish whose new Pin a same-content record's reconciliation adopted first does not claim it as well", async () => {
    // Found by publish-property.test.ts (twins) at 79ea280: publishPin ignored the holder claim's
    // answer and wrote `published` with a Pin the holder index had given to another record, so two
    // records said `published` with one Pinterest Pin. Since 84abf02 the publish ends needs_reconcile.
    // (Fails at 79ea280.)
    const memory = setUp();
    const twin = await unknownOutcome(memory);
    const approved = await memory.approved(TEA_ON_PLAIN);
    const run = memory.attempt(approved.pinId);
    const holders: PinHoldersPort = {
      // The twin's reconciliation runs between POST /v5/pins and this publish's claim of the new Pin.
      claim: async (env: PinterestEnvironment, pinterestPinId: string, pinId: string) => {
        await checkPin(memory.reconcileDeps, twin.pinId);
        return run.deps.holders.claim(env, pinterestPinId, pinId);
      },
      holderOf: (env, pinterestPinId) => run.deps.holders.holderOf(env, pinterestPinId),
      release: (env, pinterestPinId, pinId) => run.deps.holders.release(env, pinterestPinId, pinId),
    };
    await publishPin({ ...run.deps, holders }, approved.pinId);
    const [pin] = memory.state.api.pins(ENV);
    expect(stored(memory, twin.pinId).published?.pinterestPinId).toBe(pin?.id);
    expect(memory.state.holders.holder(ENV, pin?.id ?? '')).toBe(twin.pinId);
    expect(stored(memory, approved.pinId).status).not.toBe('published');
  });

  it('two settles of one record racing with the same Pin: the loser does not release the holder item the winner relies on', async () => {
    // Found by publish-property.test.ts in the uncommitted work before 84abf02 (writeHolding released
    // the claim on any lost write): the loser released the Pin's holder item although a concurrent
    // settle of the same record had won with it, and a twin's reconciliation then adopted the Pin too.
    const memory = setUp();
    const record = await unknownOutcome(memory);
    const pin = memory.state.api.seedPin(ENV, TEA_ON_PLAIN);
    // Both claim before either writes.
    let claims = 0;
    const both = deferred();
    const holders = memory.state.holders;
    const deps = {
      ...memory.reconcileDeps,
      holders: {
        claim: async (env: PinterestEnvironment, pinterestPinId: string, pinId: string) => {
          const holder = await holders.claim(env, pinterestPinId, pinId);
          claims += 1;
          if (claims === 2) both.resolve();
          await both.promise;
          await io(() => undefined);
          return holder;
        },
        holderOf: holders.holderOf.bind(holders),
        release: holders.release.bind(holders),
      },
    };
    const outcomes = await Promise.allSettled([resolvePin(deps, record.pinId, { outcome: 'published', pinterestPinId: pin.id }), checkPin(deps, record.pinId)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2 - outcomes.filter((outcome) => outcome.status === 'rejected').length);
    expect(stored(memory, record.pinId)).toMatchObject({ status: 'published', published: { pinterestPinId: pin.id } });
    expect(memory.state.holders.holder(ENV, pin.id)).toBe(record.pinId);
  });
});
