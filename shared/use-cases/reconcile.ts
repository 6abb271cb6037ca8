import { ConflictError, DependencyError, NotFoundError } from '../domain/errors';
import { environments, pinWebUrl, type PinterestEnvironment } from '../domain/pinterest';
import { normalizeText, pinDetail, type PinRecord } from '../domain/pins';
import { checkPublishedPin } from './pin-check';
import { operatorErrorFor } from './pinterest-refusals';
import { nextRecord } from './pins';
import type { PinterestPinFacts, PublishDeps } from './publish-ports';
import { withPinterestToken } from './token-source';

/**
 * Finding out what happened when Pinterest's answer was lost (DESIGN.md "Pin workflow", reconciliation
 * rule), before anyone publishes again:
 * - the sweeper turns `publishing` records whose lease ended into `needs_reconcile` (conditional on the
 *   attempt: status and version), then reconciles them at once;
 * - reconciliation lists the board's Pins (the section's, when the draft has one) newest first up to a
 *   page cap and compares board, title, description, link and alt text (trimmed, NFC) of the Pins
 *   created at or after the attempt's start minus two minutes, leaving out Pins other records hold.
 *   Exactly one match, on a scan that did not hit its cap → `published`. Anything else stays
 *   `needs_reconcile` with a scan report the operator reads on GET /pins/{id};
 * - only the operator returns a record to `approved` (resolve), accepting the risk of a second Pin.
 */

export interface ReconcileSettings {
  /** Pins per page of a board listing (Pinterest's maximum is 250). */
  pageSize: number;
  /** Pages read per record at most: a scan that reaches it without passing the window is inconclusive. */
  pageCap: number;
  /** How far before the attempt's start a Pin may have been created (Pinterest's clock vs ours). */
  windowMs: number;
  /**
   * How long after the attempt's start its Pin can have been created: the attempt's lease plus the same
   * slack. A Pin created later belongs to a later attempt (another record's, or a copy's).
   */
  windowAfterMs: number;
  /** Records reconciled per schedule run and environment at most (the read budget). */
  maxPerRun: number;
  /** A record `publishing` or `needs_reconcile` longer than this counts as stuck (the metric). */
  stuckAfterMinutes: number;
}

export interface StuckMetricPort {
  /** Records outside a terminal state for longer than the threshold, per environment. */
  stuckRecords(counts: Record<PinterestEnvironment, number>): void;
}

export type ReconcileDeps = Pick<PublishDeps, 'clock' | 'pins' | 'boards' | 'tokens' | 'pinterest' | 'holders'> & {
  reconcile: ReconcileSettings;
};

/** The fields compared with a Pin at Pinterest (the image cannot be: Pinterest re-hosts it). */
type ComparedField = 'board' | 'section' | 'title' | 'description' | 'link' | 'altText';

export interface ScanReport {
  at: string;
  result: 'matched' | 'none' | 'several' | 'near_match' | 'other_pins' | 'capped' | 'error';
  pagesScanned: number;
  capped: boolean;
  /** Pins created from this time on were compared. */
  windowFrom: string;
  /** … up to this time. */
  windowTo?: string;
  candidates: Array<{ pinterestPinId: string; createdAt: string | null; differs: ComparedField[]; heldBy?: string }>;
  error?: string;
}

/** Pinterest's `created_at` has no offset: it is UTC. */
function createdAtMs(createdAt: string | undefined): number | undefined {
  if (createdAt === undefined) return undefined;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(createdAt) ? createdAt : `${createdAt}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

const same = (a: string | null | undefined, b: string | undefined) => (normalizeText(a ?? undefined) ?? '') === (normalizeText(b) ?? '');

function differences(record: PinRecord, pin: PinterestPinFacts): ComparedField[] {
  const { content } = record;
  const out: ComparedField[] = [];
  if (pin.board_id !== undefined && pin.board_id !== content.boardId) out.push('board');
  // A draft without a section was sent without one: a Pin in a section is not its Pin. (A draft with
  // a section lists only that section's Pins.)
  if (content.sectionId === undefined && pin.board_section_id !== undefined && pin.board_section_id !== null) out.push('section');
  if (!same(pin.title, content.title)) out.push('title');
  if (!same(pin.description, content.description)) out.push('description');
  if (!same(pin.link, content.link)) out.push('link');
  if (!same(pin.alt_text, content.altText)) out.push('altText');
  return out;
}

/** Reads the board (or section) newest first until the window is passed, the list ends, or the cap. */
async function scan(deps: ReconcileDeps, record: PinRecord, fromMs: number): Promise<{ pins: PinterestPinFacts[]; pages: number; capped: boolean }> {
  const env = record.environment;
  const { boardId, sectionId } = record.content;
  const pins: PinterestPinFacts[] = [];
  let bookmark: string | undefined;
  for (let pages = 1; ; pages += 1) {
    const options = { pageSize: deps.reconcile.pageSize, ...(bookmark === undefined ? {} : { bookmark }) };
    const answer = await withPinterestToken(deps.tokens, env, (token) =>
      sectionId === undefined ? deps.pinterest.listBoardPins(env, token, boardId, options) : deps.pinterest.listSectionPins(env, token, boardId, sectionId, options),
    );
    pins.push(...answer.data.items);
    const last = answer.data.items.at(-1);
    const lastMs = createdAtMs(last?.created_at);
    const passedWindow = lastMs !== undefined && lastMs < fromMs;
    if (answer.data.bookmark === null || answer.data.items.length === 0 || passedWindow) return { pins, pages, capped: false };
    if (pages >= deps.reconcile.pageCap) return { pins, pages, capped: true };
    bookmark = answer.data.bookmark;
  }
}

/**
 * One record's reconciliation: `published` on exactly one match, otherwise the scan report is written
 * and the record stays `needs_reconcile`. A Pinterest failure is reported the same way (nothing else
 * changes) and rethrown for the caller to decide (the schedule stops on a rate limit).
 */
export async function reconcileRecord(deps: ReconcileDeps, record: PinRecord): Promise<PinRecord> {
  if (record.status !== 'needs_reconcile') throw new ConflictError(`Only a needs_reconcile record is reconciled (this one is ${record.status})`, record.status);
  const env = record.environment;
  const startedMs = Date.parse(record.unknownOutcome?.attemptStartedAt ?? record.updatedAt);
  const fromMs = startedMs - deps.reconcile.windowMs;
  const toMs = startedMs + deps.reconcile.windowAfterMs;
  const at = deps.clock.now().toISOString();
  const base = { at, windowFrom: new Date(fromMs).toISOString(), windowTo: new Date(toMs).toISOString() };
  let found: Awaited<ReturnType<typeof scan>>;
  try {
    found = await scan(deps, record, fromMs);
  } catch (error) {
    const summary = error instanceof DependencyError ? error.summary : 'an unexpected error';
    await writeReport(deps, record, { ...base, result: 'error', pagesScanned: 0, capped: false, candidates: [], error: `Pinterest could not be read (${summary})` });
    throw error;
  }
  const inWindow = found.pins.filter((pin) => {
    const created = createdAtMs(pin.created_at);
    // A Pin without a readable time cannot be placed: it is compared (and can only match exactly).
    return created === undefined || (created >= fromMs && created <= toMs);
  });
  const candidates: ScanReport['candidates'] = [];
  for (const pin of inWindow) {
    const holder = await deps.holders.holderOf(env, pin.id);
    const heldElsewhere = holder !== undefined && holder !== record.pinId;
    candidates.push({ pinterestPinId: pin.id, createdAt: pin.created_at ?? null, differs: differences(record, pin), ...(heldElsewhere ? { heldBy: holder } : {}) });
  }
  const matches = candidates.filter((c) => c.differs.length === 0 && c.heldBy === undefined);
  const match = matches[0];
  if (matches.length === 1 && match !== undefined && !found.capped) {
    const holder = await deps.holders.claim(env, match.pinterestPinId, record.pinId);
    if (holder === record.pinId) {
      const pin = inWindow.find((p) => p.id === match.pinterestPinId);
      const published = {
        pinterestPinId: match.pinterestPinId,
        boardId: pin?.board_id ?? record.content.boardId,
        ...(pin?.board_section_id ? { sectionId: pin.board_section_id } : {}),
        ...(pin?.created_at === undefined ? {} : { createdAt: pin.created_at }),
        httpStatus: 200,
        publishedAt: at,
        url: pinWebUrl(match.pinterestPinId),
      };
      return writeHolding(
        deps,
        record,
        nextRecord(record, 'published', 'reconcile', at, { published, unknownOutcome: undefined, scan: undefined }, { by: 'system', reason: `found Pin ${match.pinterestPinId} at Pinterest` }),
        match.pinterestPinId,
      );
    }
    candidates.splice(candidates.indexOf(match), 1, { ...match, heldBy: holder });
  }
  // A near match differs in one or two of the five fields; a Pin that differs in more is another Pin
  // (listed as a candidate all the same, with what differs).
  const nearMatch = candidates.some((c) => c.heldBy === undefined && c.differs.length > 0 && c.differs.length <= 2);
  const others = candidates.length > 0;
  const result: ScanReport['result'] = found.capped ? 'capped' : matches.length > 1 ? 'several' : nearMatch ? 'near_match' : others ? 'other_pins' : 'none';
  return writeReport(deps, record, { ...base, result, pagesScanned: found.pages, capped: found.capped, candidates: candidates.slice(0, 20) });
}

/** The report replaces the last one; the record stays `needs_reconcile` (no history entry: nothing was decided). */
async function writeReport(deps: ReconcileDeps, record: PinRecord, report: ScanReport): Promise<PinRecord> {
  const next: PinRecord = { ...record, scan: report, version: record.version + 1, updatedAt: report.at };
  return deps.pins.replace(record, next);
}

/** The sweeper (schedule `sweep-publishing`): leases that ended → `needs_reconcile`, reconciled at once; then the stuck metric. */
export async function sweepPublishing(deps: ReconcileDeps & { metrics: StuckMetricPort }): Promise<{ swept: number; reconciled: number; stuck: Record<PinterestEnvironment, number> }> {
  const now = deps.clock.now();
  let swept = 0;
  let reconciled = 0;
  const stuck = { sandbox: 0, production: 0 } as Record<PinterestEnvironment, number>;
  for (const env of environments) {
    // A rate limit or an outage stops this run's reconciliations (the sweep itself goes on).
    const pinterest = { paused: false };
    for await (const record of everyRecord(deps, env, 'publishing')) {
      if (record.attempt === undefined || Date.parse(record.attempt.leaseUntil) > now.getTime()) {
        if (isStuck(record, now, deps.reconcile.stuckAfterMinutes)) stuck[env] += 1;
        continue;
      }
      const at = now.toISOString();
      let moved: PinRecord;
      try {
        moved = await deps.pins.replace(
          record,
          nextRecord(
            record,
            'needs_reconcile',
            'sweep',
            at,
            { attempt: undefined, unknownOutcome: { reason: 'The attempt ended without an outcome (its function stopped before writing one): the Pin may or may not exist.', at, attemptId: record.attempt.attemptId, attemptStartedAt: record.attempt.startedAt } },
            { by: 'system', reason: 'lease ended' },
          ),
        );
      } catch (error) {
        if (error instanceof ConflictError) continue; // its attempt wrote an outcome meanwhile
        throw error;
      }
      swept += 1;
      if (pinterest.paused) continue; // reconciled by the schedule once Pinterest answers again
      const after = await reconcileRecord(deps, moved).catch((error: unknown) => {
        if (error instanceof DependencyError) pinterest.paused = true;
        return moved;
      });
      if (after.status === 'published') reconciled += 1;
    }
    for await (const record of everyRecord(deps, env, 'needs_reconcile')) if (isStuck(record, now, deps.reconcile.stuckAfterMinutes)) stuck[env] += 1;
  }
  deps.metrics.stuckRecords(stuck);
  return { swept, reconciled, stuck };
}

/** The `reconcile` schedule: each environment's needs_reconcile records, oldest change first, within the run's budget. */
export async function reconcileAll(deps: ReconcileDeps): Promise<Record<PinterestEnvironment, { tried: number; published: number; stoppedBy?: string }>> {
  const out = {} as Record<PinterestEnvironment, { tried: number; published: number; stoppedBy?: string }>;
  for (const env of environments) {
    const summary: { tried: number; published: number; stoppedBy?: string } = { tried: 0, published: 0 };
    out[env] = summary;
    // Oldest change first: a reconciled record's report makes it the newest, so the next run starts
    // with the ones this run did not reach. Meeting a record tried in this run means all the rest were.
    const tried = new Set<string>();
    for await (const record of everyRecord(deps, env, 'needs_reconcile', true)) {
      if (summary.tried >= deps.reconcile.maxPerRun || tried.has(record.pinId)) break;
      tried.add(record.pinId);
      summary.tried += 1;
      try {
        if ((await reconcileRecord(deps, record)).status === 'published') summary.published += 1;
      } catch (error) {
        if (error instanceof ConflictError) continue; // changed meanwhile (resolved by the operator)
        if (error instanceof DependencyError) {
          // Rate limited, or Pinterest down: the rest waits for the next run.
          summary.stoppedBy = error.summary;
          break;
        }
        throw error;
      }
    }
  }
  return out;
}

/**
 * POST /pins/{id}/check: a needs_reconcile record is reconciled now (with plain errors); a published
 * one is looked up at Pinterest (./pin-check.ts).
 */
export async function checkPin(deps: ReconcileDeps, pinId: string) {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw new NotFoundError(`No Pin record ${pinId}`);
  if (record.status !== 'needs_reconcile') return checkPublishedPin(deps, pinId);
  try {
    const after = await reconcileRecord(deps, record);
    return pinDetail(after, await deps.boards.presence(after.environment, after.content.boardId));
  } catch (error) {
    throw operatorErrorFor(error, record.environment, { action: `list the Pins of board ${record.content.boardId}` });
  }
}

/**
 * POST /pins/{id}/resolve: the operator settles a needs_reconcile record — `published` with a Pin id
 * they found (verified by `GET /v5/pins/{id}`: same board, held by no other record), or `approved`,
 * accepting the risk of a second Pin. Recorded in the history as the operator's decision.
 */
export async function resolvePin(deps: ReconcileDeps, pinId: string, decision: { outcome: 'published'; pinterestPinId: string; version?: number } | { outcome: 'approved'; version?: number }) {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw new NotFoundError(`No Pin record ${pinId}`);
  if (decision.version !== undefined && decision.version !== record.version) {
    throw new ConflictError(`Pin ${pinId} is at version ${String(record.version)}, not ${String(decision.version)}: it changed since it was read`, record.status, { details: { current: pinDetail(record, undefined) } });
  }
  if (record.status !== 'needs_reconcile') throw new ConflictError(`Only a needs_reconcile record is resolved (this one is ${record.status})`, record.status);
  const env = record.environment;
  const at = deps.clock.now().toISOString();
  let next: PinRecord;
  if (decision.outcome === 'approved') {
    next = nextRecord(record, 'approved', 'resolve', at, { unknownOutcome: undefined, scan: undefined }, { by: 'operator', reason: 'the operator chose to publish again, accepting the risk of a second Pin' });
  } else {
    const id = decision.pinterestPinId;
    const answer = await withPinterestToken(deps.tokens, env, (token) => deps.pinterest.getPin(env, token, id)).catch((error: unknown) => {
      throw operatorErrorFor(error, env, { action: `read Pin ${id}`, notFound: `Pinterest ${env} has no Pin ${id}` });
    });
    if (answer.data.board_id !== undefined && answer.data.board_id !== record.content.boardId) {
      throw new ConflictError(`Pin ${id} is on board ${answer.data.board_id}, not on this record's board ${record.content.boardId}`, record.status);
    }
    const holder = await deps.holders.claim(env, id, pinId);
    if (holder !== pinId) throw new ConflictError(`Pin ${id} is already held by record ${holder}`, record.status);
    const published = {
      pinterestPinId: id,
      boardId: answer.data.board_id ?? record.content.boardId,
      ...(answer.data.board_section_id ? { sectionId: answer.data.board_section_id } : {}),
      ...(answer.data.created_at === undefined ? {} : { createdAt: answer.data.created_at }),
      httpStatus: answer.status,
      ...(answer.requestId === undefined ? {} : { requestId: answer.requestId }),
      publishedAt: at,
      url: pinWebUrl(id),
    };
    next = nextRecord(record, 'published', 'resolve', at, { published, unknownOutcome: undefined, scan: undefined }, { by: 'operator', reason: `the operator identified Pin ${id}` });
  }
  const written = decision.outcome === 'published' ? await writeHolding(deps, record, next, decision.pinterestPinId) : await deps.pins.replace(record, next);
  return pinDetail(written, await deps.boards.presence(env, record.content.boardId));
}

/** Writes a record that now holds `pinterestPinId`; if the write loses to a concurrent change, the claim is given back. */
async function writeHolding(deps: ReconcileDeps, record: PinRecord, next: PinRecord, pinterestPinId: string): Promise<PinRecord> {
  try {
    return await deps.pins.replace(record, next);
  } catch (error) {
    if (error instanceof ConflictError) {
      // Give the claim back only if the record does not hold the Pin now (another reconciler of the
      // same record may have won with this very Pin, or the write went through and its answer was lost).
      const now = await deps.pins.get(record.pinId);
      if (now?.published?.pinterestPinId !== pinterestPinId) await deps.holders.release(record.environment, pinterestPinId, record.pinId);
    }
    throw error;
  }
}

function isStuck(record: PinRecord, now: Date, minutes: number): boolean {
  const since = record.unknownOutcome?.attemptStartedAt ?? record.attempt?.startedAt ?? record.updatedAt;
  return now.getTime() - Date.parse(since) > minutes * 60_000;
}

async function* everyRecord(deps: Pick<ReconcileDeps, 'pins'>, env: PinterestEnvironment, status: PinRecord['status'], oldestFirst = false): AsyncGenerator<PinRecord> {
  let cursor: string | undefined;
  do {
    const page = await deps.pins.list(env, status, { limit: 50, oldestFirst, ...(cursor === undefined ? {} : { cursor }) });
    for (const record of page.items) yield record;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

