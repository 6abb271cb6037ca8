import type { UserRoute } from './api';
import { MESSAGES } from './constants';
import { apiError, isJsonObject, json, jsonBody } from './http';
import { pagedReply } from './paging';
import { BOARD_PRIVACIES, charLength, newId, takeSeq, type BoardPrivacy, type BoardRecord } from './records';
import { boardBody, boardFromPath, boardKey, boardStats, canSeeBoard, sectionBody, sectionKey } from './views';

/**
 * Boards and sections (spec `Board`, `BoardCreate`, `BoardSection`): list the
 * caller's boards, create one, list a board's sections. Everything is read from and written to the
 * world of the host the request reached.
 */

/** Missing scope: Pinterest's generic 403 code 29 (the spec gives no example for these operations). */
export const NOT_PERMITTED = { code: 29, message: MESSAGES.notPermitted };

const PRIVACY_FILTERS: readonly string[] = ['ALL', 'PUBLIC', 'PROTECTED', 'SECRET', 'PUBLIC_AND_SECRET'];

function privacyMatches(filter: string | null, board: BoardRecord): boolean {
  if (filter === null || filter === 'ALL') return true;
  if (filter === 'PUBLIC_AND_SECRET') return board.privacy !== 'PROTECTED';
  return board.privacy === filter;
}

function quoted(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

export const listBoardsRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/boards',
  category: 'org_read',
  auth: 'bearer',
  readOnly: true,
  scopes: ['boards:read'],
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    const filter = req.query.get('privacy');
    if (filter !== null && !PRIVACY_FILTERS.includes(filter)) {
      return apiError(400, 1, `'${filter}' is not one of ${quoted(PRIVACY_FILTERS)} - 'privacy'`);
    }
    const world = service.store.world(caller.environment);
    // Own boards and group boards the user joined; SECRET ones need boards:read_secret (views.ts).
    const boards = [...world.boards.values()].filter((board) => canSeeBoard(board, caller) && privacyMatches(filter, board));
    const stats = boardStats(world);
    return pagedReply(req.query, 'boards', boards, boardKey, (board) => boardBody(service.store, board, stats.get(board.id)));
  },
};

interface BoardInput {
  name: string;
  description: string | null;
  privacy: BoardPrivacy;
  isAdsOnly: boolean;
}

function isPrivacy(value: unknown): value is BoardPrivacy {
  return BOARD_PRIVACIES.some((p) => p === value);
}

function parseBoardInput(body: unknown): { value: BoardInput } | { error: string } {
  if (!isJsonObject(body)) return { error: `${JSON.stringify(body)} is not of type 'object'` };
  const { name, description, privacy, is_ads_only: isAdsOnly } = body;
  if (name === undefined || name === null) return { error: "'name' is a required property" };
  if (typeof name !== 'string') return { error: `${JSON.stringify(name)} is not of type 'string' - 'name'` };
  if (name.trim() === '') return { error: "'' is too short (minimum 1 character) - 'name'" };
  if (charLength(name) > 180) return { error: "The name is too long (maximum 180 characters) - 'name'" };
  if (description !== undefined && description !== null && typeof description !== 'string') {
    return { error: `${JSON.stringify(description)} is not of type 'string' - 'description'` };
  }
  const privacyValue = privacy ?? 'PUBLIC';
  if (!isPrivacy(privacyValue)) return { error: `${JSON.stringify(privacy)} is not one of ${quoted(BOARD_PRIVACIES)} - 'privacy'` };
  if (isAdsOnly !== undefined && typeof isAdsOnly !== 'boolean') return { error: `${JSON.stringify(isAdsOnly)} is not of type 'boolean' - 'is_ads_only'` };
  return {
    value: { name, description: description ?? null, privacy: privacyValue, isAdsOnly: isAdsOnly === true },
  };
}

export const createBoardRoute: UserRoute = {
  method: 'POST',
  pattern: '/v5/boards',
  category: 'org_write',
  auth: 'bearer',
  // The spec's security for POST /boards lists both scopes.
  scopes: ['boards:read', 'boards:write'],
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    const body = jsonBody(req);
    if ('error' in body) return body.error;
    const input = parseBoardInput(body.value);
    if ('error' in input) return apiError(400, 1, input.error);
    const world = service.store.world(caller.environment);
    const { isAdsOnly } = input.value;
    const board: BoardRecord = {
      id: newId(world.boards),
      seq: takeSeq(world),
      ownerId: caller.user.id,
      // The spec: an ad-only board is always named "Ad-only Pins" and PROTECTED.
      name: isAdsOnly ? 'Ad-only Pins' : input.value.name,
      description: input.value.description,
      privacy: isAdsOnly ? 'PROTECTED' : input.value.privacy,
      createdMs: req.nowMs,
      collaboratorIds: [],
      followerCount: 0,
      isAdsOnly,
    };
    world.boards.set(board.id, board);
    return json(201, boardBody(service.store, board, undefined));
  },
};

export const listSectionsRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/boards/:boardId/sections',
  category: 'org_read',
  auth: 'bearer',
  readOnly: true,
  scopes: ['boards:read'],
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    const found = boardFromPath(service, req, caller);
    if ('reply' in found) return found.reply;
    const { world, board } = found;
    const sections = [...world.sections.values()].filter((section) => section.boardId === board.id);
    return pagedReply(req.query, `sections:${board.id}`, sections, sectionKey, sectionBody);
  },
};
