import { ValidationError } from '../shared/domain/errors';
import { HONEYPOT_FIELD, normalizeRequest, supportRequestSchema } from '../shared/domain/support-form';
import { httpHandler } from '../shared/http/handler';
import { formFields, formValuesToShow, isFormPost, jsonBody, parseWithChecks, rawJsonBody } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { receivedPage, refusedFormPage } from '../shared/http/support-page';
import { ignoreRobot, submitSupportRequest } from '../shared/use-cases/support-form';
import { appSettings, clientLimiter, safeSecurityLog } from '../shared/wiring';
import { supportFormDeps } from '../shared/wiring-support-form';

/** The values a refused form shows back (only the form's own fields). */
function shownValues(values: Record<string, string>): { email: string; topic: string; message: string } {
  return { email: values.email ?? '', topic: values.topic ?? '', message: values.message ?? '' };
}

/**
 * POST /support (public, per-client limit): a support request from the form (form-encoded: answered
 * with a page) or as JSON (answered 202 `{reference}`). Bad input → 400 naming the field (the form:
 * the page again with the values kept); a filled honeypot → the same success, nothing stored or sent.
 */
export const handler = httpHandler(
  async (event) => {
    const form = isFormPost(event);
    let fields: unknown;
    try {
      fields = form ? formFields(event) : rawJsonBody(event);
    } catch (error) {
      // A field sent twice: the form again, with the problem listed (a browser never does this).
      if (form && error instanceof ValidationError) return refusedFormPage(appSettings().SUPPORT_EMAIL, shownValues(formValuesToShow(event)), error.issues);
      throw error;
    }
    // A robot that filled the hidden field learns nothing: the same success, whatever else it sent.
    const honeypot = typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>)[HONEYPOT_FIELD] : undefined;
    if (typeof honeypot === 'string' && honeypot !== '') {
      const outcome = ignoreRobot(supportFormDeps());
      return form ? receivedPage(outcome.reference) : json(202, { reference: outcome.reference });
    }
    let input;
    try {
      input = form ? parseWithChecks(supportRequestSchema, fields, 'body', () => []) : jsonBody(event, supportRequestSchema);
    } catch (error) {
      if (form && error instanceof ValidationError) {
        return refusedFormPage(appSettings().SUPPORT_EMAIL, shownValues(fields as Record<string, string>), error.issues);
      }
      throw error;
    }
    const outcome = await submitSupportRequest(supportFormDeps(), normalizeRequest(input));
    return form ? receivedPage(outcome.reference) : json(202, { reference: outcome.reference });
  },
  { securityLog: safeSecurityLog, clientLimiter, answers: (event) => (isFormPost(event) ? 'page' : 'json') },
);

