import { AppError, DependencyError } from '../domain/errors';
import type { PinterestEnvironment } from '../domain/pinterest';
import type { Failure } from '../domain/pins';
import { ReauthorizationRequiredError } from './token-source';

/**
 * What a failed `POST /v5/pins` means for the record (DESIGN.md "Pin workflow", outcome rules):
 * - nothing can have reached Pinterest (connection refused, name not resolved, connect timeout, no
 *   usable token) → `failed`, retryable;
 * - the request may have been processed (any other timeout, a dropped connection, HTTP ≥ 500, an
 *   answer we cannot read) → `needs_reconcile`: only a reconciliation or the operator may decide;
 * - a 429 → `failed`, retryable after the reset; a definitive 4xx (code 29, spam block, unreachable
 *   image, board not found, invalid field) → `failed` with a plain message and whether a retry helps.
 * Each case's words are in the README's table.
 */

export type PublishOutcome =
  | { status: 'failed'; failure: Omit<Failure, 'at'> }
  | { status: 'needs_reconcile'; reason: string; httpStatus?: number; requestId?: string };

interface ApiFacts {
  status?: number;
  pinterestCode?: number;
  pinterestMessage?: string;
  requestId?: string;
  retryAfterSeconds?: number;
}

function apiFacts(error: DependencyError): ApiFacts {
  const facts = error as DependencyError & { status?: unknown; pinterestCode?: unknown; pinterestMessage?: unknown; requestId?: unknown };
  return {
    ...(typeof facts.status === 'number' ? { status: facts.status } : {}),
    ...(typeof facts.pinterestCode === 'number' ? { pinterestCode: facts.pinterestCode } : {}),
    ...(typeof facts.pinterestMessage === 'string' ? { pinterestMessage: facts.pinterestMessage } : {}),
    ...(typeof facts.requestId === 'string' ? { requestId: facts.requestId } : {}),
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
  };
}

/** Pinterest's own words, on one short line, for the operator. */
function said(message: string | undefined): string {
  const line = (message ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
  return line === '' ? '' : ` Pinterest said: "${line}".`;
}

function failed(kind: string, message: string, retryable: boolean, facts: ApiFacts, retryAfter?: string): PublishOutcome {
  return {
    status: 'failed',
    failure: {
      kind,
      message,
      retryable,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(facts.status === undefined ? {} : { httpStatus: facts.status }),
      ...(facts.pinterestCode === undefined ? {} : { pinterestCode: facts.pinterestCode }),
      ...(facts.requestId === undefined ? {} : { requestId: facts.requestId }),
    },
  };
}

/** Pinterest's message without the quoted parts (the values it refused, written by the operator). */
function withoutQuotes(message: string): string {
  return message.replace(/'[^']*'/g, "''").replace(/"[^"]*"/g, '""').replace(/\u2018[^\u2019]*\u2019/g, '').replace(/\u201c[^\u201d]*\u201d/g, '');
}

export function publishOutcome(error: unknown, env: PinterestEnvironment, boardId: string, now: Date): PublishOutcome {
  if (error instanceof ReauthorizationRequiredError) {
    return failed('reauthorization_required', `Pinterest no longer accepts the ${env} connection: nothing was sent. Connect again (POST /oauth/start), then publish again.`, true, {});
  }
  if (!(error instanceof DependencyError)) {
    if (error instanceof AppError && error.code === 'dependency_failed') {
      // The token could not be renewed: the Pin was never sent.
      return failed('token_refresh_failed', `${error.message} Nothing was sent; publish again later.`, true, {});
    }
    // Not ours to guess: whatever failed may have done so after the request left.
    return { status: 'needs_reconcile', reason: 'The attempt stopped unexpectedly after it may have reached Pinterest: the Pin may or may not exist.' };
  }
  const facts = apiFacts(error);
  const at = (seconds: number) => new Date(now.getTime() + Math.ceil(seconds) * 1000).toISOString();
  switch (error.code) {
    case 'not_sent':
      return failed('not_sent', `Pinterest ${env} could not be reached (${error.summary}): nothing was sent. Publish again.`, true, facts);
    case 'outcome_unknown':
      return { status: 'needs_reconcile', reason: `The connection to Pinterest ${env} failed after the request was sent (${error.summary}): the Pin may or may not exist. It will be looked for; do not publish it again.` };
    case 'server_error':
      return {
        status: 'needs_reconcile',
        reason: `Pinterest ${env} answered ${String(facts.status ?? 500)}: the Pin may or may not have been created. It will be looked for; do not publish it again.`,
        ...(facts.status === undefined ? {} : { httpStatus: facts.status }),
        ...(facts.requestId === undefined ? {} : { requestId: facts.requestId }),
      };
    case 'unexpected_answer':
      return { status: 'needs_reconcile', reason: `Pinterest ${env} answered with something that is not a Pin (${error.summary}): the Pin may exist. It will be looked for.` };
    case 'rate_limited': {
      const wait = facts.retryAfterSeconds ?? 60;
      return failed('rate_limited', `Pinterest ${env} is rate limiting this app: the Pin was not created. Publish again after ${at(wait)}.`, true, facts, at(wait));
    }
    case 'spam_blocked': {
      const wait = Math.max(facts.retryAfterSeconds ?? 0, 3600);
      return failed('spam_blocked', `Pinterest blocked this Pin as possible spam: it was not created.${said(facts.pinterestMessage)} Wait at least an hour and publish fewer Pins at a time.`, true, facts, at(wait));
    }
    case 'forbidden':
      return failed(
        'forbidden',
        env === 'production'
          ? `Pinterest refused to publish to production (code ${String(facts.pinterestCode ?? 29)}): the app does not have production access yet (a Trial app publishes only to the sandbox; PINTEREST_ACCESS_TIER=standard must match what Pinterest granted).${said(facts.pinterestMessage)}`
          : `Pinterest refused access to board ${boardId} (code ${String(facts.pinterestCode ?? 29)}): the connected account may not write to it.${said(facts.pinterestMessage)}`,
        false,
        facts,
      );
    case 'not_found':
      return failed('board_not_found', `Pinterest ${env} does not know board ${boardId}: it may have been deleted. Sync the boards, move the draft to another board and approve it again.${said(facts.pinterestMessage)}`, false, facts);
    case 'invalid_request': {
      const message = facts.pinterestMessage ?? '';
      // Pinterest quotes the refused value: what the operator wrote must not decide the kind.
      const own = withoutQuotes(message);
      if (/board/i.test(own) && /not found|does not exist|invalid/i.test(own)) {
        return failed('board_not_found', `Pinterest ${env} does not know board ${boardId}: it may have been deleted. Sync the boards, move the draft to another board and approve it again.${said(message)}`, false, facts);
      }
      if (/image|media_source|fetch|reach the url/i.test(own)) {
        return failed('image_unreachable', `Pinterest could not fetch or use the image: it must be a publicly reachable JPEG or PNG. Fix the image (PATCH), approve again, then publish.${said(message)}`, false, facts);
      }
      return failed('invalid_field', `Pinterest refused the Pin's content: edit it and approve again.${said(message)}`, false, facts);
    }
    default:
      return failed('refused', `Pinterest ${env} refused the Pin (${error.summary}).${said(facts.pinterestMessage)}`, false, facts);
  }
}
