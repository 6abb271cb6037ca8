import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import {
  appendHistory,
  contentFields,
  contentHash,
  mediaKey,
  nextStatus,
  pinDetail,
  pinView,
  statusesAllowing,
  type BoardState,
  type ContentField,
  type ImageContentType,
  type PinAction,
  type ReviewAction,
  type PinContent,
  type PinMedia,
  type PinRecord,
  type PinStatus,
} from '../domain/pins';
import type { PinDeps } from './pin-ports';

/**
 * Pin drafts and their review: create, edit, approve, reject, delete, read and list. Every change
 * follows the transition table (`nextStatus`) as one conditional write on the status and version the
 * caller saw; an approval stores the hash of the exact content that will be sent, and any edit drops it.
 */

/** The image of a draft as the request gave it: a URL, or decoded bytes whose type was sniffed. */
export type ImageInput = { kind: 'url'; url: string } | { kind: 'bytes'; bytes: Buffer; contentType: ImageContentType };

/** Draft fields, already checked against Pinterest's limits, trimmed and in NFC (absent when empty). */
export interface DraftFields {
  boardId: string;
  sectionId?: string;
  assetLabel?: string;
  title?: string;
  description?: string;
  link?: string;
  altText?: string;
  dominantColor?: string;
}

export interface DraftInput extends DraftFields {
  environment: PinterestEnvironment;
  image: ImageInput;
}

/** A PATCH: `null` clears an optional field, an absent key leaves it. */
export type PatchFields = { [K in keyof Omit<DraftFields, 'boardId'>]?: DraftFields[K] | null } & { boardId?: string };
export interface PatchInput extends PatchFields {
  version: number;
  image?: ImageInput;
}

const OPERATOR = 'operator' as const;

/** POST /pins: a new draft on a board of the environment's snapshot. */
export async function createDraft(deps: PinDeps, input: DraftInput) {
  const account = await liveAccount(deps, input.environment);
  await checkPlacement(deps, input.environment, input.boardId, input.sectionId, true);
  const pinId = deps.newId();
  const now = deps.clock.now().toISOString();
  const media = await holdImage(deps, input.environment, account.accountId, pinId, input.image);
  const { environment, assetLabel } = input;
  const fields = pick(input);
  const record: PinRecord = {
    pinId,
    environment,
    accountId: account.accountId,
    status: 'draft',
    version: 1,
    ...(assetLabel === undefined ? {} : { assetLabel }),
    content: { ...fields, media },
    history: [{ action: 'create', from: null, to: 'draft', at: now, by: OPERATOR, version: 1 }],
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.pins.create(record);
  } catch (error) {
    await releaseUnlessKept(deps, pinId, environment, account.accountId, media);
    throw error;
  }
  return pinDetail(record, 'present');
}

/** PATCH /pins/{id}: changes content at the version the operator saw; an approved record goes back to draft. */
export async function editDraft(deps: PinDeps, pinId: string, patch: PatchInput) {
  const current = await readAt(deps, pinId, patch.version);
  const to = allowed(current, 'edit');
  const { image, assetLabel } = patch;
  const boardChanged = patch.boardId !== undefined && patch.boardId !== current.content.boardId;
  const merged: Partial<Record<ContentField, string>> = { ...pick(current.content) };
  for (const field of contentFields) {
    const value = patch[field];
    if (value === null) merged[field] = undefined;
    else if (value !== undefined) merged[field] = value;
  }
  const content: PinContent = { ...pick({ ...merged, boardId: merged.boardId ?? current.content.boardId }), media: current.content.media };
  // A section belongs to one board: moving the draft drops a section not given with the move.
  if (boardChanged && patch.sectionId === undefined) delete content.sectionId;
  if (boardChanged || (patch.sectionId !== undefined && patch.sectionId !== null)) {
    await checkPlacement(deps, current.environment, content.boardId, content.sectionId, boardChanged);
  }
  const media = image === undefined ? current.content.media : await holdImage(deps, current.environment, current.accountId, pinId, image);
  content.media = media;
  const nextAssetLabel = assetLabel === undefined ? current.assetLabel : (assetLabel ?? undefined);
  const now = deps.clock.now().toISOString();
  const next = build(current, to, 'edit', now, { content, assetLabel: nextAssetLabel, approval: undefined, rejection: undefined, failure: undefined, attempt: undefined, unknownOutcome: undefined });
  let written: PinRecord;
  try {
    written = await deps.pins.replace(current, next);
  } catch (error) {
    // Only the reference this request took: the record keeps its own.
    if (image !== undefined) await releaseUnlessKept(deps, pinId, current.environment, current.accountId, media);
    throw error;
  }
  const old = current.content.media;
  if (old.kind === 'stored' && image !== undefined) await deps.media.release(current.environment, current.accountId, old.ref, old.sha256);
  return pinDetail(written, await deps.boards.presence(written.environment, written.content.boardId));
}

/** POST /pins/{id}/approve: binds the approval to the exact content that will be sent. */
export async function approveDraft(deps: PinDeps, pinId: string, version: number) {
  const current = await readAt(deps, pinId, version);
  const to = allowed(current, 'approve');
  const { environment, content } = current;
  const board = await deps.boards.getBoard(environment, content.boardId);
  if (board === undefined) {
    throw new ConflictError(
      `Board ${content.boardId} is no longer in the ${environment} board snapshot (board_missing): move the draft to another board (PATCH /pins/${pinId}) or sync the boards`,
      'board_missing',
      { details: { status: current.status } },
    );
  }
  if (environment === 'sandbox' && board.group) {
    throw new ConflictError(`Board ${content.boardId} is a group board: sandbox Pins never go to group boards`, current.status);
  }
  const now = deps.clock.now().toISOString();
  const next = build(current, to, 'approve', now, { approval: { contentHash: contentHash(environment, content), by: OPERATOR, at: now } });
  return pinDetail(await deps.pins.replace(current, next), 'present');
}

/** POST /pins/{id}/reject: a draft or an approved record is rejected with the operator's reason. */
export async function rejectDraft(deps: PinDeps, pinId: string, version: number, reason: string) {
  const current = await readAt(deps, pinId, version);
  const to = allowed(current, 'reject');
  const now = deps.clock.now().toISOString();
  const next = build(current, to, 'reject', now, { approval: undefined, rejection: { reason, at: now } }, reason);
  const written = await deps.pins.replace(current, next);
  return pinDetail(written, await deps.boards.presence(written.environment, written.content.boardId));
}

/** DELETE /pins/{id}: a draft, rejected or failed record goes, and its image when no other record holds it. */
export async function deleteDraft(deps: PinDeps, pinId: string, version: number) {
  const current = await readAt(deps, pinId, version);
  allowed(current, 'delete');
  await deps.pins.remove(current);
  const media = current.content.media;
  if (media.kind === 'stored') await deps.media.release(current.environment, current.accountId, media.ref, media.sha256);
  return { id: pinId, deleted: true as const };
}

/**
 * POST /pins/{id}/copy: a new draft with the content of any record (to publish the same content again
 * on purpose, or to start from a failed or missing Pin). It shares the source's image.
 */
export async function copyPin(deps: PinDeps, sourceId: string) {
  const source = await deps.pins.get(sourceId);
  if (source === undefined) throw notFound(sourceId);
  const pinId = deps.newId();
  const sourceMedia = source.content.media;
  const media: PinMedia = sourceMedia.kind === 'stored' ? { ...sourceMedia, ref: `${pinId}:${deps.newId()}` } : sourceMedia;
  if (media.kind === 'stored' && !(await deps.media.share(source.environment, source.accountId, media.ref, media.sha256))) {
    throw new ConflictError(`The stored image of Pin ${sourceId} is gone: create a new draft with the image instead`, source.status);
  }
  const now = deps.clock.now().toISOString();
  const record: PinRecord = {
    pinId,
    environment: source.environment,
    accountId: source.accountId,
    status: 'draft',
    version: 1,
    ...(source.assetLabel === undefined ? {} : { assetLabel: source.assetLabel }),
    content: { ...source.content, media },
    copiedFrom: sourceId,
    history: [{ action: 'copy', from: null, to: 'draft', at: now, by: OPERATOR, version: 1, reason: `copied from ${sourceId}` }],
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.pins.create(record);
  } catch (error) {
    await releaseUnlessKept(deps, pinId, source.environment, source.accountId, media);
    throw error;
  }
  return pinDetail(record, await deps.boards.presence(record.environment, record.content.boardId));
}

/** GET /pins/{id}: the record with its history and whether its board left the snapshot. */
export async function getPin(deps: PinDeps, pinId: string) {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw notFound(pinId);
  return pinDetail(record, await deps.boards.presence(record.environment, record.content.boardId));
}

/** GET /pins: one status of one environment, newest change first, paged. */
export async function listPins(deps: PinDeps, env: PinterestEnvironment, status: PinStatus, options: { limit: number; cursor?: string }) {
  const page = await deps.pins.list(env, status, options);
  const presence = new Map<string, Promise<BoardState>>();
  const stateOf = (boardId: string) => {
    let state = presence.get(boardId);
    if (state === undefined) {
      state = deps.boards.presence(env, boardId);
      presence.set(boardId, state);
    }
    return state;
  };
  const items = await Promise.all(page.items.map(async (record) => pinView(record, await stateOf(record.content.boardId))));
  return { environment: env, status, items, ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) };
}

/** GET /pins/{id}/media: the stored image bytes. */
export async function pinMedia(deps: PinDeps, pinId: string) {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw notFound(pinId);
  const media = record.content.media;
  if (media.kind !== 'stored') throw new NotFoundError(`Pin ${pinId} has no stored image: its image is the URL ${media.url}`);
  const object = await deps.media.read(media.key);
  if (object === undefined) throw new NotFoundError(`The stored image of Pin ${pinId} is missing from the data bucket`);
  return { body: object.body, contentType: media.contentType };
}

/* ------------------------------------------------------------------------------------------------ */

function notFound(pinId: string): NotFoundError {
  return new NotFoundError(`No Pin record ${pinId}`);
}

/** The record, if it is still at the version the operator saw; a 409 with the current record otherwise. */
async function readAt(deps: PinDeps, pinId: string, version: number): Promise<PinRecord> {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw notFound(pinId);
  if (record.version !== version) {
    const board = await deps.boards.presence(record.environment, record.content.boardId);
    throw new ConflictError(`Pin ${pinId} is at version ${String(record.version)}, not ${String(version)}: it changed since it was read`, record.status, {
      details: { current: pinDetail(record, board) },
    });
  }
  return record;
}

/** The status `action` leads to from the record's, or a 409 naming where the record is. */
function allowed(record: PinRecord, action: Exclude<ReviewAction, 'delete'>): PinStatus;
function allowed(record: PinRecord, action: 'delete'): 'deleted';
function allowed(record: PinRecord, action: ReviewAction): PinStatus | 'deleted' {
  const to = nextStatus(record.status, action);
  if (to === undefined) {
    throw new ConflictError(`A ${record.status} Pin cannot be ${pastTense[action]} (only a ${statusesAllowing(action).join(', ')} one can)`, record.status);
  }
  return to;
}

const pastTense: Record<ReviewAction, string> = { edit: 'edited', approve: 'approved', reject: 'rejected', delete: 'deleted' };

/** The optional parts of a record a transition may set or clear (undefined clears). */
export type RecordChanges = Partial<Pick<PinRecord, 'content' | 'assetLabel' | 'approval' | 'rejection' | 'attempt' | 'published' | 'failure' | 'unknownOutcome' | 'scan'>>;

/** The next version of a record: its changes, the new status and a history entry. Cleared parts are left out. */
export function nextRecord(current: PinRecord, to: PinStatus, action: PinAction, at: string, changes: RecordChanges, entry: { by?: 'operator' | 'system'; reason?: string } = {}): PinRecord {
  const version = current.version + 1;
  const history = appendHistory(current, { action, from: current.status, to, at, by: entry.by ?? OPERATOR, version, ...(entry.reason === undefined ? {} : { reason: entry.reason }) });
  const next: Record<string, unknown> = { ...current, ...changes, status: to, version, updatedAt: at, ...history };
  for (const [key, value] of Object.entries(next)) if (value === undefined) Reflect.deleteProperty(next, key);
  return next as PinRecord;
}

function build(current: PinRecord, to: PinStatus, action: PinAction, at: string, changes: RecordChanges, reason?: string): PinRecord {
  return nextRecord(current, to, action, at, changes, reason === undefined ? {} : { reason });
}

/** Drafts are made for the environment's account; none, or a disconnected one: connect first. */
async function liveAccount(deps: PinDeps, env: PinterestEnvironment) {
  const account = await deps.accounts.get(env);
  if (account === undefined || account.status === 'disconnected') {
    throw new ConflictError(`No Pinterest account is connected in ${env}: connect one (POST /oauth/start) and sync its boards first`, account?.status ?? 'not_connected');
  }
  return account;
}

/**
 * The board must be in the environment's snapshot (never a group board in the sandbox), and a section
 * one of the board's cached sections. Every problem is named in one answer.
 */
async function checkPlacement(deps: PinDeps, env: PinterestEnvironment, boardId: string, sectionId: string | undefined, checkBoard: boolean) {
  const issues: FieldIssue[] = [];
  const [board, sections] = await Promise.all([deps.boards.getBoard(env, boardId), sectionId === undefined ? undefined : deps.boards.getSections(env, boardId)]);
  if (board === undefined) {
    if (checkBoard) issues.push({ path: 'body.boardId', message: `board ${boardId} is not in the ${env} board snapshot (sync the boards, or create one with POST /boards)` });
  } else if (env === 'sandbox' && board.group) {
    issues.push({ path: 'body.boardId', message: `board ${boardId} is a group board: sandbox Pins never go to group boards` });
  }
  if (sectionId !== undefined && board === undefined && !checkBoard) {
    issues.push({ path: 'body.sectionId', message: `board ${boardId} is no longer in the ${env} board snapshot, so no section of it can be checked: move the draft to a board of the snapshot first` });
  }
  if (sectionId !== undefined && board !== undefined) {
    if (sections === undefined) issues.push({ path: 'body.sectionId', message: `the sections of board ${boardId} are not known yet: read them first (GET /boards/${boardId}/sections?environment=${env})` });
    else if (!sections.sections.some((section) => section.id === sectionId)) issues.push({ path: 'body.sectionId', message: `section ${sectionId} is not a section of board ${boardId}` });
  }
  if (issues.length > 0) throw new ValidationError(`Invalid body: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, issues);
}

async function holdImage(deps: PinDeps, env: PinterestEnvironment, accountId: string, pinId: string, image: ImageInput): Promise<PinMedia> {
  if (image.kind === 'url') return { kind: 'url', url: image.url };
  const sha256 = createHash('sha256').update(image.bytes).digest('hex');
  const ref = `${pinId}:${deps.newId()}`;
  const key = await deps.media.hold(env, accountId, ref, { bytes: image.bytes, sha256, contentType: image.contentType });
  return { kind: 'stored', sha256, contentType: image.contentType, bytes: image.bytes.length, key: key === '' ? mediaKey(env, accountId, sha256) : key, ref };
}

/**
 * After a failed write: lets go of the reference this request took, unless the write went through
 * after all (its answer lost) and the record now holds it.
 */
async function releaseUnlessKept(deps: PinDeps, pinId: string, env: PinterestEnvironment, accountId: string, media: PinMedia): Promise<void> {
  if (media.kind !== 'stored') return;
  const now = await deps.pins.get(pinId).catch(() => undefined);
  const kept = now?.content.media;
  if (kept?.kind === 'stored' && kept.ref === media.ref) return;
  await deps.media.release(env, accountId, media.ref, media.sha256).catch(() => undefined);
}

/** The content fields that are set (absent ones left out, never stored as undefined). */
function pick(source: Partial<Record<ContentField, string | undefined>> & { boardId: string }): Omit<PinContent, 'media'> {
  const out: Partial<Record<ContentField, string>> = {};
  for (const field of contentFields) {
    const value = source[field];
    if (value !== undefined) out[field] = value;
  }
  return { ...out, boardId: source.boardId };
}

