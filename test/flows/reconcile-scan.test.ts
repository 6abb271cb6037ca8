// Before any wiring of this file reads the settings: this file publishes many times in a row, and a
// record counts as stuck after one minute (the sweeper function's StuckPinRecords metric).
process.env.PUBLISH_MIN_GAP_SECONDS = '0';
process.env.STUCK_AFTER_MINUTES = '1';

import { resetBoardFlow, setUpBoardFlow } from '../support/board-flow';
import { errorOf, readPin, sandboxBoard, type PinJson } from '../support/pin-flow';
import { approvedDraft, check, pinCreates, published, storedRecord } from '../support/publish-flow';
import { reconcileAll, reconcileRecord } from '../../shared/use-cases/reconcile';
import { FakeClock } from '../support/fake-clock';
import {
  calls,
  checked,
  clearRecords,
  LEASE_MS,
  pinAtPinterest,
  publishAndDie,
  reconcileDepsWith,
  requestsDuring,
  resolved,
  runSchedule,
  sweepAt,
  type ReconcileJson,
} from '../support/reconcile-flow';

/**
 * How far a reconciliation reads and what it reports: the page size and cap (a scan that reaches its
 * cap decides nothing), the window, a Pinterest failure (an `error` report; the schedule stops at a
 * rate limit), the schedule's budget per run, and the StuckPinRecords metric the sweeper emits.
 */

const flow = setUpBoardFlow('reconcile-scan');
let boardId: string;

beforeEach(async () => {
  await resetBoardFlow(flow, ['sandbox']);
  await clearRecords(flow);
  boardId = (await sandboxBoard('Scan')).id;
});

const content = { title: 'Stone lantern', description: 'Lit at dusk.' };
const draft = (title = content.title) => approvedDraft({ environment: 'sandbox', boardId, ...content, title, imageUrl: 'https://images.example.com/lantern.jpg' });

/** A draft whose attempt reached nothing at Pinterest (the connection dropped before processing). */
async function lostDraft(title?: string): Promise<PinJson> {
  const pin = await draft(title);
  flow.emulator.controls.injectFault({ kind: 'drop_connection', host: 'sandbox', method: 'POST', path: '/v5/pins' });
  expect((await published(pin.id)).outcome).toBe('needs_reconcile');
  return pin;
}

const listCalls = (requests: Parameters<typeof calls>[0]) => requests.filter((r) => r.path === `/v5/boards/${boardId}/pins`);

describe('the page size and the page cap', () => {
  it('a scan that reaches its cap (1 page of 1 Pin) decides nothing, even with the one exact match in hand: capped, stays; the full scan (100 a page) publishes it', async () => {
    const pin = await lostDraft();
    await pinAtPinterest(flow, 'sandbox', { boardId, ...content, title: 'Another lantern' });
    const match = await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    const record = await storedRecord(flow, pin.id);

    const deps = reconcileDepsWith({ settings: { pageSize: 1, pageCap: 1 } });
    const { result, requests } = await requestsDuring(flow, () => reconcileRecord(deps, record));
    expect(result).toMatchObject({ status: 'needs_reconcile', scan: { result: 'capped', capped: true, pagesScanned: 1 } });
    // The newest Pin is the match: still not enough, the next page may hold another.
    expect(result.scan?.candidates).toEqual([{ pinterestPinId: match.id, createdAt: match.created_at, differs: [] }]);
    expect(listCalls(requests).map((r) => r.query.page_size)).toEqual(['1']);
    expect(calls(requests)).toEqual([`GET /v5/boards/${boardId}/pins`]);
    expect(await readPin(pin.id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'capped' } });

    const full = await requestsDuring(flow, () => checked(pin.id));
    expect(full.result).toMatchObject({ status: 'published', published: { pinterestPinId: match.id }, scan: null });
    expect(listCalls(full.requests).map((r) => r.query.page_size)).toEqual(['100']);
  });

  it('pages follow the bookmark up to the cap (5 pages of 1 Pin); with more Pins in the window than the cap reads: capped after exactly 5 GETs', async () => {
    const pin = await lostDraft();
    for (let i = 0; i < 6; i += 1) await pinAtPinterest(flow, 'sandbox', { boardId, title: `Lantern ${String(i)}` });
    const record = await storedRecord(flow, pin.id);

    const { result, requests } = await requestsDuring(flow, () => reconcileRecord(reconcileDepsWith({ settings: { pageSize: 1, pageCap: 5 } }), record));
    expect(result.scan).toMatchObject({ result: 'capped', capped: true, pagesScanned: 5 });
    expect(result.scan?.candidates).toHaveLength(5);
    for (const candidate of result.scan?.candidates ?? []) expect(candidate.differs).toEqual(['title', 'description']);
    const pages = listCalls(requests);
    expect(pages).toHaveLength(5);
    expect(pages[0]?.query.bookmark).toBeUndefined();
    expect(pages.slice(1).every((r) => typeof r.query.bookmark === 'string' && r.query.bookmark !== '')).toBe(true);
    expect(calls(requests).every((c) => c.startsWith('GET '))).toBe(true);

    // Fewer Pins than the cap reads: the list's end is reached, not capped (a near_match, nothing decided).
    const wide = await reconcileRecord(reconcileDepsWith({ settings: { pageSize: 2, pageCap: 5 } }), result);
    expect(wide.scan).toMatchObject({ result: 'near_match', capped: false, pagesScanned: 4 });
    expect(wide.scan?.candidates).toHaveLength(6);
  });

  it('the scan stops at the first page whose last Pin is older than the window (no further page is read)', async () => {
    for (let i = 0; i < 4; i += 1) await pinAtPinterest(flow, 'sandbox', { boardId, ...content });
    const pin = await draft();
    // The attempt started 3 minutes after those Pins were made: they are all before its window.
    await publishAndDie(pin.id, 'after_claim', new Date(Date.now() + 3 * 60_000));
    const { result, requests } = await requestsDuring(flow, () => sweepAt(new Date(Date.now() + 3 * 60_000 + LEASE_MS + 1000), { pageSize: 1, pageCap: 5 }));
    expect(result.outcome).toMatchObject({ swept: 1, reconciled: 0 });
    expect(listCalls(requests).map((r) => r.query.page_size)).toEqual(['1']);
    expect(await readPin(pin.id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'none', candidates: [], pagesScanned: 1, capped: false } });
  });
});

describe('a Pinterest failure', () => {
  it('POST /pins/{id}/check while Pinterest answers 500: a 5xx for the operator, an error report on the record, nothing else changed; the next check settles it', async () => {
    const pin = await draft();
    flow.emulator.controls.injectFault({ kind: 'create_then_drop', host: 'sandbox', method: 'POST', path: '/v5/pins' });
    const lost = (await published(pin.id)).pin as ReconcileJson;
    flow.emulator.controls.injectFault({ kind: 'status', status: 500, host: 'sandbox', method: 'GET', path: `/v5/boards/${boardId}/pins` });

    const res = await check(pin.id);
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    expect(errorOf(res).message).toContain(`list the Pins of board ${boardId}`);
    const after = (await readPin(pin.id)) as ReconcileJson;
    expect(after).toMatchObject({ status: 'needs_reconcile', version: lost.version + 1, unknownOutcome: lost.unknownOutcome, scan: { result: 'error', pagesScanned: 0, capped: false, candidates: [] } });
    expect(after.scan?.error).toMatch(/^Pinterest could not be read/);
    expect(after.history).toEqual(lost.history);

    expect(await checked(pin.id)).toMatchObject({ status: 'published', scan: null });
    expect(pinCreates(flow)).toHaveLength(1);
  });

  it('the `reconcile` schedule stops at a rate limit: the rest waits for the next run', async () => {
    const a = await lostDraft('First lantern');
    const b = await lostDraft('Second lantern');
    flow.emulator.controls.injectFault({ kind: 'rate_limit', host: 'sandbox', method: 'GET', path: `/v5/boards/${boardId}/pins` });
    const { result, requests } = await requestsDuring(flow, () => runSchedule('reconcile'));
    expect(result).toMatchObject({ sandbox: { tried: 1, published: 0, stoppedBy: expect.any(String) as unknown } });
    expect(listCalls(requests)).toHaveLength(1);
    const scans = [((await readPin(a.id)) as ReconcileJson).scan?.result, ((await readPin(b.id)) as ReconcileJson).scan?.result];
    expect(scans.sort()).toEqual(['error', undefined]);

    const next = await runSchedule('reconcile');
    expect(next).toMatchObject({ sandbox: { tried: 2, published: 0 } });
    for (const id of [a.id, b.id]) expect(await readPin(id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'none' } });
  });
});

describe("the `reconcile` schedule's budget", () => {
  it('tries every needs_reconcile record within the budget, each once', async () => {
    const pins = [await lostDraft('One'), await lostDraft('Two'), await lostDraft('Three')];
    const { result, requests } = await requestsDuring(flow, () => runSchedule('reconcile'));
    expect(result).toEqual({ sandbox: { tried: 3, published: 0 }, production: { tried: 0, published: 0 } });
    expect(listCalls(requests)).toHaveLength(3);
    for (const pin of pins) expect(((await readPin(pin.id)) as ReconcileJson).scan?.result).toBe('none');
  });

  it('a record beyond one run’s budget is tried by a later run (oldest change first), not starved by the ones just tried', async () => {
    const older = await lostDraft('Older');
    const newer = await lostDraft('Newer');
    const clock = new FakeClock(new Date(Date.now() + 15 * 60_000));
    const deps = reconcileDepsWith({ clock, settings: { maxPerRun: 1 } });

    expect(await reconcileAll(deps)).toMatchObject({ sandbox: { tried: 1 } });
    clock.advance(15 * 60_000);
    expect(await reconcileAll(deps)).toMatchObject({ sandbox: { tried: 1 } });
    // Two runs of one record each: both records have been looked for.
    expect(((await readPin(older.id)) as ReconcileJson).scan).not.toBeNull();
    expect(((await readPin(newer.id)) as ReconcileJson).scan).not.toBeNull();
  });
});

describe('the StuckPinRecords metric', () => {
  it('the sweeper counts records publishing or needs_reconcile for longer than the threshold (from the attempt’s start), per environment', async () => {
    const t0 = Date.now();
    const claimed = await draft('Claimed');
    await publishAndDie(claimed.id, 'after_claim', new Date(t0));
    const lost = await lostDraft('Lost');
    await published((await draft('Done')).id);
    const lostStart = Date.parse(((await readPin(lost.id)) as ReconcileJson).unknownOutcome?.attemptStartedAt ?? '');

    // 30 s on: nothing is stuck yet (the threshold is one minute).
    const early = await sweepAt(new Date(t0 + 30_000), { stuckAfterMinutes: 1 });
    expect(early.outcome).toEqual({ swept: 0, reconciled: 0, stuck: { sandbox: 0, production: 0 } });
    expect(early.metrics.emitted).toEqual([{ sandbox: 0, production: 0 }]);

    // 90 s on: the claim (its lease still running) and the needs_reconcile record are stuck; the published one never is.
    const later = await sweepAt(new Date(Math.max(t0, lostStart) + 90_000), { stuckAfterMinutes: 1 });
    expect(later.outcome).toEqual({ swept: 0, reconciled: 0, stuck: { sandbox: 2, production: 0 } });
    expect(later.metrics.emitted).toEqual([{ sandbox: 2, production: 0 }]);

    // Settled by the operator: no longer counted. The claim's lease over: swept, still counted.
    await resolved(lost.id, { outcome: 'approved' });
    const swept = await sweepAt(new Date(t0 + LEASE_MS + 1000), { stuckAfterMinutes: 1 });
    expect(swept.outcome).toEqual({ swept: 1, reconciled: 0, stuck: { sandbox: 1, production: 0 } });
    // The published record's Pin is in the window, held by it: `other_pins`, not `none`.
    expect(await readPin(claimed.id)).toMatchObject({ status: 'needs_reconcile', scan: { result: 'other_pins' } });

    // A higher threshold counts nothing at the same time.
    expect((await sweepAt(new Date(t0 + LEASE_MS + 1000), { stuckAfterMinutes: 60 })).metrics.emitted).toEqual([{ sandbox: 0, production: 0 }]);
  });

  it('the sweeper function emits it as embedded metrics (STUCK_AFTER_MINUTES=1): the total and per environment', async () => {
    const claimed = await draft('Claimed');
    // Started 90 s ago: its lease is still running, but it is older than a minute.
    await publishAndDie(claimed.id, 'after_claim', new Date(Date.now() - 90_000));
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    });
    let outcome: Record<string, unknown>;
    try {
      outcome = await runSchedule('sweep-publishing');
    } finally {
      write.mockRestore();
    }
    expect(outcome).toMatchObject({ swept: 0, reconciled: 0, stuck: { sandbox: 1, production: 0 } });
    const metrics = lines.filter((line) => line.includes('"StuckPinRecords"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const value = (env?: string) => metrics.find((m) => m.environment === env)?.StuckPinRecords;
    expect(value(undefined)).toBe(1);
    expect(value('sandbox')).toBe(1);
    expect(value('production')).toBe(0);
    expect(metrics.every((m) => JSON.stringify(m._aws).includes('MiraDigitalZenPublisher'))).toBe(true);
    // Each carries the deployment's name as a dimension (`local` here: no DEPLOYMENT_NAME), as the alarm expects.
    for (const m of metrics) {
      expect(m.deployment).toBe('local');
      const { CloudWatchMetrics } = m._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> };
      expect(CloudWatchMetrics[0]?.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'deployment']));
    }
  });
});
