import * as z from '../shared/zod';
import { readContent } from '../shared/content';
import { httpHandler } from '../shared/http/handler';
import { safeSecurityLog } from '../shared/wiring';
import { noBody, queryParams } from '../shared/http/input';
import { html } from '../shared/http/responses';
import { renderPolicyPage } from '../shared/http/privacy-page';

// The policy is the owner's text, served as written; read and rendered once per cold start.
const policyText = readContent('privacy-policy.txt');
const page = renderPolicyPage(policyText, 'info@ecooffice.net');
const cache = { 'Cache-Control': 'public, max-age=300' };

// Links to the policy carry tracking parameters (utm_*, ref); only `format` means anything here.
const query = z.object({
  format: z._default(z.enum(['html', 'text'], { error: 'format must be html or text' }), 'html'),
});

/** GET /privacy: the privacy policy as an HTML page, or `?format=text` for the text exactly as written. */
export const handler = httpHandler((event) => {
  noBody(event);
  const { format } = queryParams(event, query);
  if (format === 'text') {
    return Promise.resolve({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', ...cache },
      body: policyText,
    });
  }
  return Promise.resolve(html(200, page, cache));
}, { securityLog: safeSecurityLog });
