import { PinterestApiError, PinterestNetworkError, type RateLimit } from '../../shared/adapters/pinterest/errors';
import type { AsyncInvokerPort } from '../../shared/domain/async-invocation';
import {
  boardRecordSchema,
  environmentOfJob,
  sectionsRecordSchema,
  snapshotSchema,
  syncJobSchema,
  type BoardRecord,
  type ListedBoard,
  type SectionsRecord,
  type Snapshot,
  type SyncJob,
} from '../../shared/domain/boards';
import { ConflictError, ValidationError } from '../../shared/domain/errors';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { PinterestBoard, PinterestSection } from '../../shared/domain/pinterest-api';
import { epochSeconds, type Clock } from '../../shared/domain/time';
import type { FunctionId } from '../../shared/routes';
import type { BoardDeps, BoardSettings, BoardStorePort, PageAnswer, PinterestBoardsPort, SyncJobsPort } from '../../shared/use-cases/board-ports';
import { runBoardSync, type StartSyncDeps } from '../../shared/use-cases/board-sync';
import type { FakeClock } from './fake-clock';
import { MIRA, type MemoryPinterest } from './memory-pinterest';
import { io } from './memory-stores';
import { memoryTokenDeps, type TokenOverrides, type TokenState } from './memory-tokens';

/**
 * The board features' ports in memory (BoardDeps), with the rules of the real adapters
 * (shared/adapters/dynamo/board-store.ts, board-sync-jobs.ts, table.ts) and of Pinterest's board API
 * (keyset bookmark paging, rate-limit headers, 429s), wired to the token lifecycle's memory ports so
 * every Pinterest call goes through withPinterestToken: the calls check the access token as the
 * memory Pinterest issued it (401 code 2 otherwise).
 */

/* ------------------------------------------------------------------------------------------------
 * The snapshot
 * ---------------------------------------------------------------------------------------------- */

type Item = Record<string, unknown>;

const boardSk = (boardId: string) => `BOARD#${boardId}`;
const sectionsSk = (boardId: string) => `SECTIONS#${boardId}`;
const SNAPSHOT_SK = 'SNAPSHOT';
const partitionOf = (env: PinterestEnvironment) => `BOARDS#${env}`;

/** What one call of the store did: BatchWriteItem calls made, queries run. */
export interface BoardWrite {
  op: 'putBoards' | 'putBoard' | 'putSections' | 'putSnapshot';
  items: number;
  batchCalls: number;
}

/**
 * One environment's snapshot as the real BoardStore keeps it in its partition `BOARDS#<env>`: boards,
 * cached sections and the snapshot record, each a whole item replaced by every write (BatchWriteItem
 * puts, in calls of 25). Listing pages the partition as DynamoDB does (sort-key order, a cursor after
 * a page that hit its limit, even when nothing follows), with the real store's filter loop on top.
 */
export class MemoryBoardStore implements BoardStorePort {
  private readonly partitions = new Map<PinterestEnvironment, Map<string, Item>>();
  /** Every write, in order. */
  readonly writes: BoardWrite[] = [];
  /** DynamoDB queries run (listing and stale removal). */
  queries = 0;
  private readonly putFailures: Array<{ op: BoardWrite['op']; error: Error }> = [];

  /** BatchWriteItem calls made by `putBoards` (the sync's page writes). */
  get boardBatchCalls(): number {
    return this.writes.filter((write) => write.op === 'putBoards').reduce((sum, write) => sum + write.batchCalls, 0);
  }

  /** Every BatchWriteItem call made. */
  get batchCalls(): number {
    return this.writes.reduce((sum, write) => sum + write.batchCalls, 0);
  }

  /** The next `op` fails with `error` before it writes anything (DynamoDB unreachable, or the function killed there). */
  failNext(op: BoardWrite['op'], error: Error = new Error('simulated DynamoDB failure')): void {
    this.putFailures.push({ op, error });
  }

  /** The environment's boards in board-id order (copies), for assertions. */
  boardsOf(env: PinterestEnvironment): BoardRecord[] {
    return this.sorted(env, 'BOARD#').map((item) => boardRecordSchema.parse(item));
  }

  boardIdsOf(env: PinterestEnvironment): string[] {
    return this.boardsOf(env).map((board) => board.boardId);
  }

  /** The cached sections of a board, if any (a copy). */
  sectionsOf(env: PinterestEnvironment, boardId: string): SectionsRecord | undefined {
    const item = this.partition(env).get(sectionsSk(boardId));
    return item === undefined ? undefined : sectionsRecordSchema.parse(item);
  }

  snapshotOf(env: PinterestEnvironment): Snapshot | undefined {
    const item = this.partition(env).get(SNAPSHOT_SK);
    return item === undefined ? undefined : snapshotSchema.parse(item);
  }

  /** Puts a board in place as an earlier sync or creation would have left it. */
  seed(record: BoardRecord): void {
    this.partition(record.environment).set(boardSk(record.boardId), this.item(record.environment, boardSk(record.boardId), record));
  }

  /** Puts a board's cached sections in place, as a fetch would have (no write recorded). */
  seedSections(env: PinterestEnvironment, record: SectionsRecord): void {
    this.partition(env).set(sectionsSk(record.boardId), this.item(env, sectionsSk(record.boardId), record));
  }

  putBoards(records: readonly BoardRecord[]): Promise<number> {
    return this.batchPut('putBoards', records.map((record) => [record.environment, boardSk(record.boardId), record] as const));
  }

  async putBoard(record: BoardRecord): Promise<void> {
    await this.batchPut('putBoard', [[record.environment, boardSk(record.boardId), record]]);
  }

  getBoard(env: PinterestEnvironment, boardId: string): Promise<BoardRecord | undefined> {
    return io(() => {
      const item = this.partition(env).get(boardSk(boardId));
      return item === undefined ? undefined : boardRecordSchema.parse(item);
    });
  }

  /** The real store's loop, over DynamoDB-like query pages (100 at a time when filtering). */
  async listBoards(
    env: PinterestEnvironment,
    options: { limit: number; cursor?: string; filter?: (board: BoardRecord) => boolean },
  ): Promise<{ items: ListedBoard[]; cursor?: string }> {
    const kept: BoardRecord[] = [];
    let cursor = options.cursor;
    let next: string | undefined;
    scan: do {
      const page = await this.query(env, options.filter === undefined ? options.limit : 100, cursor);
      for (const board of page.items) {
        if (options.filter !== undefined && !options.filter(board)) continue;
        kept.push(board);
        if (kept.length === options.limit) {
          const more = board !== page.items.at(-1) || page.cursor !== undefined;
          if (more) next = encodeCursor(env, boardSk(board.boardId));
          break scan;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    // As the real store: the counts come from the cached sections records, read at listing time.
    const items = await io(() => {
      this.queries += kept.length === 0 ? 0 : 1;
      return kept.map((board): ListedBoard => {
        const sections = this.partition(env).get(sectionsSk(board.boardId));
        return sections === undefined ? board : { ...board, sectionCount: sectionsRecordSchema.parse(sections).sections.length };
      });
    });
    return next === undefined ? { items } : { items, cursor: next };
  }

  async removeStale(env: PinterestEnvironment, since: string): Promise<number> {
    let removed = 0;
    const kept = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.query(env, 200, cursor);
      for (const board of page.items) {
        if (board.syncedAt >= since) {
          kept.add(board.boardId);
          continue;
        }
        await io(() => this.partition(env).delete(boardSk(board.boardId)));
        await io(() => this.partition(env).delete(sectionsSk(board.boardId)));
        removed += 1;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    // Then cached sections whose board is gone (a fetch that finished after its board was removed).
    const orphans = await io(() => {
      this.queries += 1;
      return this.sorted(env, 'SECTIONS#').map((item) => sectionsRecordSchema.parse(item).boardId).filter((boardId) => !kept.has(boardId));
    });
    for (const boardId of orphans) await io(() => this.partition(env).delete(sectionsSk(boardId)));
    return removed;
  }

  getSections(env: PinterestEnvironment, boardId: string): Promise<SectionsRecord | undefined> {
    return io(() => this.sectionsOf(env, boardId));
  }

  /** As the real store: only the sections record (the board record stays the sync's). */
  async putSections(env: PinterestEnvironment, record: SectionsRecord): Promise<void> {
    await this.batchPut('putSections', [[env, sectionsSk(record.boardId), record]]);
  }

  getSnapshot(env: PinterestEnvironment): Promise<Snapshot | undefined> {
    return io(() => this.snapshotOf(env));
  }

  async putSnapshot(env: PinterestEnvironment, snapshot: Snapshot): Promise<void> {
    await this.batchPut('putSnapshot', [[env, SNAPSHOT_SK, snapshot]]);
  }

  private async batchPut(op: BoardWrite['op'], items: ReadonlyArray<readonly [PinterestEnvironment, string, object]>): Promise<number> {
    const failure = this.putFailures.findIndex((entry) => entry.op === op);
    if (failure >= 0) {
      const [entry] = this.putFailures.splice(failure, 1);
      await io(() => undefined);
      throw entry?.error ?? new Error('simulated DynamoDB failure');
    }
    let calls = 0;
    for (let start = 0; start < items.length; start += 25) {
      calls += 1;
      // Each BatchWriteItem call is its own round trip: another caller may write between them.
      await io(() => {
        for (const [env, sk, value] of items.slice(start, start + 25)) this.partition(env).set(sk, this.item(env, sk, value));
      });
    }
    this.writes.push({ op, items: items.length, batchCalls: calls });
    return calls;
  }

  /** One DynamoDB Query of the partition's boards in sort-key order: a cursor whenever it stopped at `limit`. */
  private query(env: PinterestEnvironment, limit: number, cursor: string | undefined): Promise<{ items: BoardRecord[]; cursor?: string }> {
    return io(() => {
      this.queries += 1;
      const after = cursor === undefined ? undefined : decodeCursor(env, cursor);
      const partition = this.partition(env);
      const keys = [...partition.keys()].filter((sk) => sk.startsWith('BOARD#') && (after === undefined || sk > after)).sort(bySortKey).slice(0, limit);
      const records = keys.map((sk) => boardRecordSchema.parse(structuredClone(partition.get(sk))));
      const last = keys.at(-1);
      return keys.length === limit && last !== undefined ? { items: records, cursor: encodeCursor(env, last) } : { items: records };
    });
  }

  private sorted(env: PinterestEnvironment, prefix: string): Item[] {
    return [...this.partition(env).entries()]
      .filter(([sk]) => sk.startsWith(prefix))
      .sort(([a], [b]) => bySortKey(a, b))
      .map(([, item]) => structuredClone(item));
  }

  private item(env: PinterestEnvironment, sk: string, value: object): Item {
    return structuredClone({ pk: partitionOf(env), sk, ...value });
  }

  private partition(env: PinterestEnvironment): Map<string, Item> {
    let partition = this.partitions.get(env);
    if (partition === undefined) {
      partition = new Map();
      this.partitions.set(env, partition);
    }
    return partition;
  }
}

/** DynamoDB orders sort keys by their bytes; for these ASCII keys that is code-unit order. */
function bySortKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(env: PinterestEnvironment, sk: string): string {
  return Buffer.from(JSON.stringify({ pk: partitionOf(env), sk }), 'utf8').toString('base64url');
}

/** As table.ts: a cursor must name this partition's key, in the boards' sort range; a ValidationError otherwise. */
function decodeCursor(env: PinterestEnvironment, cursor: string): string {
  const invalid = () => new ValidationError('The cursor is not valid for this listing', [{ path: 'query.cursor', message: 'invalid' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const key = parsed as Record<string, unknown>;
  if (Object.keys(key).sort().join(',') !== 'pk,sk' || key.pk !== partitionOf(env) || typeof key.sk !== 'string') throw invalid();
  if (key.sk < 'BOARD#' || key.sk > 'BOARD#\uffff') throw invalid();
  return key.sk;
}

/* ------------------------------------------------------------------------------------------------
 * Sync jobs and the pointer
 * ---------------------------------------------------------------------------------------------- */

/**
 * Sync jobs as BoardSyncJobs keeps them: a record per job and a pointer per environment naming the
 * latest job, both living `keepSeconds` (expired items read as absent). `start` is conditional on the
 * pointer still naming the job the caller read, `update` on the job's version; losing either is a
 * ConflictError (the real StaleRecordError is one), carrying the job's status now.
 */
export class MemorySyncJobs implements SyncJobsPort {
  private readonly jobs = new Map<string, { record: SyncJob; expiresAt: number }>();
  private readonly pointers = new Map<PinterestEnvironment, { jobId: string; version: number; expiresAt: number }>();
  /** Every update asked for (won or lost), in order. */
  readonly updates: Array<{ jobId: string; version: number; set: Partial<SyncJob>; outcome: 'written' | 'conflict' }> = [];
  private readonly interference: Array<() => unknown> = [];

  constructor(
    private readonly clock: Clock,
    private readonly keepSeconds = 7 * 86_400,
  ) {}

  /** The stored job (a copy), whatever its expiry, for assertions. */
  record(jobId: string): SyncJob | undefined {
    const stored = this.jobs.get(jobId);
    return stored === undefined ? undefined : structuredClone(stored.record);
  }

  /** The job id the environment's pointer names, if any. */
  pointer(env: PinterestEnvironment): string | undefined {
    return this.pointers.get(env)?.jobId;
  }

  /** Every job of the environment, in creation order. */
  all(env: PinterestEnvironment): SyncJob[] {
    return [...this.jobs.values()].map((stored) => structuredClone(stored.record)).filter((job) => job.environment === env);
  }

  /** A pointer left by a start that crashed before writing its job. */
  seedPointer(env: PinterestEnvironment, jobId: string): void {
    const version = (this.pointers.get(env)?.version ?? 0) + 1;
    this.pointers.set(env, { jobId, version, expiresAt: this.ttl() });
  }

  /** Runs `write` (another runner's or request's) just before the next start or update checks its condition. Once. */
  beforeNextWrite(write: () => unknown): void {
    this.interference.push(write);
  }

  get(jobId: string): Promise<SyncJob | undefined> {
    return io(() => this.live(jobId));
  }

  current(env: PinterestEnvironment): Promise<{ pointerJobId: string | undefined; job: SyncJob | undefined }> {
    return io(() => {
      const pointer = this.livePointer(env);
      return { pointerJobId: pointer?.jobId, job: pointer === undefined ? undefined : this.live(pointer.jobId) };
    });
  }

  async start(job: Omit<SyncJob, 'version'>, pointerJobId: string | undefined): Promise<SyncJob> {
    await this.interfere();
    return io(() => {
      const pointer = this.livePointer(job.environment);
      if (pointer?.jobId !== pointerJobId) throw new ConflictError('Another board sync started at the same time');
      this.pointers.set(job.environment, { jobId: job.jobId, version: (pointer?.version ?? 0) + 1, expiresAt: this.ttl() });
      if (this.live(job.jobId) !== undefined) throw new ConflictError('The record already exists');
      const created = syncJobSchema.parse({ ...job, version: 1 });
      this.jobs.set(job.jobId, { record: structuredClone(created), expiresAt: this.ttl() });
      return created;
    });
  }

  async update(job: SyncJob, set: Partial<Omit<SyncJob, 'version' | 'jobId' | 'environment'>>): Promise<SyncJob> {
    await this.interfere();
    return io(() => {
      const stored = this.live(job.jobId);
      if (stored?.version !== job.version) {
        this.updates.push({ jobId: job.jobId, version: job.version, set: { ...set }, outcome: 'conflict' });
        throw new ConflictError(stored === undefined ? 'The record does not exist or has expired' : 'The record changed since it was read', stored?.status);
      }
      // undefined removes the attribute, as the real update's REMOVE.
      const written: Record<string, unknown> = { ...stored, ...set, version: stored.version + 1 };
      const merged = Object.fromEntries(Object.entries(written).filter(([, value]) => value !== undefined));
      const record = syncJobSchema.parse(merged);
      this.jobs.set(job.jobId, { record: structuredClone(record), expiresAt: this.ttl() });
      this.updates.push({ jobId: job.jobId, version: job.version, set: { ...set }, outcome: 'written' });
      return record;
    });
  }

  private async interfere(): Promise<void> {
    const write = this.interference.shift();
    await write?.();
  }

  private ttl(): number {
    return epochSeconds(this.clock.now()) + this.keepSeconds;
  }

  private live(jobId: string): SyncJob | undefined {
    if (environmentOfJob(jobId) === undefined) return undefined;
    const stored = this.jobs.get(jobId);
    return stored === undefined || stored.expiresAt <= epochSeconds(this.clock.now()) ? undefined : structuredClone(stored.record);
  }

  private livePointer(env: PinterestEnvironment) {
    const pointer = this.pointers.get(env);
    return pointer === undefined || pointer.expiresAt <= epochSeconds(this.clock.now()) ? undefined : { ...pointer };
  }
}

/* ------------------------------------------------------------------------------------------------
 * Pinterest's board API
 * ---------------------------------------------------------------------------------------------- */

export type BoardsOp = 'listBoards' | 'createBoard' | 'listSections';

/**
 * A scripted failure of one call: 429 (rate limit, with the reset Pinterest sends; or a spam block),
 * 5xx, a network error before sending or after (outcome unknown), 403 code 29, or any error as is.
 */
export type BoardsFailure =
  | { rateLimited: { resetSeconds?: number; spam?: boolean } }
  | 'server_error'
  | 'not_sent'
  | 'outcome_unknown'
  | 'forbidden'
  | Error;

export interface BoardsCall {
  op: BoardsOp;
  environment: PinterestEnvironment;
  accessToken: string;
  pageSize?: number;
  bookmark?: string;
  boardId?: string;
  /** `ok`, or the failing error's code. */
  outcome: string;
  /** On a page answered: its items' ids, in order. */
  ids?: string[];
  /** The clock's time when the call arrived (ISO). */
  at: string;
}

interface Stored<T> {
  seq: number;
  value: T;
}

interface World {
  boards: Array<Stored<PinterestBoard>>;
  sections: Map<string, Array<Stored<PinterestSection>>>;
}

/** Pinterest's call budget per environment: `limit` calls a window of `windowSeconds`. */
interface Budget {
  limit: number;
  windowSeconds: number;
  windowEnds: number;
  used: number;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 250;
const BOARD_ID_BASE = 549_755_813_000_000_000n;
const SECTION_ID_BASE = 500_000_000_000_000_000n;

/**
 * `GET /v5/boards`, `POST /v5/boards` and `GET /v5/boards/{id}/sections` over a board list per
 * environment. Paging is keyset paging as Pinterest's: a bookmark names the last item sent, a full
 * page always carries one (the next page may be empty), a short page never, so n boards at page size
 * 250 take ⌊n/250⌋+1 calls; boards created while a client pages come after the ones it has seen.
 * Failures can be scripted per call, `x-ratelimit-*` headers come from a call budget (or are scripted
 * per call), and every call is recorded.
 */
export class MemoryBoardsApi implements PinterestBoardsPort {
  readonly calls: BoardsCall[] = [];
  /** The connected account's username: the owner of boards created or seeded as own. */
  username = MIRA.username;
  /** Virtual time each call takes (the clock moves by it). */
  latencyMs = 0;
  private readonly worlds = new Map<PinterestEnvironment, World>();
  private seq = 0;
  private readonly failures = new Map<BoardsOp, Array<BoardsFailure | undefined>>();
  private readonly headers = new Map<BoardsOp, Array<RateLimit | undefined>>();
  private readonly during = new Map<BoardsOp, Array<() => unknown>>();
  private readonly budgets = new Map<PinterestEnvironment, Budget>();

  constructor(
    private readonly tokens: Pick<MemoryPinterest, 'acceptsAccessToken'>,
    private readonly clock: FakeClock,
  ) {}

  /** Adds `count` of the user's own boards (`Board 0001`, …; `changes(i)` alters the i-th, from 0). */
  seedBoards(env: PinterestEnvironment, count: number, changes: (i: number) => Partial<PinterestBoard> = () => ({})): PinterestBoard[] {
    return Array.from({ length: count }, (_, i) => this.addBoard(env, { name: `Board ${String(i + 1).padStart(4, '0')}`, ...changes(i) }));
  }

  /** Adds a board at Pinterest (own by default) and answers it as Pinterest lists it. */
  addBoard(env: PinterestEnvironment, board: Partial<PinterestBoard> & { name: string }): PinterestBoard {
    this.seq += 1;
    const value: PinterestBoard = {
      id: (BOARD_ID_BASE + BigInt(this.seq)).toString(),
      description: null,
      owner: { username: this.username },
      privacy: 'PUBLIC',
      collaborator_count: 0,
      pin_count: 0,
      created_at: this.clock.now().toISOString(),
      ...board,
    };
    this.world(env).boards.push({ seq: this.seq, value });
    return structuredClone(value);
  }

  /** The board is deleted at Pinterest (with its sections). */
  removeBoard(env: PinterestEnvironment, boardId: string): void {
    const world = this.world(env);
    const index = world.boards.findIndex((board) => board.value.id === boardId);
    if (index < 0) throw new Error(`no board ${boardId} at the memory Pinterest`);
    world.boards.splice(index, 1);
    world.sections.delete(boardId);
  }

  /** Renames a board at Pinterest. */
  renameBoard(env: PinterestEnvironment, boardId: string, name: string): void {
    const board = this.world(env).boards.find((stored) => stored.value.id === boardId);
    if (board === undefined) throw new Error(`no board ${boardId} at the memory Pinterest`);
    board.value = { ...board.value, name };
  }

  boardsOf(env: PinterestEnvironment): PinterestBoard[] {
    return this.world(env).boards.map((board) => structuredClone(board.value));
  }

  /** Replaces a board's sections by ones with these names; answers them. */
  setSections(env: PinterestEnvironment, boardId: string, names: readonly string[]): PinterestSection[] {
    if (!this.world(env).boards.some((board) => board.value.id === boardId)) throw new Error(`no board ${boardId} at the memory Pinterest`);
    const sections = names.map((name) => {
      this.seq += 1;
      return { seq: this.seq, value: { id: (SECTION_ID_BASE + BigInt(this.seq)).toString(), name } };
    });
    this.world(env).sections.set(boardId, sections);
    return sections.map((section) => ({ ...section.value }));
  }

  /** The next calls of `op` fail in this order (undefined: that call goes through). */
  failNext(op: BoardsOp, ...failures: Array<BoardsFailure | undefined>): void {
    this.failures.set(op, [...(this.failures.get(op) ?? []), ...failures]);
  }

  /** The next answered calls of `op` carry these `x-ratelimit-*` headers instead of the budget's. */
  rateLimitHeaders(op: BoardsOp, ...headers: Array<RateLimit | undefined>): void {
    this.headers.set(op, [...(this.headers.get(op) ?? []), ...headers]);
  }

  /**
   * The environment allows `limit` calls a window of `windowSeconds` from now (the window starts again
   * when it ends): answers carry `remaining` and the seconds to the reset, and a call past the limit
   * gets a 429 with that reset.
   */
  budget(env: PinterestEnvironment, limit: number, windowSeconds: number): void {
    this.budgets.set(env, { limit, windowSeconds, windowEnds: this.clock.now().getTime() + windowSeconds * 1000, used: 0 });
  }

  /**
   * Runs `action` while Pinterest is answering the next call of `op` that succeeds: after the answer
   * was made, before the caller has it (another request landing in between). Once.
   */
  whileAnswering(op: BoardsOp, action: () => unknown): void {
    this.during.set(op, [...(this.during.get(op) ?? []), action]);
  }

  callsTo(op: BoardsOp): BoardsCall[] {
    return this.calls.filter((call) => call.op === op);
  }

  /** The calls of `op` that were answered. */
  answered(op: BoardsOp): BoardsCall[] {
    return this.callsTo(op).filter((call) => call.outcome === 'ok');
  }

  listBoards(env: PinterestEnvironment, token: string, options: { pageSize?: number; bookmark?: string }): Promise<PageAnswer<PinterestBoard>> {
    return this.call({ op: 'listBoards', environment: env, accessToken: token, ...pageFields(options) }, (call) => {
      const page = this.page(env, 'boards', this.world(env).boards, options);
      call.ids = page.items.map((board) => board.id);
      return page;
    });
  }

  createBoard(env: PinterestEnvironment, token: string, board: { name: string; description?: string; privacy?: 'PUBLIC' | 'SECRET' }): Promise<{ data: PinterestBoard }> {
    return this.call({ op: 'createBoard', environment: env, accessToken: token }, (call) => {
      const length = Array.from(board.name).length;
      if (length < 1 || length > 180) throw new PinterestApiError(env, 400, 1, "Invalid parameters - 'name'", 'memory-request', {});
      const created = this.addBoard(env, { name: board.name, description: board.description ?? null, privacy: board.privacy ?? 'PUBLIC' });
      call.ids = [created.id];
      return created;
    }).then((answer) => ({ data: answer.data }));
  }

  listSections(env: PinterestEnvironment, token: string, boardId: string, options: { pageSize?: number; bookmark?: string }): Promise<PageAnswer<PinterestSection>> {
    return this.call({ op: 'listSections', environment: env, accessToken: token, boardId, ...pageFields(options) }, (call) => {
      if (!this.world(env).boards.some((board) => board.value.id === boardId)) throw new PinterestApiError(env, 404, 40, 'Board not found.', 'memory-request', {});
      const page = this.page(env, `sections:${boardId}`, this.world(env).sections.get(boardId) ?? [], options);
      call.ids = page.items.map((section) => section.id);
      return page;
    });
  }

  /** One call: recorded, the token checked, a scripted failure or the budget applied, then `answer`. */
  private async call<T>(
    fields: Omit<BoardsCall, 'outcome' | 'at'>,
    answer: (call: BoardsCall) => T,
  ): Promise<{ data: T; rateLimit: RateLimit }> {
    const call: BoardsCall = { ...fields, outcome: 'pending', at: this.clock.now().toISOString() };
    this.calls.push(call);
    const env = fields.environment;
    await io(() => undefined);
    this.clock.advance(this.latencyMs);
    try {
      const failure = this.failures.get(fields.op)?.shift();
      if (failure !== undefined) throw failureError(env, failure);
      if (!this.tokens.acceptsAccessToken(env, fields.accessToken)) throw new PinterestApiError(env, 401, 2, 'Authentication failed.', 'memory-request', {});
      const budget = this.spend(env);
      const data = answer(call);
      const rateLimit = this.headers.get(fields.op)?.shift() ?? budget;
      call.outcome = 'ok';
      const action = this.during.get(fields.op)?.shift();
      await action?.();
      return { data: structuredClone(data), rateLimit };
    } catch (error) {
      call.outcome = error instanceof PinterestApiError || error instanceof PinterestNetworkError ? error.code : 'error';
      throw error;
    }
  }

  /** Counts a call against the environment's budget: its headers, or a 429 once it is spent. */
  private spend(env: PinterestEnvironment): RateLimit {
    const budget = this.budgets.get(env);
    if (budget === undefined) return {};
    const now = this.clock.now().getTime();
    if (now >= budget.windowEnds) {
      const windows = Math.floor((now - budget.windowEnds) / (budget.windowSeconds * 1000)) + 1;
      budget.windowEnds += windows * budget.windowSeconds * 1000;
      budget.used = 0;
    }
    const resetSeconds = Math.ceil((budget.windowEnds - now) / 1000);
    if (budget.used >= budget.limit) {
      throw new PinterestApiError(env, 429, 8, 'Rate limit exceeded', 'memory-request', { limit: budget.limit, remaining: 0, resetSeconds });
    }
    budget.used += 1;
    return { limit: budget.limit, remaining: budget.limit - budget.used, resetSeconds };
  }

  private page<T>(env: PinterestEnvironment, list: string, items: ReadonlyArray<Stored<T>>, options: { pageSize?: number; bookmark?: string }): { items: T[]; bookmark: string | null } {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new PinterestApiError(env, 400, 1, `${String(pageSize)} is not a valid page_size - 'page_size'`, 'memory-request', {});
    }
    let after = 0;
    if (options.bookmark !== undefined && options.bookmark !== '') {
      const decoded = decodeBookmark(list, options.bookmark);
      if (decoded === undefined) throw new PinterestApiError(env, 400, 1, "Invalid bookmark - 'bookmark'", 'memory-request', {});
      after = decoded;
    }
    // Items are kept in ascending key order (new ones get a higher key).
    const from = items.findIndex((item) => item.seq > after);
    const slice = from < 0 ? [] : items.slice(from, from + pageSize);
    const last = slice.at(-1);
    return { items: slice.map((item) => item.value), bookmark: slice.length === pageSize && last !== undefined ? encodeBookmark(list, last.seq) : null };
  }

  private world(env: PinterestEnvironment): World {
    let world = this.worlds.get(env);
    if (world === undefined) {
      world = { boards: [], sections: new Map() };
      this.worlds.set(env, world);
    }
    return world;
  }
}

function pageFields(options: { pageSize?: number; bookmark?: string }): Pick<BoardsCall, 'pageSize' | 'bookmark'> {
  return { ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }), ...(options.bookmark === undefined ? {} : { bookmark: options.bookmark }) };
}

/** Opaque to the client, like Pinterest's: the list's name and the last item's key, base64. */
function encodeBookmark(list: string, seq: number): string {
  return Buffer.from(`${list}|${String(seq)}`, 'utf8').toString('base64');
}

function decodeBookmark(list: string, bookmark: string): number | undefined {
  const [name, key] = Buffer.from(bookmark, 'base64').toString('utf8').split('|');
  const seq = Number(key);
  return name === list && key !== undefined && /^\d+$/.test(key) ? seq : undefined;
}

function failureError(env: PinterestEnvironment, failure: BoardsFailure): Error {
  if (failure instanceof Error) return failure;
  if (failure === 'server_error') return new PinterestApiError(env, 503, undefined, 'Service unavailable', 'memory-request', {});
  if (failure === 'not_sent') return new PinterestNetworkError(env, true, 'connect ECONNREFUSED');
  if (failure === 'outcome_unknown') return new PinterestNetworkError(env, false, 'socket hang up');
  if (failure === 'forbidden') return new PinterestApiError(env, 403, 29, 'You are not permitted to access that resource.', 'memory-request', {});
  const { resetSeconds, spam } = failure.rateLimited;
  const message = spam === true ? 'Your request was blocked as spam' : 'Rate limit exceeded';
  return new PinterestApiError(env, 429, 8, message, 'memory-request', { remaining: 0, ...(resetSeconds === undefined ? {} : { resetSeconds }) });
}

/* ------------------------------------------------------------------------------------------------
 * Asynchronous invocations
 * ---------------------------------------------------------------------------------------------- */

export interface Invocation {
  fn: FunctionId;
  payload: unknown;
}

/**
 * The asynchronous invoker, recording: `invoke` resolves once the invocation is accepted, and never
 * runs anything by itself. With a handler for the function, `drain()` runs the queued invocations
 * (and those they queue) one after another, as Lambda would later.
 */
export class RecordingInvoker implements AsyncInvokerPort {
  readonly invocations: Invocation[] = [];
  private pending: Invocation[] = [];
  private readonly handlers = new Map<FunctionId, (payload: unknown) => Promise<unknown>>();
  private readonly failures: Error[] = [];

  /** How `fn`'s invocations run when drained. */
  handle(fn: FunctionId, handler: (payload: unknown) => Promise<unknown>): void {
    this.handlers.set(fn, handler);
  }

  /** The next `invoke` is refused with `error` (Lambda unreachable, say). */
  failNext(error: Error = new Error('simulated Lambda failure')): void {
    this.failures.push(error);
  }

  invoke(fn: FunctionId, payload: unknown): Promise<void> {
    return io(() => {
      const failure = this.failures.shift();
      if (failure !== undefined) throw failure;
      const invocation = { fn, payload: structuredClone(payload) };
      this.invocations.push(invocation);
      this.pending.push(invocation);
    });
  }

  /** Invocations accepted and not run yet. */
  get queued(): readonly Invocation[] {
    return [...this.pending];
  }

  /** Runs queued invocations that have a handler, in order, until none is left (at most `max`); answers their results. */
  async drain(max = 1_000): Promise<unknown[]> {
    const results: unknown[] = [];
    for (;;) {
      const index = this.pending.findIndex((invocation) => this.handlers.has(invocation.fn));
      if (index < 0) return results;
      if (results.length >= max) throw new Error(`more than ${String(max)} invocations ran: a chain that does not end`);
      const [invocation] = this.pending.splice(index, 1);
      const handler = invocation === undefined ? undefined : this.handlers.get(invocation.fn);
      if (invocation !== undefined && handler !== undefined) results.push(await handler(invocation.payload));
    }
  }
}

/* ------------------------------------------------------------------------------------------------
 * Wiring
 * ---------------------------------------------------------------------------------------------- */

/** The board functions' settings as shared/wiring-board-calls.ts sets them. */
export const boardSettings: BoardSettings = { pageSize: 250, jobLeaseMs: 100_000, handOverBelowMs: 20_000 };

/** The sync function's timeout (shared/routes.ts, syncBoards). */
export const SYNC_TIMEOUT_MS = 80_000;

export interface BoardState extends TokenState {
  boards: MemoryBoardStore;
  jobs: MemorySyncJobs;
  boardsApi: MemoryBoardsApi;
  invoker: RecordingInvoker;
}

export interface MemoryBoards {
  deps: BoardDeps;
  /** What POST /boards/sync gets. */
  startDeps: StartSyncDeps;
  state: BoardState;
  /** The deps of another Lambda container: the same stores and Pinterest, its own secret cache. */
  container: () => BoardDeps;
  /** A function's remaining time: `timeoutMs` from now, on the (virtual) clock. */
  deadline: (timeoutMs?: number) => () => number;
}

/** BoardDeps wired to fresh in-memory ports over the token lifecycle's (the clock at 2026-03-01T09:00Z). */
export function memoryBoardDeps(options: { settings?: Partial<BoardSettings>; tokens?: TokenOverrides } = {}): MemoryBoards {
  const memory = memoryTokenDeps(options.tokens);
  const { clock } = memory.state;
  const state: BoardState = {
    ...memory.state,
    boards: new MemoryBoardStore(),
    jobs: new MemorySyncJobs(clock),
    boardsApi: new MemoryBoardsApi(memory.state.pinterest, clock),
    invoker: new RecordingInvoker(),
  };
  const settings = { ...boardSettings, ...options.settings };
  const container = (): BoardDeps => ({
    clock,
    newId: state.counters.newId,
    tokens: memory.container(),
    pinterest: state.boardsApi,
    boards: state.boards,
    jobs: state.jobs,
    invoker: state.invoker,
    settings,
  });
  const deps = container();
  const startDeps: StartSyncDeps = { clock, newId: state.counters.newId, jobs: state.jobs, invoker: state.invoker, accounts: state.accounts };
  const deadline = (timeoutMs = SYNC_TIMEOUT_MS) => {
    const ends = clock.now().getTime() + timeoutMs;
    return () => ends - clock.now().getTime();
  };
  return { deps, startDeps, state, container, deadline };
}

/**
 * Makes drained `syncBoards` invocations run the job as the function does: a fresh container, its
 * own `timeoutMs` from the moment it starts (on the virtual clock).
 */
export function runSyncInvocations(memory: MemoryBoards, timeoutMs = SYNC_TIMEOUT_MS): void {
  memory.state.invoker.handle('syncBoards', (payload) => {
    const { jobId } = payload as { jobId: string };
    return runBoardSync(memory.container(), jobId, memory.deadline(timeoutMs));
  });
}
