import type { FieldIssue } from '../domain/errors';
import { HONEYPOT_FIELD, supportFormLimits, supportTopics, topicLabels, type SupportTopic } from '../domain/support-form';
import { htmlDocument } from './pages';
import { escapeHtml, html, type HttpResult } from './responses';

/**
 * The public support form and its answers, as pages that work without script, by keyboard and with a
 * screen reader: every field has a visible label, problems are listed first (each a link to its
 * field) and repeated beside the field it concerns (`aria-describedby`, `aria-invalid`), and the
 * values typed are kept. The honeypot field sits off-screen, out of the tab order and hidden from
 * assistive technology, so only a robot fills it. Every value is escaped.
 */

const style = `label{display:block;font-weight:600;margin:1.25rem 0 .25rem}
input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #767676;border-radius:4px;background:inherit;color:inherit}
textarea{min-height:10rem}
input:focus,select:focus,textarea:focus,button:focus,a:focus{outline:3px solid #1a73e8;outline-offset:2px}
.hint{color:#555;font-size:.95rem;margin:.25rem 0 0}
.problem{color:#b00020;font-weight:600;margin:.25rem 0 0}
[aria-invalid="true"]{border-color:#b00020;border-width:2px}
.summary{border:2px solid #b00020;padding:.75rem 1rem;margin:0 0 1.5rem}
.summary h2{font-size:1.1rem;margin:0 0 .5rem}
button{font:inherit;font-weight:600;margin-top:1.5rem;padding:.6rem 1.4rem;border:0;border-radius:4px;background:#1a73e8;color:#fff;cursor:pointer}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
@media (prefers-color-scheme:dark){.hint{color:#bbb}.problem{color:#ff8a80}.summary{border-color:#ff8a80}}
`;

/** What the form shows again: the values typed, and the problems by field name. */
export interface FormState {
  values: { email?: string; topic?: string; message?: string };
  problems: Partial<Record<'email' | 'topic' | 'message' | 'form', string>>;
}

const emptyState: FormState = { values: {}, problems: {} };

function describedBy(field: 'email' | 'topic' | 'message', state: FormState, hint: boolean): string {
  const ids = [...(hint ? [`${field}-hint`] : []), ...(state.problems[field] === undefined ? [] : [`${field}-problem`])];
  return ids.length === 0 ? '' : ` aria-describedby="${ids.join(' ')}"`;
}

function invalid(field: 'email' | 'topic' | 'message', state: FormState): string {
  return state.problems[field] === undefined ? '' : ' aria-invalid="true"';
}

function problemLine(field: 'email' | 'topic' | 'message', state: FormState): string {
  const problem = state.problems[field];
  return problem === undefined ? '' : `\n<p class="problem" id="${field}-problem">${escapeHtml(problem)}</p>`;
}

function isTopic(value: string | undefined): value is SupportTopic {
  return (supportTopics as readonly string[]).includes(value ?? '');
}

/** The form page, empty or with the values and problems of a refused submission. */
export function supportFormPage(contactEmail: string, state: FormState = emptyState, preselected?: SupportTopic): string {
  const listed = (['email', 'topic', 'message', 'form'] as const).filter((field) => state.problems[field] !== undefined);
  const summary =
    listed.length === 0
      ? ''
      : `<div class="summary" role="alert" aria-labelledby="summary-title">
<h2 id="summary-title">Please correct ${listed.length === 1 ? 'this' : 'these'} before sending</h2>
<ul>
${listed.map((field) => `<li>${field === 'form' ? escapeHtml(state.problems.form ?? '') : `<a href="#${field}">${escapeHtml(state.problems[field] ?? '')}</a>`}</li>`).join('\n')}
</ul>
</div>
`;
  const chosen = isTopic(state.values.topic) ? state.values.topic : (preselected ?? 'support');
  const main = `<h1>Contact support</h1>
<p>Ask a question, or ask for a copy or the deletion of your data. We answer by email, usually within a few working days. You can also write to <a href="mailto:${escapeHtml(contactEmail)}">${escapeHtml(contactEmail)}</a>. How we handle what you send: <a href="privacy">privacy policy</a>.</p>
${summary}<form method="post">
<label for="email">Your email address</label>
<p class="hint" id="email-hint">We use it only to answer you.</p>
<input id="email" name="email" type="email" autocomplete="email" spellcheck="false" maxlength="${String(supportFormLimits.email)}" required value="${escapeHtml(state.values.email ?? '')}"${describedBy('email', state, true)}${invalid('email', state)}>${problemLine('email', state)}
<label for="topic">Topic</label>
<select id="topic" name="topic"${describedBy('topic', state, false)}${invalid('topic', state)}>
${supportTopics.map((topic) => `<option value="${topic}"${topic === chosen ? ' selected' : ''}>${escapeHtml(topicLabels[topic])}</option>`).join('\n')}
</select>${problemLine('topic', state)}
<label for="message">Message</label>
<p class="hint" id="message-hint">At most ${String(supportFormLimits.message)} characters. For a data request, name the Pinterest account or email address it is about.</p>
<textarea id="message" name="message" rows="10" required${describedBy('message', state, true)}${invalid('message', state)}>${escapeHtml(state.values.message ?? '')}</textarea>${problemLine('message', state)}
<div class="hp" aria-hidden="true">
<label for="${HONEYPOT_FIELD}">Leave this field empty</label>
<input id="${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" type="text" tabindex="-1" autocomplete="off" data-1p-ignore data-lpignore="true">
</div>
<button type="submit">Send request</button>
</form>`;
  return htmlDocument(listed.length === 0 ? 'Contact support' : 'Contact support: please correct the form', main, style, 'same-origin');
}

/**
 * The headers of a page with the form: the referrer goes only to this origin (the form's own post),
 * so the browser sends the page's origin with it rather than `Origin: null` (what `no-referrer` gives).
 */
export const formPageHeaders = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' } as const;

/** The visible labels, for problems written with the field's API name (`email must be …`). */
const fieldLabels = { email: 'Your email address', topic: 'Topic', message: 'Message' } as const;

function inWordsOfTheForm(field: 'email' | 'topic' | 'message', message: string): string {
  return message.startsWith(`${field} `) ? `${fieldLabels[field]} ${message.slice(field.length + 1)}` : message;
}

/** The answer to a refused form post: the page again, the values kept, the problems listed. */
export function refusedFormPage(contactEmail: string, values: FormState['values'], issues: readonly FieldIssue[]): HttpResult {
  const problems: FormState['problems'] = {};
  for (const issue of issues) {
    const field = issue.path.replace(/^body\./, '');
    const key = field === 'email' || field === 'topic' || field === 'message' ? field : 'form';
    problems[key] ??= key === 'form' ? `${field}: ${issue.message}` : inWordsOfTheForm(key, issue.message);
  }
  return html(400, supportFormPage(contactEmail, { values, problems }), formPageHeaders);
}

/** The confirmation a person sees once the request is taken. */
export function receivedPage(reference: string): HttpResult {
  const main = `<h1>Thank you: your request was received</h1>
<p>Its reference is <strong>${escapeHtml(reference)}</strong>. Keep it: quote it if you write to us about the same matter.</p>
<p>We answer by email, usually within a few working days.</p>
<p><a href="support">Send another request</a></p>`;
  return html(200, htmlDocument('Request received', main), { 'Cache-Control': 'no-store' });
}
