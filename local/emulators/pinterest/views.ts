import type { UserCaller } from './api';
import { apiError, param, type EmulatorRequest, type Reply } from './http';
import { imageSizes, pinImageUrl } from './images';
import { pinterestDateTime, type BoardRecord, type PinRecord, type SectionRecord } from './records';
import type { SortKey } from './paging';
import type { EmulatorService } from './service';
import type { EmulatorStore, World } from './state';

/**
 * Who may see what, and the API's view of stored records (spec `Board`, `BoardSection`, `Pin`). A user
 * sees the boards they own or collaborate on (group boards); SECRET boards only with
 * `boards:read_secret`, as at Pinterest. Everywhere else a board the caller may not see is answered
 * exactly like one that does not exist, so ids of other people's boards leak nothing.
 */

export const MESSAGES_CONTENT = {
  boardNotFound: 'Board not found.',
  sectionNotFound: 'Board section not found.',
  boardOrSectionNotFound: 'Board or section not found.',
  pinNotFound: 'Pin not found.',
} as const;

/** The spec's example for board 404s (GET /boards/{board_id}/pins) uses code 404. */
export function boardNotFound(message: string = MESSAGES_CONTENT.boardNotFound): Reply {
  return apiError(404, 404, message);
}

/** A path id must be numeric (spec pattern `^\d+$`); the 400 reads like the body validation's. */
export function badId(name: string, value: string): Reply | undefined {
  return /^\d+$/.test(value) ? undefined : apiError(400, 1, `'${value}' does not match '^\\\\d+$' - '${name}'`);
}

export function canSeeBoard(board: BoardRecord, caller: UserCaller): boolean {
  const member = board.ownerId === caller.user.id || board.collaboratorIds.includes(caller.user.id);
  return member && (board.privacy !== 'SECRET' || caller.token.scopes.includes('boards:read_secret'));
}

export function visibleBoard(world: World, caller: UserCaller, boardId: string): BoardRecord | undefined {
  const board = world.boards.get(boardId);
  return board !== undefined && canSeeBoard(board, caller) ? board : undefined;
}

/**
 * The board named by the route's `{boardId}`, in the caller's world, if the caller may see it;
 * otherwise the answer to send (400 for a malformed id, 404 for an unknown or hidden board).
 */
export function boardFromPath(service: EmulatorService, req: EmulatorRequest, caller: UserCaller): { world: World; board: BoardRecord } | { reply: Reply } {
  const boardId = param(req, 'boardId');
  const bad = badId('board_id', boardId);
  if (bad !== undefined) return { reply: bad };
  const world = service.store.world(caller.environment);
  const board = visibleBoard(world, caller, boardId);
  return board === undefined ? { reply: boardNotFound() } : { world, board };
}

/** A Pin on a PUBLIC board is public; others only through their board (a guess at Pinterest's rule). */
export function canSeePin(world: World, pin: PinRecord, caller: UserCaller): boolean {
  const board = world.boards.get(pin.boardId);
  return board !== undefined && (board.privacy === 'PUBLIC' || canSeeBoard(board, caller));
}

/** Boards in creation order, so a board created now is on the last page (paging bugs show). */
export const boardKey = (board: BoardRecord): SortKey => [board.seq];
export const sectionKey = (section: SectionRecord): SortKey => [section.seq];
/** Newest first; the sequence number breaks ties between Pins of the same millisecond. */
export const pinKey = (pin: PinRecord): SortKey => [-pin.createdMs, -pin.seq];

function username(store: EmulatorStore, userId: string): string {
  return store.user(userId)?.username ?? `user${userId}`;
}

export interface BoardStats {
  count: number;
  /** The board's newest Pins, at most four (cover and thumbnails). */
  newest: PinRecord[];
}

/** Pin counts and newest Pins of every board, in one pass over the world's Pins. */
export function boardStats(world: World): Map<string, BoardStats> {
  const stats = new Map<string, BoardStats>();
  for (const pin of world.pins.values()) {
    const entry = stats.get(pin.boardId) ?? { count: 0, newest: [] };
    entry.count += 1;
    entry.newest = [...entry.newest, pin].sort((a, b) => b.createdMs - a.createdMs || b.seq - a.seq).slice(0, 4);
    stats.set(pin.boardId, entry);
  }
  return stats;
}

export function boardBody(store: EmulatorStore, board: BoardRecord, stats: BoardStats | undefined): Record<string, unknown> {
  const newest = stats?.newest ?? [];
  return {
    id: board.id,
    name: board.name,
    description: board.description,
    owner: { username: username(store, board.ownerId) },
    privacy: board.privacy,
    created_at: pinterestDateTime(board.createdMs),
    board_pins_modified_at: pinterestDateTime(newest[0]?.createdMs ?? board.createdMs),
    pin_count: stats?.count ?? 0,
    follower_count: board.followerCount,
    collaborator_count: board.collaboratorIds.length,
    media: {
      image_cover_url: newest[0] === undefined ? null : pinImageUrl('400x300', newest[0].image.key),
      pin_thumbnail_urls: newest.map((pin) => pinImageUrl('150x150', pin.image.key)),
    },
    is_ads_only: board.isAdsOnly,
  };
}

export function sectionBody(section: SectionRecord): Record<string, unknown> {
  return { id: section.id, name: section.name };
}

export function pinBody(store: EmulatorStore, world: World, pin: PinRecord, callerId: string): Record<string, unknown> {
  const ownerId = world.boards.get(pin.boardId)?.ownerId ?? pin.creatorId;
  return {
    id: pin.id,
    created_at: pinterestDateTime(pin.createdMs),
    link: pin.link,
    title: pin.title,
    description: pin.description,
    dominant_color: pin.dominantColor,
    alt_text: pin.altText,
    creative_type: 'REGULAR',
    board_id: pin.boardId,
    board_section_id: pin.sectionId,
    board_owner: { username: username(store, ownerId) },
    is_owner: pin.creatorId === callerId,
    media: { media_type: 'image', images: imageSizes(pin.image) },
    parent_pin_id: pin.parentPinId,
    is_standard: pin.isStandard,
    has_been_promoted: false,
    pin_metrics: null,
  };
}
