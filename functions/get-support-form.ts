import * as z from '../shared/zod';
import { supportTopics } from '../shared/domain/support-form';
import { httpHandler } from '../shared/http/handler';
import { noBody, queryParams } from '../shared/http/input';
import { html } from '../shared/http/responses';
import { formPageHeaders, supportFormPage } from '../shared/http/support-page';
import { appSettings, safeSecurityLog } from '../shared/wiring';

// Links may preselect a topic (`?topic=data_deletion`); tracking parameters are ignored.
const query = z.object({ topic: z.optional(z.enum(supportTopics, { error: `topic must be one of ${supportTopics.join(', ')}` })) });

/** GET /support (public): the support request form, as an HTML page that needs no script. */
export const handler = httpHandler((event) => {
  noBody(event);
  const { topic } = queryParams(event, query);
  return Promise.resolve(html(200, supportFormPage(appSettings().SUPPORT_EMAIL, undefined, topic), formPageHeaders));
}, { securityLog: safeSecurityLog, answers: 'page' });
