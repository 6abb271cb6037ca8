import * as z from '../shared/zod';
import { securityEventKinds } from '../shared/domain/security-event';
import { ValidationError } from '../shared/domain/errors';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { appSettings, clock, safeSecurityLog, securityLog } from '../shared/wiring';

const DAY_MS = 86_400_000;
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-29T10:00:00Z' });

const query = z.strictObject({
  from: z.optional(isoTime),
  to: z.optional(isoTime),
  kind: z.optional(z.enum(securityEventKinds, { error: `kind must be one of ${securityEventKinds.join(', ')}` })),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
});

/**
 * GET /audit (operator): the security log, newest first, filtered by time range (default: the whole
 * retention period) and kind, paginated with `cursor` / `nextCursor`.
 */
export const handler = httpHandler(async (event) => {
  noBody(event);
  const q = queryParams(event, query);
  const now = clock.now();
  const oldest = new Date(now.getTime() - appSettings().RETENTION_SECURITY_LOG_DAYS * DAY_MS);
  // The log holds nothing outside [now - retention, now]: clamp both ends, so the range read is never
  // wider than the retention window (entries past it are expired ones TTL has not removed yet).
  const requestedTo = q.to === undefined ? now : new Date(q.to);
  const to = requestedTo > now ? now : requestedTo;
  const requestedFrom = q.from === undefined ? oldest : new Date(q.from);
  const from = requestedFrom < oldest ? oldest : requestedFrom;
  if (requestedFrom > now) {
    throw new ValidationError('from must not be in the future', [{ path: 'query.from', message: 'in the future' }]);
  }
  if (from > to) {
    throw new ValidationError('from must not be later than to', [{ path: 'query.from', message: 'after to' }]);
  }
  const page = await securityLog().list({
    from,
    to,
    limit: q.limit,
    ...(q.kind === undefined ? {} : { kind: q.kind }),
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
  });
  return json(200, {
    items: page.items,
    ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }),
    range: { from: from.toISOString(), to: to.toISOString() },
  });
}, { securityLog: safeSecurityLog });
