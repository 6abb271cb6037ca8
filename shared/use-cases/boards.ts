import { boardRecordFrom, boardView, nameMatches, type BoardRecord } from '../domain/boards';
import { NotFoundError, ValidationError } from '../domain/errors';
import { missingScopes, type PinterestEnvironment } from '../domain/pinterest';
import type { BoardCallDeps } from './board-ports';
import { operatorErrorFor } from './pinterest-refusals';
import { ReauthorizationRequiredError, withPinterestToken } from './token-source';
import { isLive } from './token-refresh';

/** The board snapshot as the operator reads it, sections on demand, and board creation. */

/**
 * GET /boards: the environment's snapshot, in pages, with the last complete sync's time. With `q`,
 * only boards whose name contains it (case-insensitive, Unicode-aware).
 */
export async function listSnapshot(deps: Pick<BoardCallDeps, 'boards'>, env: PinterestEnvironment, options: { q?: string; limit: number; cursor?: string }) {
  const q = options.q;
  const [snapshot, page] = await Promise.all([
    deps.boards.getSnapshot(env),
    deps.boards.listBoards(env, { limit: options.limit, ...(options.cursor === undefined ? {} : { cursor: options.cursor }), ...(q === undefined ? {} : { filter: (board: BoardRecord) => nameMatches(board.name, q) }) }),
  ]);
  return {
    environment: env,
    syncedAt: snapshot?.syncedAt ?? null,
    items: page.items.map(boardView),
    ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }),
  };
}

/**
 * GET /boards/{id}/sections: the board's sections, fetched from Pinterest (every page) on first use
 * and kept with `fetchedAt`; `refresh` fetches them again.
 */
export async function boardSections(deps: BoardCallDeps, env: PinterestEnvironment, boardId: string, refresh: boolean) {
  const board = await deps.boards.getBoard(env, boardId);
  if (board === undefined) throw new NotFoundError(`Board ${boardId} is not in the ${env} snapshot: sync the boards first (POST /boards/sync)`);
  const cached = refresh ? undefined : await deps.boards.getSections(env, boardId);
  if (cached !== undefined) return { environment: env, boardId, fetchedAt: cached.fetchedAt, cached: true, sections: cached.sections };
  const sections: Array<{ id: string; name: string }> = [];
  let bookmark: string | null | undefined;
  const call = {
    action: `list the sections of board ${boardId}`,
    notFound: `Pinterest ${env} no longer has board ${boardId} (deleted, or not visible to this connection): sync the boards (POST /boards/sync) to update the snapshot.`,
  };
  do {
    const page = await withPinterestToken(deps.tokens, env, (token) =>
      deps.pinterest.listSections(env, token, boardId, { pageSize: deps.settings.pageSize, ...(bookmark ? { bookmark } : {}) }),
    ).catch((error: unknown) => {
      throw operatorErrorFor(error, env, call);
    });
    sections.push(...page.data.items.map((section) => ({ id: section.id, name: section.name })));
    bookmark = page.data.bookmark;
  } while (bookmark !== null);
  const record = { boardId, sections, fetchedAt: deps.clock.now().toISOString() };
  await deps.boards.putSections(env, record);
  return { environment: env, boardId, fetchedAt: record.fetchedAt, cached: false, sections };
}

/** What a secret board needs: writing it, and reading it back (or the next sync would drop it). */
export const secretBoardScopes = ['boards:read_secret', 'boards:write_secret'] as const;

/**
 * POST /boards: creates the board at Pinterest (the sandbox starts with none) and adds it to the
 * snapshot. A SECRET board is refused before any call unless the connection was granted the secret
 * scopes, which the publisher does not ask for: without `boards:read_secret` the board could never be
 * listed, so the next sync would drop it.
 */
export async function createBoard(deps: BoardCallDeps, env: PinterestEnvironment, input: { name: string; description?: string; privacy?: 'PUBLIC' | 'SECRET' }) {
  const account = await deps.tokens.accounts.get(env);
  if (!isLive(account)) throw new ReauthorizationRequiredError(env);
  const lacking = input.privacy === 'SECRET' ? missingScopes(account.scopes, secretBoardScopes) : [];
  if (lacking.length > 0) {
    throw new ValidationError(`A secret board needs the ${lacking.join(' and ')} scope${lacking.length > 1 ? 's' : ''}, which this ${env} connection was not granted; create a PUBLIC board instead.`, [
      { path: 'body.privacy', message: `SECRET needs ${lacking.join(', ')}` },
    ]);
  }
  const created = await withPinterestToken(deps.tokens, env, (token) => deps.pinterest.createBoard(env, token, input)).catch((error: unknown) => {
    throw operatorErrorFor(error, env, {
      action: `create the board "${input.name}"`,
      ifUnknown: 'The board may have been created: sync the boards (POST /boards/sync) and look for it before trying again.',
    });
  });
  const record = boardRecordFrom(created.data, env, account.username, deps.clock.now());
  await deps.boards.putBoard(record);
  return boardView(record);
}
