import { PinterestApiError, PinterestNetworkError, type RateLimit } from '../../shared/adapters/pinterest/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { Attempt, PinRecord } from '../../shared/domain/pins';
import type { SecurityLogPort } from '../../shared/domain/security-event';
import type { MediaPort, PinDeps, PinStorePort } from '../../shared/use-cases/pin-ports';
import { approveDraft, createDraft, type DraftInput } from '../../shared/use-cases/pins';
import type {
  PacingPort,
  PacingVerdict,
  PinCreateBody,
  PinHoldersPort,
  PinterestAnswer,
  PinterestPinFacts,
  PinterestPinsPort,
  PublishDeps,
  PublishSettings,
} from '../../shared/use-cases/publish-ports';
import type { ReconcileDeps, ReconcileSettings, StuckMetricPort } from '../../shared/use-cases/reconcile';
import type { FakeClock } from './fake-clock';
import { BOARDS, MemoryMedia, MemoryPinBoards, MemoryPinStore, PIN_ACCOUNTS, PinIds, SECTIONS, seedScene, type Jitter, type PinState } from './memory-pins';
import { io } from './memory-stores';
import { memoryTokenDeps, seedConnection, type TokenState } from './memory-tokens';

/**
 * Publishing's and reconciliation's ports in memory (PublishDeps, ReconcileDeps), over the drafts'
 * memory ports (./memory-pins.ts) and the token lifecycle's (./memory-tokens.ts) on ONE FakeClock:
 * - MemoryPinsApi: Pinterest's `POST /v5/pins`, `GET /v5/pins/{id}`, `GET /v5/boards/{id}/pins` and
 *   `GET /v5/boards/{id}/sections/{id}/pins` with the real rules: numeric string ids, `created_at` in
 *   UTC without an offset and to the second, lists newest first with keyset bookmark paging (a full
 *   page always carries a bookmark, a short one never), 401 code 2 for an access token the memory
 *   Pinterest does not accept now (so the token source refreshes and retries), 404 for unknown boards,
 *   sections and Pins, and scripted faults per call (see CreateFault, ListFault). Every Pin knows the
 *   record whose publish created it (`origin`), which the real Pinterest cannot tell: the tests' truth.
 * - MemoryHolders: the holder index (PinHolders): a conditional create per Pinterest Pin.
 * - MemoryPacing: the pacing counter (PublishPacing): minimum gap and daily cap per environment.
 * - RecordingMetrics: the stuck-records metric, recorded.
 * - `attempt(pinId, { fault, crash })`: the deps of ONE publish function run, whose Pinterest call can
 *   get a fault and which can be killed at a point: from then on every port it calls throws `Killed`
 *   and does nothing, as a function that stopped (its record is left where it was; its lease ends).
 */

/* ------------------------------------------------------------------------------------------------
 * Pinterest's Pins
 * ---------------------------------------------------------------------------------------------- */

/**
 * A scripted failure of one `POST /v5/pins`:
 * - 'refuse': the connection is refused (PinterestNetworkError beforeSend=true); nothing is created;
 * - 'drop_after_create': the Pin is created, then the answer is lost (beforeSend=false);
 * - 'timeout_no_create': the call times out after sending (beforeSend=false), nothing was created;
 * - server_error: a 5xx, after creating the Pin or not;
 * - rate_limit: 429 with `x-ratelimit-reset`; nothing is created.
 */
export type CreateFault =
  | 'refuse'
  | 'drop_after_create'
  | 'timeout_no_create'
  | { kind: 'server_error'; created: boolean; status?: number }
  | { kind: 'rate_limit'; resetSeconds: number };

/** A scripted failure of one Pin listing or read. */
export type ReadFault = 'server_error' | 'timeout' | 'refuse' | { kind: 'rate_limit'; resetSeconds: number };

export type PinsOp = 'createPin' | 'getPin' | 'listBoardPins' | 'listSectionPins';

export interface PinsCall {
  op: PinsOp;
  environment: PinterestEnvironment;
  accessToken: string;
  /** `ok`, `pending`, or the failing error's code. */
  outcome: string;
  /** The clock's time when the call arrived (ISO). */
  at: string;
  /** createPin: the record whose publish sent it (when sent through `attempt`). */
  origin?: string;
  /** createPin: the Pin created (also when its answer was lost); getPin: the Pin asked for. */
  pinterestPinId?: string;
  boardId?: string;
  sectionId?: string;
  bookmark?: string;
  pageSize?: number;
  /** On a page answered: its items' ids, in order. */
  ids?: string[];
}

/** A Pin as the memory Pinterest keeps it. */
export interface StoredPin {
  id: string;
  seq: number;
  environment: PinterestEnvironment;
  createdMs: number;
  /** `created_at` as sent, when a test wants a particular text (else derived from createdMs). */
  createdAtText?: string;
  boardId: string;
  sectionId: string | null;
  title: string | null;
  description: string | null;
  link: string | null;
  altText: string | null;
  /** The record whose publish created it; undefined: made at Pinterest by someone else (seedPin). */
  origin: string | undefined;
}

const PIN_ID_BASE = 813_744_000_000_000_000n;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 250;

/** Pinterest's `created_at`: UTC, no offset, whole seconds. */
export function pinterestDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function facts(pin: StoredPin): PinterestPinFacts {
  return {
    id: pin.id,
    created_at: pin.createdAtText ?? pinterestDateTime(pin.createdMs),
    board_id: pin.boardId,
    board_section_id: pin.sectionId,
    title: pin.title,
    description: pin.description,
    link: pin.link,
    alt_text: pin.altText,
  };
}

/** Newest first: by creation time, then by the order Pinterest stored them. */
function newestFirst(a: StoredPin, b: StoredPin): number {
  return b.createdMs - a.createdMs || b.seq - a.seq;
}

function encodeBookmark(list: string, pin: StoredPin): string {
  return Buffer.from(`${list}|${String(pin.createdMs)}|${String(pin.seq)}`, 'utf8').toString('base64');
}

function decodeBookmark(list: string, bookmark: string): { createdMs: number; seq: number } | undefined {
  const [name, ms, seq] = Buffer.from(bookmark, 'base64').toString('utf8').split('|');
  if (name !== list || ms === undefined || seq === undefined || !/^-?\d+$/.test(ms) || !/^\d+$/.test(seq)) return undefined;
  return { createdMs: Number(ms), seq: Number(seq) };
}

async function yieldTurns(jitter: Jitter | undefined): Promise<void> {
  const turns = jitter === undefined ? 0 : jitter();
  for (let i = 0; i < turns; i += 1) await io(() => undefined);
}

function readError(env: PinterestEnvironment, fault: ReadFault): Error {
  if (fault === 'server_error') return new PinterestApiError(env, 500, undefined, 'Internal server error', 'memory-pins-request', {});
  if (fault === 'timeout') return new PinterestNetworkError(env, false, 'timeout after the request was sent');
  if (fault === 'refuse') return new PinterestNetworkError(env, true, 'connect ECONNREFUSED');
  return new PinterestApiError(env, 429, 8, 'Rate limit exceeded', 'memory-pins-request', { limit: 1000, remaining: 0, resetSeconds: fault.resetSeconds });
}

export class MemoryPinsApi implements PinterestPinsPort {
  readonly calls: PinsCall[] = [];
  private readonly stored: StoredPin[] = [];
  private seq = 0;
  private requests = 0;
  /** Boards Pinterest knows per environment, with their sections. */
  private readonly boards = new Map<string, Set<string>>();
  private readonly failures = new Map<PinsOp, Array<CreateFault | ReadFault | undefined>>();
  private readonly arrivals: Array<(call: PinsCall) => void> = [];
  /** Extra turns a `POST /v5/pins` answer takes after Pinterest stored (or refused) the Pin: the answer's slow way back. */
  createLag: Jitter | undefined;

  constructor(
    private readonly tokens: { acceptsAccessToken(env: PinterestEnvironment, token: string): boolean },
    private readonly clock: FakeClock,
    private readonly jitter?: Jitter,
  ) {}

  /** A board (and its sections) exists at Pinterest. */
  addBoard(env: PinterestEnvironment, boardId: string, sectionIds: readonly string[] = []): void {
    const key = `${env}#${boardId}`;
    const sections = this.boards.get(key) ?? new Set<string>();
    for (const id of sectionIds) sections.add(id);
    this.boards.set(key, sections);
  }

  /** A Pin made at Pinterest by someone else (or before the test); `createdAt` ms or ISO (default now). */
  seedPin(
    env: PinterestEnvironment,
    pin: { boardId: string; sectionId?: string; title?: string; description?: string; link?: string; altText?: string; createdAt?: number | string; createdAtText?: string; origin?: string },
  ): PinterestPinFacts {
    const createdMs = pin.createdAt === undefined ? this.clock.now().getTime() : typeof pin.createdAt === 'number' ? pin.createdAt : Date.parse(pin.createdAt);
    return facts(
      this.store(env, {
        boardId: pin.boardId,
        sectionId: pin.sectionId ?? null,
        title: pin.title ?? null,
        description: pin.description ?? null,
        link: pin.link ?? null,
        altText: pin.altText ?? null,
        createdMs,
        origin: pin.origin,
        ...(pin.createdAtText === undefined ? {} : { createdAtText: pin.createdAtText }),
      }),
    );
  }

  /** The next calls of `op` fail in this order (undefined: that call goes through). */
  failNext(op: 'createPin', ...faults: Array<CreateFault | undefined>): void;
  failNext(op: Exclude<PinsOp, 'createPin'>, ...faults: Array<ReadFault | undefined>): void;
  failNext(op: PinsOp, ...faults: Array<CreateFault | ReadFault | undefined>): void {
    this.failures.set(op, [...(this.failures.get(op) ?? []), ...faults]);
  }

  /** Forgets every scripted failure. */
  clearFailures(): void {
    this.failures.clear();
  }

  /** Called on every call as it arrives at Pinterest (before the token is looked at). */
  onArrival(listener: (call: PinsCall) => void): void {
    this.arrivals.push(listener);
  }

  /** Every Pin of the environment (copies), oldest first. */
  pins(env?: PinterestEnvironment): StoredPin[] {
    return this.stored.filter((pin) => env === undefined || pin.environment === env).map((pin) => ({ ...pin }));
  }

  /** The Pins on a board (in a section, when given), newest first (copies). */
  pinsOn(env: PinterestEnvironment, boardId: string, sectionId?: string): StoredPin[] {
    return this.pins(env)
      .filter((pin) => pin.boardId === boardId && (sectionId === undefined || pin.sectionId === sectionId))
      .sort(newestFirst);
  }

  pin(env: PinterestEnvironment, pinterestPinId: string): StoredPin | undefined {
    const pin = this.stored.find((p) => p.environment === env && p.id === pinterestPinId);
    return pin === undefined ? undefined : { ...pin };
  }

  /** The createPin calls that reached Pinterest (optionally of one record's publish). */
  posts(origin?: string): PinsCall[] {
    return this.calls.filter((call) => call.op === 'createPin' && (origin === undefined || call.origin === origin));
  }

  createPin(env: PinterestEnvironment, token: string, body: PinCreateBody): Promise<PinterestAnswer<PinterestPinFacts>> {
    return this.create(env, token, body, {});
  }

  /** `POST /v5/pins` sent by the publish of record `origin`, with this call's fault (else a scripted one). */
  async create(env: PinterestEnvironment, token: string, body: PinCreateBody, options: { origin?: string; fault?: CreateFault }): Promise<PinterestAnswer<PinterestPinFacts>> {
    return this.call({ op: 'createPin', environment: env, accessToken: token, boardId: body.board_id, ...(options.origin === undefined ? {} : { origin: options.origin }) }, (call) => {
      const fault = options.fault ?? (this.failures.get('createPin')?.shift() as CreateFault | undefined);
      const make = (): StoredPin => {
        const pin = this.store(env, {
          boardId: body.board_id,
          sectionId: body.board_section_id ?? null,
          title: body.title ?? null,
          description: body.description ?? null,
          link: body.link ?? null,
          altText: body.alt_text ?? null,
          createdMs: this.clock.now().getTime(),
          origin: options.origin,
        });
        call.pinterestPinId = pin.id;
        return pin;
      };
      this.checkPlacement(env, body.board_id, body.board_section_id);
      if (fault === 'refuse') throw new PinterestNetworkError(env, true, 'connect ECONNREFUSED');
      if (fault === 'timeout_no_create') throw new PinterestNetworkError(env, false, 'timeout after the request was sent');
      if (fault === 'drop_after_create') {
        make();
        throw new PinterestNetworkError(env, false, 'socket hang up');
      }
      if (fault !== undefined && fault.kind === 'rate_limit') {
        throw new PinterestApiError(env, 429, 8, 'Rate limit exceeded', this.requestId(), { limit: 1000, remaining: 0, resetSeconds: fault.resetSeconds });
      }
      if (fault !== undefined) {
        if (fault.created) make();
        throw new PinterestApiError(env, fault.status ?? 500, undefined, 'Internal server error', this.requestId(), {});
      }
      return { status: 201, data: facts(make()) };
    });
  }

  getPin(env: PinterestEnvironment, token: string, pinId: string): Promise<PinterestAnswer<PinterestPinFacts>> {
    return this.call({ op: 'getPin', environment: env, accessToken: token, pinterestPinId: pinId }, () => {
      this.readFault('getPin', env);
      const pin = /^\d+$/.test(pinId) ? this.stored.find((p) => p.environment === env && p.id === pinId) : undefined;
      if (pin === undefined) throw new PinterestApiError(env, 404, 50, 'Pin not found.', this.requestId(), {});
      return { status: 200, data: facts(pin) };
    });
  }

  listBoardPins(env: PinterestEnvironment, token: string, boardId: string, options: { pageSize?: number; bookmark?: string }): Promise<PinterestAnswer<{ items: PinterestPinFacts[]; bookmark: string | null }>> {
    return this.call({ op: 'listBoardPins', environment: env, accessToken: token, boardId, ...pageFields(options) }, (call) => {
      this.readFault('listBoardPins', env);
      this.checkPlacement(env, boardId, undefined);
      return { status: 200, data: this.page(env, `pins:${boardId}`, this.stored.filter((pin) => pin.environment === env && pin.boardId === boardId), options, call) };
    });
  }

  listSectionPins(env: PinterestEnvironment, token: string, boardId: string, sectionId: string, options: { pageSize?: number; bookmark?: string }): Promise<PinterestAnswer<{ items: PinterestPinFacts[]; bookmark: string | null }>> {
    return this.call({ op: 'listSectionPins', environment: env, accessToken: token, boardId, sectionId, ...pageFields(options) }, (call) => {
      this.readFault('listSectionPins', env);
      this.checkPlacement(env, boardId, sectionId);
      const pins = this.stored.filter((pin) => pin.environment === env && pin.boardId === boardId && pin.sectionId === sectionId);
      return { status: 200, data: this.page(env, `pins:${boardId}:${sectionId}`, pins, options, call) };
    });
  }

  /** One call: recorded, a turn (or a few) taken, the token checked, then `answer`. */
  private async call<T>(fields: Omit<PinsCall, 'outcome' | 'at'>, answer: (call: PinsCall) => { status: number; data: T }): Promise<PinterestAnswer<T>> {
    const call: PinsCall = { ...fields, outcome: 'pending', at: this.clock.now().toISOString() };
    this.calls.push(call);
    for (const listener of this.arrivals) listener(call);
    await io(() => undefined);
    await yieldTurns(this.jitter);
    try {
      if (!this.tokens.acceptsAccessToken(fields.environment, fields.accessToken)) throw new PinterestApiError(fields.environment, 401, 2, 'Authentication failed.', this.requestId(), {});
      const { status, data } = answer(call);
      call.outcome = 'ok';
      const rateLimit: RateLimit = { limit: 1000, remaining: 999 };
      const result = { status, data: structuredClone(data), requestId: this.requestId(), rateLimit };
      await yieldTurns(this.jitter);
      if (fields.op === 'createPin') await yieldTurns(this.createLag);
      return result;
    } catch (error) {
      call.outcome = error instanceof PinterestApiError || error instanceof PinterestNetworkError ? error.code : 'error';
      if (fields.op === 'createPin') await yieldTurns(this.createLag);
      throw error;
    }
  }

  private readFault(op: Exclude<PinsOp, 'createPin'>, env: PinterestEnvironment): void {
    const fault = this.failures.get(op)?.shift() as ReadFault | undefined;
    if (fault !== undefined) throw readError(env, fault);
  }

  private checkPlacement(env: PinterestEnvironment, boardId: string, sectionId: string | undefined): void {
    const sections = this.boards.get(`${env}#${boardId}`);
    if (sections === undefined) throw new PinterestApiError(env, 404, 40, 'Board not found.', this.requestId(), {});
    if (sectionId !== undefined && !sections.has(sectionId)) throw new PinterestApiError(env, 404, 404, 'Section not found.', this.requestId(), {});
  }

  private requestId(): string {
    this.requests += 1;
    return `memory-pins-${String(this.requests)}`;
  }

  private store(env: PinterestEnvironment, pin: Omit<StoredPin, 'id' | 'seq' | 'environment'>): StoredPin {
    this.seq += 1;
    const stored: StoredPin = { ...pin, id: (PIN_ID_BASE + BigInt(this.seq)).toString(), seq: this.seq, environment: env };
    this.stored.push(stored);
    return { ...stored };
  }

  private page(env: PinterestEnvironment, list: string, pins: readonly StoredPin[], options: { pageSize?: number; bookmark?: string }, call: PinsCall): { items: PinterestPinFacts[]; bookmark: string | null } {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new PinterestApiError(env, 400, 1, `${String(pageSize)} is not a valid page_size - 'page_size'`, this.requestId(), {});
    }
    let after: { createdMs: number; seq: number } | undefined;
    if (options.bookmark !== undefined && options.bookmark !== '') {
      after = decodeBookmark(list, options.bookmark);
      if (after === undefined) throw new PinterestApiError(env, 400, 1, "Invalid bookmark - 'bookmark'", this.requestId(), {});
    }
    const from = after;
    const sorted = [...pins].sort(newestFirst).filter((pin) => from === undefined || pin.createdMs < from.createdMs || (pin.createdMs === from.createdMs && pin.seq < from.seq));
    const slice = sorted.slice(0, pageSize);
    const last = slice.at(-1);
    call.ids = slice.map((pin) => pin.id);
    return { items: slice.map(facts), bookmark: slice.length === pageSize && last !== undefined ? encodeBookmark(list, last) : null };
  }
}

function pageFields(options: { pageSize?: number; bookmark?: string }): Pick<PinsCall, 'pageSize' | 'bookmark'> {
  return { ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }), ...(options.bookmark === undefined ? {} : { bookmark: options.bookmark }) };
}

/* ------------------------------------------------------------------------------------------------
 * Holder index, pacing, metric
 * ---------------------------------------------------------------------------------------------- */

/** As PinHolders: one item per Pinterest Pin, created only when free; a claim answers the holder there is now. */
export class MemoryHolders implements PinHoldersPort {
  private readonly holders = new Map<string, string>();
  /** Every claim, in order, with the holder it answered. */
  readonly claims: Array<{ env: PinterestEnvironment; pinterestPinId: string; pinId: string; holder: string }> = [];
  /** Every release asked for, and whether it removed the item. */
  readonly releases: Array<{ env: PinterestEnvironment; pinterestPinId: string; pinId: string; released: boolean }> = [];

  constructor(private readonly jitter?: Jitter) {}

  async claim(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<string> {
    await yieldTurns(this.jitter);
    return io(() => {
      const key = `${env}#${pinterestPinId}`;
      const holder = this.holders.get(key) ?? pinId;
      this.holders.set(key, holder);
      this.claims.push({ env, pinterestPinId, pinId, holder });
      return holder;
    });
  }

  async holderOf(env: PinterestEnvironment, pinterestPinId: string): Promise<string | undefined> {
    await yieldTurns(this.jitter);
    return io(() => this.holders.get(`${env}#${pinterestPinId}`));
  }

  /** As PinHolders.release: the item goes only while `pinId` holds it (a conditional delete). */
  async release(env: PinterestEnvironment, pinterestPinId: string, pinId: string): Promise<void> {
    await yieldTurns(this.jitter);
    return io(() => {
      const key = `${env}#${pinterestPinId}`;
      const released = this.holders.get(key) === pinId;
      if (released) this.holders.delete(key);
      this.releases.push({ env, pinterestPinId, pinId, released });
    });
  }

  /** Seeds a holder (a record that held the Pin before the test). */
  seed(env: PinterestEnvironment, pinterestPinId: string, pinId: string): void {
    this.holders.set(`${env}#${pinterestPinId}`, pinId);
  }

  /** The holder now, synchronously, for assertions. */
  holder(env: PinterestEnvironment, pinterestPinId: string): string | undefined {
    return this.holders.get(`${env}#${pinterestPinId}`);
  }

  /** Every holder item: `env#pinterestPinId` → record id. */
  all(): Map<string, string> {
    return new Map(this.holders);
  }
}

const DAY_MS = 86_400_000;

/** As PublishPacing: the last write's time and record, and today's count (UTC), taken in one conditional step. */
export class MemoryPacing implements PacingPort {
  private readonly counters = new Map<PinterestEnvironment, { day?: string; count?: number; lastWriteAt?: number; lastPinId?: string }>();
  /** Every reservation asked for, with its verdict. */
  readonly reservations: Array<{ env: PinterestEnvironment; pinId: string; verdict: PacingVerdict }> = [];
  readonly refunds: Array<{ env: PinterestEnvironment; pinId: string; refunded: boolean }> = [];

  constructor(
    private readonly clock: FakeClock,
    readonly settings: { minGapSeconds: number; dailyCap: number },
  ) {}

  /** Today's count and the last write, for assertions. */
  counter(env: PinterestEnvironment): { day?: string; count?: number; lastWriteAt?: number; lastPinId?: string } {
    return { ...this.counters.get(env) };
  }

  reserve(env: PinterestEnvironment, pinId: string): Promise<PacingVerdict> {
    return io(() => {
      const now = this.clock.now().getTime();
      const today = new Date(now).toISOString().slice(0, 10);
      const gapStart = now - this.settings.minGapSeconds * 1000;
      const counter = this.counters.get(env) ?? {};
      const gapPassed = counter.lastWriteAt === undefined || counter.lastWriteAt <= gapStart;
      let verdict: PacingVerdict;
      if (this.settings.dailyCap > 0 && gapPassed && (counter.day !== today || (counter.count ?? 0) < this.settings.dailyCap)) {
        const count = counter.day === today ? (counter.count ?? 0) + 1 : 1;
        this.counters.set(env, { day: today, count, lastWriteAt: now, lastPinId: pinId });
        verdict = { allowed: true };
      } else if (this.settings.dailyCap <= 0 || (counter.day === today && (counter.count ?? 0) >= this.settings.dailyCap)) {
        const midnight = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
        verdict = { allowed: false, reason: 'daily_cap', retryAfterSeconds: Math.max(1, Math.ceil((midnight - now) / 1000)), cap: this.settings.dailyCap };
      } else {
        const wait = (counter.lastWriteAt ?? now) + this.settings.minGapSeconds * 1000 - now;
        verdict = { allowed: false, reason: 'gap', retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)), ...(counter.lastPinId === undefined ? {} : { holder: counter.lastPinId }) };
      }
      this.reservations.push({ env, pinId, verdict });
      return verdict;
    });
  }

  refund(env: PinterestEnvironment, pinId: string): Promise<void> {
    return io(() => {
      const today = this.clock.now().toISOString().slice(0, 10);
      const counter = this.counters.get(env);
      const refunded = counter !== undefined && counter.day === today && (counter.count ?? 0) > 0 && counter.lastPinId === pinId;
      if (refunded) this.counters.set(env, { ...counter, count: (counter.count ?? 0) - 1 });
      this.refunds.push({ env, pinId, refunded });
    });
  }
}

/** The StuckPinRecords metric, recorded. */
export class RecordingMetrics implements StuckMetricPort {
  readonly reports: Array<Record<PinterestEnvironment, number>> = [];

  stuckRecords(counts: Record<PinterestEnvironment, number>): void {
    this.reports.push({ ...counts });
  }
}

/* ------------------------------------------------------------------------------------------------
 * One publish function run: faults and a kill point
 * ---------------------------------------------------------------------------------------------- */

/**
 * The sentinel of a killed function: thrown by every port the run calls from its kill point on, so
 * nothing after it happens (no write, no log). Tests treat it as "the function stopped here".
 */
export class Killed extends Error {
  constructor(where = 'here') {
    super(`the function was killed ${where} (simulated)`);
    this.name = 'Killed';
  }
}

/**
 * Where a run is killed:
 * - before_claim: the pacing slot was taken, the claim (→ publishing) is never written;
 * - before_send: claimed, killed before `POST /v5/pins`;
 * - after_send: the Pin is created, killed before anything else (the answer never used);
 * - after_holder: the Pin is created and claimed in the holder index, killed before `published` is written;
 * - at_outcome: killed as the outcome (whatever it is) would be written.
 */
export type CrashPoint = 'before_claim' | 'before_send' | 'after_send' | 'after_holder' | 'at_outcome';

export interface PostedWhile {
  status: PinRecord['status'] | undefined;
  attemptId: string | undefined;
  /** Whether the record's history has ever reached `published`. */
  publishedBefore: boolean;
  at: number;
}

export interface AttemptRun {
  deps: PublishDeps;
  /** The attempt this run claimed the record with, once it has. */
  readonly claimed: Attempt | undefined;
  /** The record as it was when each of this run's `POST /v5/pins` left (status, attempt id, ever published), and the time. */
  readonly postedWhile: ReadonlyArray<PostedWhile>;
  /** Whether the run was killed (and where). */
  readonly killed: CrashPoint | undefined;
  /** How many `POST /v5/pins` this run sent (reached Pinterest). */
  readonly posts: number;
}

/** A port whose every method throws Killed once the run is dead (and otherwise calls through). */
function guarded<T extends object>(port: T, isDead: () => boolean): T {
  return new Proxy(port, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        if (isDead()) return Promise.reject(new Killed('earlier'));
        return method.apply(target, args);
      };
    },
  });
}

/* ------------------------------------------------------------------------------------------------
 * Wiring
 * ---------------------------------------------------------------------------------------------- */

export interface PublishState extends PinState {
  tokens: TokenState;
  api: MemoryPinsApi;
  holders: MemoryHolders;
  pacing: MemoryPacing;
  metrics: RecordingMetrics;
}

export interface MemoryPublishOptions {
  /** Extra turns each store, media and holder call waits: a race test's interleavings. */
  jitter?: Jitter;
  /** Extra turns each Pinterest call waits on its way in and on its answer's way back (the jitter when not given). */
  pinterestJitter?: Jitter;
  /** Extra turns a `POST /v5/pins` answer takes after the Pin was made (MemoryPinsApi.createLag). */
  createLag?: Jitter;
  minGapSeconds?: number;
  dailyCap?: number;
  settings?: Partial<PublishSettings>;
  reconcile?: Partial<ReconcileSettings>;
}

/** As shared/wiring-publish.ts and shared/wiring-reconcile.ts set them. */
export const publishSettings: PublishSettings = { accessTier: 'standard', createTimeoutMs: 8_000, leaseMs: 120_000 };
/** How long after an attempt's start its Pin can have been created: the lease plus the same slack. */
const windowAfter = { windowAfterMs: publishSettings.leaseMs + 2 * 60_000 };
export const reconcileSettings: ReconcileSettings = { pageSize: 100, pageCap: 5, windowMs: 2 * 60_000, maxPerRun: 20, stuckAfterMinutes: 30, ...windowAfter };

export interface MemoryPublish {
  deps: PublishDeps;
  reconcileDeps: ReconcileDeps & { metrics: RecordingMetrics };
  state: PublishState;
  /** The deps of one publish function run for record `pinId`: its POST tagged with the record, a fault, a kill point. */
  attempt(pinId: string, options?: { fault?: CreateFault; crash?: CrashPoint }): AttemptRun;
  /** A draft created and approved by the operator (the use cases themselves): the approved record. */
  approved(input: Omit<DraftInput, 'environment' | 'image'> & { environment?: PinterestEnvironment; image?: DraftInput['image'] }): Promise<PinRecord>;
}

/**
 * PublishDeps and ReconcileDeps on fresh in-memory ports, one clock (2026-03-01T09:00Z): the standard
 * scene of memory-pins.ts (boards PLAIN, OTHER, UNCACHED, GROUP and their sections in both
 * environments, known to the memory Pinterest too), connections seeded in both environments through
 * the token lifecycle's ports, pacing with no gap by default.
 */
export function memoryPublishDeps(options: MemoryPublishOptions = {}): MemoryPublish {
  const tokens = memoryTokenDeps();
  const { clock } = tokens.state;
  const api = new MemoryPinsApi(tokens.state.pinterest, clock, options.pinterestJitter ?? options.jitter);
  api.createLag = options.createLag;
  const state: PublishState = {
    clock,
    pins: new MemoryPinStore(options.jitter),
    media: new MemoryMedia(options.jitter),
    boards: new MemoryPinBoards(clock),
    accounts: tokens.state.accounts,
    ids: new PinIds(),
    tokens: tokens.state,
    api,
    holders: new MemoryHolders(options.jitter),
    pacing: new MemoryPacing(clock, { minGapSeconds: options.minGapSeconds ?? 0, dailyCap: options.dailyCap ?? 10_000 }),
    metrics: new RecordingMetrics(),
  };
  seedScene(state);
  for (const env of ['sandbox', 'production'] as const) {
    const accountId = PIN_ACCOUNTS[env];
    seedConnection(tokens.state, env, { account: { accountId, secretName: `tokens/${env}/${accountId}/connection-0` } });
    api.addBoard(env, BOARDS.PLAIN, [SECTIONS.PLAIN_1, SECTIONS.PLAIN_2]);
    api.addBoard(env, BOARDS.OTHER, [SECTIONS.OTHER_1]);
    api.addBoard(env, BOARDS.UNCACHED);
    api.addBoard(env, BOARDS.GROUP, [SECTIONS.GROUP_1]);
  }
  const settings = { ...publishSettings, ...options.settings };
  const base: PinDeps = { clock, newId: state.ids.newId, pins: state.pins, media: state.media, boards: state.boards, accounts: state.accounts };
  const deps: PublishDeps = { ...base, holders: state.holders, tokens: tokens.deps, pinterest: api, pacing: state.pacing, securityLog: tokens.state.log, settings };
  const reconcileDeps = {
    clock,
    pins: state.pins,
    boards: state.boards,
    tokens: tokens.deps,
    pinterest: api,
    holders: state.holders,
    reconcile: { ...reconcileSettings, ...options.reconcile },
    metrics: state.metrics,
  };

  const attempt = (pinId: string, run: { fault?: CreateFault; crash?: CrashPoint } = {}): AttemptRun => {
    let killed: CrashPoint | undefined;
    let posts = 0;
    let claimed: Attempt | undefined;
    const postedWhile: PostedWhile[] = [];
    let fault = run.fault;
    const isDead = () => killed !== undefined;
    const die = (point: CrashPoint): never => {
      killed = point;
      throw new Killed(point.replace('_', ' '));
    };
    const pins: PinStorePort = guarded<PinStorePort>(
      {
        create: (record) => state.pins.create(record),
        get: (id) => state.pins.get(id),
        replace: async (current, next) => {
          if (run.crash === 'before_claim' && next.status === 'publishing') die('before_claim');
          if (run.crash === 'at_outcome' && current.status === 'publishing') die('at_outcome');
          const written = await state.pins.replace(current, next);
          if (written.status === 'publishing') claimed = written.attempt;
          return written;
        },
        remove: (current) => state.pins.remove(current),
        list: (env, status, page) => state.pins.list(env, status, page),
      },
      isDead,
    );
    const holders: PinHoldersPort = guarded<PinHoldersPort>(
      {
        claim: async (env, pinterestPinId, id) => {
          const holder = await state.holders.claim(env, pinterestPinId, id);
          if (run.crash === 'after_holder') die('after_holder');
          return holder;
        },
        holderOf: (env, pinterestPinId) => state.holders.holderOf(env, pinterestPinId),
        release: (env, pinterestPinId, id) => state.holders.release(env, pinterestPinId, id),
      },
      isDead,
    );
    const pinterest: PinterestPinsPort = guarded<PinterestPinsPort>(
      {
        createPin: async (env, token, body) => {
          if (run.crash === 'before_send') die('before_send');
          posts += 1;
          const now = state.pins.record(pinId);
          postedWhile.push({
            status: now?.status,
            attemptId: now?.attempt?.attemptId,
            publishedBefore: now?.history.some((entry) => entry.to === 'published') === true,
            at: clock.now().getTime(),
          });
          const thisFault = fault;
          try {
            const answer = await api.create(env, token, body, { origin: pinId, ...(thisFault === undefined ? {} : { fault: thisFault }) });
            fault = undefined;
            if (run.crash === 'after_send') die('after_send');
            return answer;
          } catch (error) {
            // A 401 code 2 is answered before Pinterest looks at the Pin: the fault is for the retry.
            if (!(error instanceof PinterestApiError && error.status === 401)) fault = undefined;
            throw error;
          }
        },
        getPin: (env, token, id) => api.getPin(env, token, id),
        listBoardPins: (env, token, boardId, page) => api.listBoardPins(env, token, boardId, page),
        listSectionPins: (env, token, boardId, sectionId, page) => api.listSectionPins(env, token, boardId, sectionId, page),
      },
      isDead,
    );
    const runDeps: PublishDeps = {
      ...deps,
      pins,
      holders,
      pinterest,
      media: guarded<MediaPort>(state.media, isDead),
      boards: guarded(state.boards, isDead),
      accounts: guarded(state.accounts, isDead),
      pacing: guarded<PacingPort>(state.pacing, isDead),
      securityLog: guarded<SecurityLogPort>(tokens.state.log, isDead),
    };
    return {
      deps: runDeps,
      get claimed() {
        return claimed;
      },
      postedWhile,
      get killed() {
        return killed;
      },
      get posts() {
        return posts;
      },
    };
  };

  const approved: MemoryPublish['approved'] = async (input) => {
    const { environment = 'sandbox', image = { kind: 'url', url: 'https://images.example.test/tea.jpg' }, ...fields } = input;
    const draft = await createDraft(base, { ...fields, environment, image });
    await approveDraft(base, draft.id, draft.version);
    const record = state.pins.record(draft.id);
    if (record === undefined) throw new Error('the approved draft is not stored');
    return record;
  };

  return { deps, reconcileDeps, state, attempt, approved };
}
