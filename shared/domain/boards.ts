import * as z from '../zod';
import { environments, type PinterestEnvironment } from './pinterest';
import type { PinterestBoard } from './pinterest-api';

/**
 * Boards as the publisher keeps them: a snapshot per environment, written by a sync job (every page of
 * `GET /v5/boards`) and by board creation, and the rules a board view needs (group boards, the name
 * filter). A sync job's record says how far it got, so a paused or interrupted job resumes where it
 * stopped.
 */

export const boardRecordSchema = z.object({
  environment: z.enum(environments),
  boardId: z.string(),
  name: z.string(),
  description: z.optional(z.nullable(z.string())),
  privacy: z.optional(z.string()),
  ownerUsername: z.optional(z.string()),
  collaboratorCount: z.optional(z.nullable(z.number())),
  /** A group board: collaborators, or owned by someone other than the connected account. */
  group: z.boolean(),
  /** When this record was last written from Pinterest's answer (a sync page, or creation). */
  syncedAt: z.string(),
});
export type BoardRecord = z.infer<typeof boardRecordSchema>;

/**
 * A board as a listing shows it: its record plus, once its sections were fetched, their count. The
 * count is read from the sections record at listing time rather than copied onto the board, so a
 * sync rewriting the board cannot lose it and a sections fetch never rewrites the board.
 */
export type ListedBoard = BoardRecord & { sectionCount?: number };

export const sectionsRecordSchema = z.object({
  boardId: z.string(),
  sections: z.array(z.object({ id: z.string(), name: z.string() })),
  fetchedAt: z.string(),
});
export type SectionsRecord = z.infer<typeof sectionsRecordSchema>;

/** The last complete sync of an environment: its time, job and how many boards it left. */
export const snapshotSchema = z.object({ syncedAt: z.string(), jobId: z.string(), boardCount: z.number() });
export type Snapshot = z.infer<typeof snapshotSchema>;

export const jobStatuses = ['running', 'paused', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const syncJobSchema = z.object({
  jobId: z.string(),
  environment: z.enum(environments),
  status: z.enum(jobStatuses),
  pagesRead: z.number(),
  boardsSeen: z.number(),
  /** Where the next page starts (Pinterest's opaque bookmark); absent before the first page. */
  bookmark: z.optional(z.string()),
  startedAt: z.string(),
  finishedAt: z.optional(z.string()),
  pausedReason: z.optional(z.string()),
  resumeAt: z.optional(z.string()),
  error: z.optional(z.string()),
  /** One runner at a time: until when (epoch ms) the current runner holds the job. */
  leaseUntil: z.optional(z.number()),
  /** How many times a runner short of time handed the job to a fresh invocation (bounded). */
  handOvers: z.optional(z.number()),
  version: z.number(),
});
export type SyncJob = z.infer<typeof syncJobSchema>;

/** Job ids carry their environment, so `GET /boards/sync/{jobId}` needs nothing else. */
export function newJobId(env: PinterestEnvironment, uuid: string): string {
  return `${env}.${uuid}`;
}

export function environmentOfJob(jobId: string): PinterestEnvironment | undefined {
  const env = jobId.split('.')[0];
  return (environments as readonly string[]).includes(env ?? '') ? (env as PinterestEnvironment) : undefined;
}

/** A group board has collaborators, or is owned by someone other than the connected account. */
export function isGroupBoard(board: Pick<PinterestBoard, 'collaborator_count' | 'owner'>, connectedUsername: string): boolean {
  if ((board.collaborator_count ?? 0) > 0) return true;
  const owner = board.owner?.username;
  return owner !== undefined && owner.toLowerCase() !== connectedUsername.toLowerCase();
}

export function boardRecordFrom(board: PinterestBoard, env: PinterestEnvironment, connectedUsername: string, now: Date): BoardRecord {
  return {
    environment: env,
    boardId: board.id,
    name: board.name,
    ...(board.description === undefined ? {} : { description: board.description }),
    ...(board.privacy === undefined ? {} : { privacy: board.privacy }),
    ...(board.owner?.username === undefined ? {} : { ownerUsername: board.owner.username }),
    ...(board.collaborator_count === undefined ? {} : { collaboratorCount: board.collaborator_count }),
    group: isGroupBoard(board, connectedUsername),
    syncedAt: now.toISOString(),
  };
}

/** Names compared case-insensitively and Unicode-aware (NFKC, then lower case). */
function folded(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

export function nameMatches(name: string, query: string): boolean {
  return folded(name).includes(folded(query));
}

/** What the operator sees of a board. */
export function boardView(record: ListedBoard) {
  return {
    id: record.boardId,
    name: record.name,
    description: record.description ?? null,
    privacy: record.privacy ?? null,
    owner: record.ownerUsername ?? null,
    group: record.group,
    sectionCount: record.sectionCount ?? null,
    syncedAt: record.syncedAt,
  };
}

/** What the operator sees of a sync job. */
export function jobView(job: SyncJob) {
  return {
    jobId: job.jobId,
    environment: job.environment,
    status: job.status,
    pagesRead: job.pagesRead,
    boardsSeen: job.boardsSeen,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt ?? null,
    ...(job.status === 'paused' ? { pausedReason: job.pausedReason ?? null, resumeAt: job.resumeAt ?? null } : {}),
    ...(job.error === undefined ? {} : { error: job.error }),
  };
}
