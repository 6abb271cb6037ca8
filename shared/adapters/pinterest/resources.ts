import * as z from '../../zod';
import type { PinterestEnvironment } from '../../domain/pinterest';
import { boardSchema, sectionSchema, type PinterestBoard, type PinterestSection } from '../../domain/pinterest-api';
import type { PinCreateBody } from '../../use-cases/publish-ports';
import type { PinterestClient, PinterestResult } from './client';

export { boardSchema, sectionSchema, type PinterestBoard, type PinterestSection };

/**
 * Boards, sections and Pins (`/v5/boards`, `/v5/boards/{id}/sections`, `/v5/pins`) on top of the client
 * core. Every list is one page; callers loop over `bookmark` (null/absent on the last page). Pin
 * creation uses a fresh connection and is never retried here.
 */

const nullableString = z.optional(z.nullable(z.string()));

const numericId = z.string().check(z.regex(/^\d+$/));

export const pinSchema = z.looseObject({
  id: numericId,
  created_at: z.optional(z.string()),
  board_id: z.optional(z.string()),
  board_section_id: nullableString,
  title: nullableString,
  description: nullableString,
  link: nullableString,
  alt_text: nullableString,
});
export type PinterestPin = z.infer<typeof pinSchema>;

const page = <S extends z.core.$ZodType>(item: S) => z.object({ items: z.array(item), bookmark: z.optional(z.nullable(z.string())) });
export interface Page<T> {
  items: T[];
  bookmark: string | null;
}

export interface PageOptions {
  bookmark?: string;
  pageSize?: number;
}

/** The fields of `POST /v5/pins` the product sends (PinCreate), as the publish use case builds them. */
export type PinCreate = PinCreateBody;

function asPage<T>(result: PinterestResult<{ items: T[]; bookmark?: string | null | undefined }>): PinterestResult<Page<T>> {
  return { ...result, data: { items: result.data.items, bookmark: result.data.bookmark ?? null } };
}

const pageQuery = (options: PageOptions) => ({ bookmark: options.bookmark, page_size: options.pageSize });

export class PinterestApi {
  constructor(readonly client: PinterestClient) {}

  async listBoards(env: PinterestEnvironment, token: string, options: PageOptions = {}) {
    return asPage(await this.client.call(env, { method: 'GET', path: '/boards', auth: { bearer: token }, query: pageQuery(options), schema: page(boardSchema) }));
  }

  async createBoard(env: PinterestEnvironment, token: string, board: { name: string; description?: string; privacy?: 'PUBLIC' | 'SECRET' }) {
    return this.client.call(env, { method: 'POST', path: '/boards', auth: { bearer: token }, json: board, schema: boardSchema });
  }

  async listSections(env: PinterestEnvironment, token: string, boardId: string, options: PageOptions = {}) {
    const path = `/boards/${encodeURIComponent(boardId)}/sections`;
    return asPage(await this.client.call(env, { method: 'GET', path, auth: { bearer: token }, query: pageQuery(options), schema: page(sectionSchema) }));
  }

  /** `POST /v5/pins`: no idempotency key exists, so this is sent once, on a fresh connection. */
  async createPin(env: PinterestEnvironment, token: string, pin: PinCreate, timeoutMs?: number) {
    return this.client.call(env, {
      method: 'POST',
      path: '/pins',
      auth: { bearer: token },
      json: pin,
      schema: pinSchema,
      freshConnection: true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }

  async getPin(env: PinterestEnvironment, token: string, pinId: string) {
    return this.client.call(env, { method: 'GET', path: `/pins/${encodeURIComponent(pinId)}`, auth: { bearer: token }, schema: pinSchema });
  }

  /** A board's Pins, newest first. */
  async listBoardPins(env: PinterestEnvironment, token: string, boardId: string, options: PageOptions = {}) {
    const path = `/boards/${encodeURIComponent(boardId)}/pins`;
    return asPage(await this.client.call(env, { method: 'GET', path, auth: { bearer: token }, query: pageQuery(options), schema: page(pinSchema) }));
  }

  /** A board section's Pins, newest first. */
  async listSectionPins(env: PinterestEnvironment, token: string, boardId: string, sectionId: string, options: PageOptions = {}) {
    const path = `/boards/${encodeURIComponent(boardId)}/sections/${encodeURIComponent(sectionId)}/pins`;
    return asPage(await this.client.call(env, { method: 'GET', path, auth: { bearer: token }, query: pageQuery(options), schema: page(pinSchema) }));
  }
}
