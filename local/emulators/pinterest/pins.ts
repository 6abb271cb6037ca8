import type { UserCaller, UserRoute } from './api';
import { NOT_PERMITTED } from './boards';
import { MESSAGES } from './constants';
import { apiError, json, jsonBody, param, type EmulatorRequest, type Reply } from './http';
import { base64Image, isReachableImageUrl, urlImage } from './images';
import { pagedReply } from './paging';
import { parsePinInput, type PinInput } from './pin-input';
import { newId, takeSeq, type BoardRecord, type PinRecord, type StoredImage } from './records';
import type { EmulatorService } from './service';
import type { World } from './state';
import { badId, boardFromPath, boardNotFound, canSeePin, MESSAGES_CONTENT, pinBody, pinKey, visibleBoard } from './views';

/**
 * Pins (spec `PinCreate`, `Pin`): create an image Pin, read one, list a board's
 * or a section's Pins newest first. Trial apps may not create Pins on the production host.
 */

const PIN_SCOPES = ['boards:read', 'pins:read'] as const;

function pinNotFound(): Reply {
  return apiError(404, 50, MESSAGES_CONTENT.pinNotFound);
}

/** Pinterest fetches (or decodes) the image before creating anything, so a bad image creates nothing. */
function storedImage(input: PinInput, pinId: string, req: EmulatorRequest): StoredImage | Reply {
  const { media } = input;
  if (media.kind === 'image_url') {
    if (req.imageUnreachable || !isReachableImageUrl(media.url)) return apiError(400, 1, MESSAGES.imageUnreachable);
    return urlImage(pinId);
  }
  return base64Image(pinId, media.data) ?? apiError(400, 1, "The image in 'media_source.data' is not a JPEG or PNG image that could be read.");
}

/** The board and section named by the input, when the caller may Pin there. */
function target(world: World, caller: UserCaller, input: PinInput): BoardRecord | Reply {
  const board = visibleBoard(world, caller, input.boardId);
  if (board === undefined) return boardNotFound();
  if (input.sectionId === null) return board;
  const section = world.sections.get(input.sectionId);
  return section?.boardId === board.id ? board : apiError(404, 404, MESSAGES_CONTENT.sectionNotFound);
}

function createPin(service: EmulatorService, req: EmulatorRequest, caller: UserCaller, input: PinInput): Reply {
  const world = service.store.world(caller.environment);
  const board = target(world, caller, input);
  if ('status' in board) return board;
  const id = newId(world.pins);
  const image = storedImage(input, id, req);
  if ('status' in image) return image;
  const pin: PinRecord = {
    id,
    seq: takeSeq(world),
    boardId: board.id,
    sectionId: input.sectionId,
    creatorId: caller.user.id,
    createdMs: req.nowMs,
    title: input.title,
    description: input.description,
    link: input.link,
    altText: input.altText,
    // Pinterest computes it from the image; without pixels, a colour derived from the id stands in.
    dominantColor: input.dominantColor ?? `#${image.key.slice(0, 6).toUpperCase()}`,
    parentPinId: input.parentPinId,
    isStandard: input.media.isStandard,
    image,
  };
  world.pins.set(id, pin);
  return json(201, pinBody(service.store, world, pin, caller.user.id));
}

export const createPinRoute: UserRoute = {
  method: 'POST',
  pattern: '/v5/pins',
  category: 'org_write',
  auth: 'bearer',
  scopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write'],
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    // Checked before the body: a Trial app gets 403 code 29 on the production host, whatever the Pin.
    if (caller.environment === 'production' && service.store.state.app.tier === 'trial') {
      return apiError(403, 29, MESSAGES.trialPinsInProduction);
    }
    const body = jsonBody(req);
    if ('error' in body) return body.error;
    const input = parsePinInput(body.value, caller.environment);
    return 'error' in input ? apiError(400, 1, input.error) : createPin(service, req, caller, input.value);
  },
};

export const getPinRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/pins/:pinId',
  category: 'org_read',
  auth: 'bearer',
  readOnly: true,
  scopes: PIN_SCOPES,
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    const pinId = param(req, 'pinId');
    const bad = badId('pin_id', pinId);
    if (bad !== undefined) return bad;
    const world = service.store.world(caller.environment);
    const pin = world.pins.get(pinId);
    if (pin === undefined || !canSeePin(world, pin, caller)) return pinNotFound();
    return json(200, pinBody(service.store, world, pin, caller.user.id));
  },
};

function pinsPage(service: EmulatorService, req: EmulatorRequest, caller: UserCaller, pins: readonly PinRecord[], list: string): Reply {
  const world = service.store.world(caller.environment);
  return pagedReply(req.query, list, pins, pinKey, (pin) => pinBody(service.store, world, pin, caller.user.id));
}

export const boardPinsRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/boards/:boardId/pins',
  category: 'org_read',
  auth: 'bearer',
  readOnly: true,
  scopes: PIN_SCOPES,
  forbidden: NOT_PERMITTED,
  handle(service, req, caller) {
    const found = boardFromPath(service, req, caller);
    if ('reply' in found) return found.reply;
    const { world, board } = found;
    const pins = [...world.pins.values()].filter((pin) => pin.boardId === board.id);
    return pinsPage(service, req, caller, pins, `pins:${board.id}`);
  },
};

export const sectionPinsRoute: UserRoute = {
  method: 'GET',
  pattern: '/v5/boards/:boardId/sections/:sectionId/pins',
  category: 'org_read',
  auth: 'bearer',
  readOnly: true,
  scopes: PIN_SCOPES,
  // The spec's own 403 and 404 examples for this operation.
  forbidden: { code: 403, message: 'Not authorized to access Pins on board section.' },
  handle(service, req, caller) {
    const boardId = param(req, 'boardId');
    const sectionId = param(req, 'sectionId');
    const bad = badId('board_id', boardId) ?? badId('section_id', sectionId);
    if (bad !== undefined) return bad;
    const world = service.store.world(caller.environment);
    const board = visibleBoard(world, caller, boardId);
    const section = world.sections.get(sectionId);
    if (board === undefined || section?.boardId !== board.id) return boardNotFound(MESSAGES_CONTENT.boardOrSectionNotFound);
    const pins = [...world.pins.values()].filter((pin) => pin.sectionId === section.id);
    return pinsPage(service, req, caller, pins, `pins:${board.id}:${section.id}`);
  },
};
