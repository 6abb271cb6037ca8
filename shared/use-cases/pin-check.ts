import { ConflictError, NotFoundError } from '../domain/errors';
import { pinDetail, type PinRecord } from '../domain/pins';
import { operatorErrorFor } from './pinterest-refusals';
import { nextRecord } from './pins';
import type { PublishDeps } from './publish-ports';

/** What a check needs: the record, the board snapshot, and Pinterest through the token source. */
export type PinCheckDeps = Pick<PublishDeps, 'clock' | 'pins' | 'boards' | 'tokens' | 'pinterest'>;
import { withPinterestToken } from './token-source';

/**
 * POST /pins/{id}/check for a published record: `GET /v5/pins/{id}` refreshes its facts, or marks it
 * `missing_on_pinterest` (it stays listed; copy it to publish the content again).
 */
export async function checkPublishedPin(deps: PinCheckDeps, pinId: string) {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw new NotFoundError(`No Pin record ${pinId}`);
  const published = record.published;
  if ((record.status !== 'published' && record.status !== 'missing_on_pinterest') || published === undefined) {
    throw new ConflictError(`Only a published, missing_on_pinterest or needs_reconcile Pin can be checked (this one is ${record.status})`, record.status);
  }
  const env = record.environment;
  const at = deps.clock.now().toISOString();
  let next: PinRecord;
  try {
    const answer = await withPinterestToken(deps.tokens, env, (token) => deps.pinterest.getPin(env, token, published.pinterestPinId));
    next = nextRecord(record, 'published', 'check', at, {
      published: { ...published, lastCheckedAt: at, ...(answer.data.board_id === undefined ? {} : { boardId: answer.data.board_id }) },
    }, { by: 'operator' });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'not_found')) {
      throw operatorErrorFor(error, env, { action: `check Pin ${published.pinterestPinId}` });
    }
    next = nextRecord(record, 'missing_on_pinterest', 'check', at, { published: { ...published, lastCheckedAt: at } }, { by: 'operator', reason: `Pinterest ${env} no longer has Pin ${published.pinterestPinId}` });
  }
  return pinDetail(await deps.pins.replace(record, next), await deps.boards.presence(env, record.content.boardId));
}
