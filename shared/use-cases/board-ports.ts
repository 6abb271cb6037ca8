import type { BoardRecord, ListedBoard, SectionsRecord, Snapshot, SyncJob } from '../domain/boards';
import type { AsyncInvokerPort } from '../domain/async-invocation';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { PinterestBoard, PinterestSection } from '../domain/pinterest-api';
import type { Clock } from '../domain/time';
import type { TokenDeps } from './token-ports';

/** The ports the board features (sync job, snapshot, sections, creation) work through. */

export interface PageAnswer<T> {
  data: { items: T[]; bookmark: string | null };
  /** Pinterest's `x-ratelimit-*` headers, when it sent them. */
  rateLimit: { remaining?: number; resetSeconds?: number };
}

export interface PinterestBoardsPort {
  listBoards(env: PinterestEnvironment, token: string, options: { pageSize?: number; bookmark?: string }): Promise<PageAnswer<PinterestBoard>>;
  createBoard(env: PinterestEnvironment, token: string, board: { name: string; description?: string; privacy?: 'PUBLIC' | 'SECRET' }): Promise<{ data: PinterestBoard }>;
  listSections(env: PinterestEnvironment, token: string, boardId: string, options: { pageSize?: number; bookmark?: string }): Promise<PageAnswer<PinterestSection>>;
}

export interface BoardStorePort {
  putBoards(records: readonly BoardRecord[]): Promise<number>;
  putBoard(record: BoardRecord): Promise<void>;
  getBoard(env: PinterestEnvironment, boardId: string): Promise<BoardRecord | undefined>;
  listBoards(env: PinterestEnvironment, options: { limit: number; cursor?: string; filter?: (board: BoardRecord) => boolean }): Promise<{ items: ListedBoard[]; cursor?: string }>;
  removeStale(env: PinterestEnvironment, since: string): Promise<number>;
  getSections(env: PinterestEnvironment, boardId: string): Promise<SectionsRecord | undefined>;
  putSections(env: PinterestEnvironment, record: SectionsRecord): Promise<void>;
  getSnapshot(env: PinterestEnvironment): Promise<Snapshot | undefined>;
  putSnapshot(env: PinterestEnvironment, snapshot: Snapshot): Promise<void>;
}

export interface SyncJobsPort {
  get(jobId: string): Promise<SyncJob | undefined>;
  current(env: PinterestEnvironment): Promise<{ pointerJobId: string | undefined; job: SyncJob | undefined }>;
  start(job: Omit<SyncJob, 'version'>, pointerJobId: string | undefined): Promise<SyncJob>;
  update(job: SyncJob, set: Partial<Omit<SyncJob, 'version' | 'jobId' | 'environment'>>): Promise<SyncJob>;
}

export interface BoardSettings {
  /** Boards per `GET /v5/boards` page (Pinterest's maximum, 250: every call counts under Trial). */
  pageSize: number;
  /** How long a job runner holds its job (longer than the job function can run). */
  jobLeaseMs: number;
  /** Below this much time left, the runner hands the job to a fresh invocation. */
  handOverBelowMs: number;
}

/** What reading sections and creating boards need: no jobs, no invoker. */
export interface BoardCallDeps {
  clock: Clock;
  tokens: TokenDeps;
  pinterest: PinterestBoardsPort;
  boards: BoardStorePort;
  settings: BoardSettings;
}

/** The sync job's deps: the board calls plus its jobs and the invoker it hands itself on with. */
export interface BoardDeps extends BoardCallDeps {
  newId: () => string;
  jobs: SyncJobsPort;
  invoker: AsyncInvokerPort;
}
