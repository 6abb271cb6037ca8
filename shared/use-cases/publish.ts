import { ConflictError, NotFoundError, RateLimitedError } from '../domain/errors';
import { missingScopes, pinWebUrl, publishingScopes, type PinterestEnvironment } from '../domain/pinterest';
import { approvalHolds, pinDetail, type Failure, type PinRecord } from '../domain/pins';
import { outcomeForStatus } from '../domain/security-event';
import { ReauthorizationRequiredError, withPinterestToken } from './token-source';
import { nextRecord } from './pins';
import { publishOutcome } from './publish-outcomes';
import type { PinCreateBody, PublishDeps } from './publish-ports';

/**
 * POST /pins/{id}/publish: exactly one `POST /v5/pins` per approval, whatever the retries, crashes,
 * timeouts and double clicks. Pinterest has no idempotency key, so:
 * 1. every precondition is checked first (approved or a retryable failure, the approval still matching
 *    the content, a connected account with the publishing scopes, a tier that allows the environment);
 * 2. the environment's pacing slot is taken (one conditional write; none free → 429, nothing changed);
 * 3. the record is claimed — `publishing` with a new attempt id and a lease longer than the function
 *    may run — in one conditional write on status and version: of any number of concurrent requests
 *    only one gets here;
 * 4. Pinterest is called once (repeated only after a 401 code 2 and a token refresh, when Pinterest
 *    has processed nothing);
 * 5. the outcome is written conditional on the attempt id, so a late or repeated writer changes nothing.
 * A function that dies between 3 and 5 leaves the record `publishing` until its lease ends; the sweeper
 * then marks it `needs_reconcile` (never `approved`).
 */

export interface PublishAnswer {
  outcome: 'published' | 'failed' | 'needs_reconcile';
  pin: ReturnType<typeof pinDetail>;
  /** Seconds until a retry can help, for a failure with a reset (Retry-After). */
  retryAfterSeconds?: number;
}

export async function publishPin(deps: PublishDeps, pinId: string): Promise<PublishAnswer> {
  const record = await deps.pins.get(pinId);
  if (record === undefined) throw new NotFoundError(`No Pin record ${pinId}`);
  refuseUnlessPublishable(record, deps.clock.now());
  const env = record.environment;
  await checkAccount(deps, env);
  if ((await deps.boards.presence(env, record.content.boardId)) === 'missing') {
    throw new ConflictError(`Board ${record.content.boardId} left the ${env} board snapshot (board_missing): move the draft to another board and approve it again`, 'board_missing');
  }

  const slot = await deps.pacing.reserve(env, pinId);
  if (!slot.allowed) {
    if (slot.reason === 'gap' && slot.holder === pinId) {
      // This record took the slot a moment ago: another request for it is publishing it.
      const now = await deps.pins.get(pinId);
      if (now !== undefined && now.status !== record.status) throw alreadyHandled(now);
    }
    const why =
      slot.reason === 'daily_cap'
        ? `The daily cap of ${String(slot.cap)} Pin writes in ${env} (PUBLISH_DAILY_CAP) is reached: publish again after midnight UTC`
        : `Pins in ${env} are spaced at least PUBLISH_MIN_GAP_SECONDS apart: publish again in ${String(slot.retryAfterSeconds)} s`;
    throw new RateLimitedError(`${why}. Nothing was changed.`, slot.retryAfterSeconds, { details: { pacing: slot.reason } });
  }

  const started = deps.clock.now();
  const attempt = { attemptId: deps.newId(), startedAt: started.toISOString(), leaseUntil: new Date(started.getTime() + deps.settings.leaseMs).toISOString() };
  let claimed: PinRecord;
  try {
    claimed = await deps.pins.replace(record, nextRecord(record, 'publishing', 'publish', attempt.startedAt, { attempt, failure: undefined }));
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const now = await deps.pins.get(pinId);
    if (now === undefined) throw new NotFoundError(`No Pin record ${pinId}`);
    if (now.status === 'publishing' && now.attempt?.attemptId === attempt.attemptId) {
      // Our claim went through and only its answer was lost (a retried write then failed its condition).
      claimed = now;
    } else {
      // Nothing will be written to Pinterest for this slot: give it back to today's count.
      await deps.pacing.refund(env, pinId).catch(() => undefined);
      throw alreadyHandled(now);
    }
  }

  const written = await attemptCreate(deps, claimed);
  const answer: PublishAnswer = { outcome: written.status === 'published' ? 'published' : written.status === 'failed' ? 'failed' : 'needs_reconcile', pin: pinDetail(written, 'present') };
  const retryAfter = written.failure?.retryAfter;
  if (retryAfter !== undefined) answer.retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(retryAfter) - deps.clock.now().getTime()) / 1000));
  return answer;
}

/** Steps 4 and 5: the one call, then the outcome written under the attempt's id. */
async function attemptCreate(deps: PublishDeps, claimed: PinRecord): Promise<PinRecord> {
  const env = claimed.environment;
  const attempt = claimed.attempt;
  if (attempt === undefined) throw new Error('a claimed record carries its attempt');
  let body: PinCreateBody;
  try {
    body = await pinCreateBody(deps, claimed);
  } catch (error) {
    const failure = { kind: 'media_unavailable', message: `The stored image could not be read (${error instanceof Error ? error.name : 'error'}): nothing was sent. Publish again.`, retryable: true };
    await logCall(deps, claimed, { status: undefined, rateLimit: undefined, outcome: 'media_unavailable', pinterestPinId: undefined, requestId: undefined });
    return finish(deps, claimed, { status: 'failed', failure });
  }
  let rateLimit: { limit?: number; remaining?: number; resetSeconds?: number } | undefined;
  try {
    const answer = await withPinterestToken(deps.tokens, env, (token) => deps.pinterest.createPin(env, token, body, deps.settings.createTimeoutMs));
    rateLimit = answer.rateLimit;
    const at = deps.clock.now().toISOString();
    const published = {
      pinterestPinId: answer.data.id,
      boardId: answer.data.board_id ?? body.board_id,
      ...((answer.data.board_section_id ?? body.board_section_id) ? { sectionId: (answer.data.board_section_id ?? body.board_section_id) as string } : {}),
      ...(answer.data.created_at === undefined ? {} : { createdAt: answer.data.created_at }),
      httpStatus: answer.status,
      ...(answer.requestId === undefined ? {} : { requestId: answer.requestId }),
      publishedAt: at,
      url: pinWebUrl(answer.data.id),
    };
    await logCall(deps, claimed, { status: answer.status, rateLimit, outcome: 'published', pinterestPinId: answer.data.id, requestId: answer.requestId });
    // The Pin is this record's before the record says so: no reconciliation can give it to another.
    const holder = await deps.holders.claim(env, answer.data.id, claimed.pinId);
    if (holder !== claimed.pinId) {
      // Cannot happen unless another record's reconciliation adopted this new Pin first: say so.
      return await finish(deps, claimed, { status: 'needs_reconcile', reason: `Pinterest created Pin ${answer.data.id} for this attempt, but record ${holder} already holds it: the operator must settle which record it belongs to.` });
    }
    return await writeOutcome(deps, claimed, 'published', { published, attempt: undefined, failure: undefined, unknownOutcome: undefined }, 'system');
  } catch (error) {
    const outcome = publishOutcome(error, env, claimed.content.boardId, deps.clock.now());
    const facts = error as { status?: unknown; rateLimit?: { remaining?: number; resetSeconds?: number } };
    await logCall(deps, claimed, {
      status: typeof facts.status === 'number' ? facts.status : undefined,
      rateLimit: facts.rateLimit,
      outcome: outcome.status === 'failed' ? outcome.failure.kind : 'needs_reconcile',
      pinterestPinId: undefined,
      requestId: outcome.status === 'failed' ? outcome.failure.requestId : outcome.requestId,
    });
    return finish(deps, claimed, outcome);
  }
}

async function finish(deps: PublishDeps, claimed: PinRecord, outcome: { status: 'failed'; failure: Omit<Failure, 'at'> } | { status: 'needs_reconcile'; reason: string }): Promise<PinRecord> {
  const at = deps.clock.now().toISOString();
  const attempt = claimed.attempt;
  if (outcome.status === 'failed') {
    return writeOutcome(deps, claimed, 'failed', { failure: { ...outcome.failure, at }, attempt: undefined }, 'system', outcome.failure.message);
  }
  if (attempt === undefined) throw new Error('a claimed record carries its attempt');
  return writeOutcome(
    deps,
    claimed,
    'needs_reconcile',
    { unknownOutcome: { reason: outcome.reason, at, attemptId: attempt.attemptId, attemptStartedAt: attempt.startedAt }, attempt: undefined },
    'system',
    outcome.reason,
  );
}

/** The outcome, conditional on the record still being this attempt's (status, version and so the attempt id). */
async function writeOutcome(deps: PublishDeps, claimed: PinRecord, to: 'published' | 'failed' | 'needs_reconcile', changes: Parameters<typeof nextRecord>[4], by: 'system', reason?: string): Promise<PinRecord> {
  const at = deps.clock.now().toISOString();
  try {
    return await deps.pins.replace(claimed, nextRecord(claimed, to, 'outcome', at, changes, { by, ...(reason === undefined ? {} : { reason }) }));
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // The lease ended and the sweeper (or an operator) moved the record on: theirs stands.
    const now = await deps.pins.get(claimed.pinId);
    if (now === undefined) throw new NotFoundError(`No Pin record ${claimed.pinId}`);
    return now;
  }
}

/** The `PinCreate` body: the approved content, the image from the data bucket as base64 or as its URL. */
async function pinCreateBody(deps: PublishDeps, record: PinRecord): Promise<PinCreateBody> {
  const { content } = record;
  const media = content.media;
  let source: PinCreateBody['media_source'];
  if (media.kind === 'url') {
    source = { source_type: 'image_url', url: media.url };
  } else {
    const object = await deps.media.read(media.key);
    if (object === undefined) throw new NotFoundError('The stored image is missing from the data bucket');
    source = { source_type: 'image_base64', content_type: media.contentType, data: object.body.toString('base64') };
  }
  return {
    board_id: content.boardId,
    ...(content.sectionId === undefined ? {} : { board_section_id: content.sectionId }),
    ...(content.title === undefined ? {} : { title: content.title }),
    ...(content.description === undefined ? {} : { description: content.description }),
    ...(content.link === undefined ? {} : { link: content.link }),
    ...(content.altText === undefined ? {} : { alt_text: content.altText }),
    ...(content.dominantColor === undefined ? {} : { dominant_color: content.dominantColor }),
    media_source: source,
  };
}

function refuseUnlessPublishable(record: PinRecord, now: Date): void {
  const { status } = record;
  if (status === 'failed') {
    const failure = record.failure;
    if (failure !== undefined && !failure.retryable) throw new ConflictError(`This Pin failed in a way publishing again cannot fix: ${failure.message}`, 'failed');
    if (failure?.retryAfter !== undefined && Date.parse(failure.retryAfter) > now.getTime()) {
      const wait = Math.ceil((Date.parse(failure.retryAfter) - now.getTime()) / 1000);
      throw new RateLimitedError(`Pinterest asked to wait: publish again in ${String(wait)} s. Nothing was changed.`, wait);
    }
  } else if (status !== 'approved') {
    throw alreadyHandled(record);
  }
  if (!approvalHolds(record)) {
    throw new ConflictError('The content no longer matches what was approved: review it and approve it again before publishing', record.status, { details: { reason: 'approval_mismatch' } });
  }
}

/** A 409 that says where the record is: being published, published, or not approved. */
function alreadyHandled(record: PinRecord): ConflictError {
  const messages: Partial<Record<PinRecord['status'], string>> = {
    publishing: `This Pin is already being published (attempt started ${record.attempt?.startedAt ?? 'just now'}): wait for its outcome`,
    published: `This Pin is already published as Pinterest Pin ${record.published?.pinterestPinId ?? '?'} (${record.published?.url ?? ''})`,
    needs_reconcile: 'The last attempt to publish this Pin has an unknown outcome (the Pin may exist at Pinterest): it must be reconciled against Pinterest or settled by the operator before it can be published again',
    missing_on_pinterest: 'This Pin was published and later went missing on Pinterest: copy it (POST /pins/{id}/copy) to publish the content again',
    draft: 'Only an approved Pin can be published: approve it first',
    rejected: 'A rejected Pin cannot be published: edit it and approve it first',
    failed: 'This Pin failed to publish: see its failure',
  };
  return new ConflictError(messages[record.status] ?? `A ${record.status} Pin cannot be published`, record.status, {
    details: { current: pinDetail(record, undefined) },
  });
}

/** The account must be connected (confirmed, publishing scopes granted) and the tier must allow the environment. */
async function checkAccount(deps: PublishDeps, env: PinterestEnvironment): Promise<void> {
  if (env === 'production' && deps.settings.accessTier !== 'standard') {
    throw new ConflictError(
      'This app has Trial access, which publishes only to the sandbox. Once Pinterest grants Standard access, set PINTEREST_ACCESS_TIER=standard to publish to production.',
      'trial_access',
    );
  }
  const account = await deps.accounts.get(env);
  if (account === undefined || account.status !== 'connected') {
    if (account?.status === 'reauthorization_required') throw new ReauthorizationRequiredError(env);
    throw new ConflictError(`The ${env} account is ${account?.status ?? 'not connected'}: it must be connected and confirmed (GET /account) before publishing`, account?.status ?? 'not_connected');
  }
  const missing = missingScopes(account.scopes, publishingScopes);
  if (missing.length > 0) throw new ConflictError(`The ${env} connection lacks ${missing.join(', ')}: connect again granting them`, 'missing_scopes');
}

/** Every Pin write is in the security log with Pinterest's rate-limit signals. */
async function logCall(
  deps: PublishDeps,
  record: PinRecord,
  call: { status: number | undefined; rateLimit: { remaining?: number; resetSeconds?: number } | undefined; outcome: string; pinterestPinId: string | undefined; requestId: string | undefined },
): Promise<void> {
  const limited = call.status === 429;
  // Only what Pinterest sent: an answer without x-ratelimit-* headers (a gateway's 500) has no signal.
  const sent = call.rateLimit !== undefined && (call.rateLimit.remaining !== undefined || call.rateLimit.resetSeconds !== undefined);
  await deps.securityLog.write({
    kind: 'pin_publish',
    outcome: call.outcome === 'published' ? 'ok' : call.outcome === 'needs_reconcile' ? 'server_error' : call.status !== undefined ? outcomeForStatus(call.status) : 'server_error',
    ...(call.status === undefined ? {} : { status: call.status }),
    ...(sent || limited ? { rateLimit: { limited, ...(call.rateLimit?.remaining === undefined ? {} : { remaining: call.rateLimit.remaining }) } } : {}),
    detail: {
      environment: record.environment,
      pin: record.pinId,
      attempt: record.attempt?.attemptId ?? '',
      result: call.outcome,
      ...(call.pinterestPinId === undefined ? {} : { pinterestPinId: call.pinterestPinId }),
      ...(call.requestId === undefined ? {} : { pinterestRequestId: call.requestId }),
      ...(call.rateLimit?.resetSeconds === undefined ? {} : { rateLimitResetSeconds: call.rateLimit.resetSeconds }),
    },
  });
}
