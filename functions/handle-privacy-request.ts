import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { requestFacts } from '../shared/http/request-facts';
import { json } from '../shared/http/responses';
import { handlePrivacyRequest } from '../shared/use-cases/privacy';
import { safeSecurityLog } from '../shared/wiring';
import { privacyDeps } from '../shared/wiring-privacy';

const email = z.string().check(
  z.maxLength(254, 'email must be at most 254 characters'),
  z.refine((value: string) => !/[\r\n]/.test(value), 'email must not contain line breaks'),
  z.refine((value: string) => z.safeParse(z.email(), value.trim()).success, 'email must be a valid email address'),
);

const body = z.strictObject({
  type: z.enum(['export', 'delete'], { error: 'type must be export or delete' }),
  subject: z
    .strictObject({
      // Pinterest account ids are digits (as PINTEREST_EXPECTED_ACCOUNT_ID); a word such as `sandbox`
      // would match unrelated values in the security log.
      pinterestAccountId: z.optional(z.string().check(z.regex(/^\d{6,32}$/, 'pinterestAccountId is the id GET /account shows (6 to 32 digits)'))),
      environment: z.optional(z.enum(environments, { error: 'environment must be sandbox or production' })),
      email: z.optional(email),
    }, { error: 'subject must be an object with pinterestAccountId, environment and/or email' })
    .check(
      z.refine((subject) => subject.pinterestAccountId !== undefined || subject.email !== undefined, 'subject needs a pinterestAccountId, an email, or both'),
      z.refine((subject) => subject.environment === undefined || subject.pinterestAccountId !== undefined, 'environment narrows a pinterestAccountId: give one with it'),
    ),
  ticketId: z.optional(z.string().check(z.regex(/^MDZ-[A-Z2-9]{10}$/, 'ticketId is a ticket reference such as MDZ-7KQ2M9XHTA'))),
});

/**
 * POST /privacy/requests (operator): a privacy request about a Pinterest account and/or an email
 * address. `export` answers with where the document is; `delete` erases and pseudonymises, and says
 * which published Pins stay on Pinterest.
 */
export const handler = httpHandler(async (event) => {
  const input = jsonBody(event, body);
  const subject = {
    ...(input.subject.pinterestAccountId === undefined ? {} : { pinterestAccountId: input.subject.pinterestAccountId }),
    ...(input.subject.environment === undefined ? {} : { environment: input.subject.environment }),
    ...(input.subject.email === undefined ? {} : { email: input.subject.email.trim() }),
  };
  const result = await handlePrivacyRequest(privacyDeps(), { type: input.type, subject, ...(input.ticketId === undefined ? {} : { ticketId: input.ticketId }) }, requestFacts(event));
  return json(201, result);
}, { securityLog: safeSecurityLog });
