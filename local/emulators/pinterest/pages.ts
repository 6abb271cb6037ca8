import { SCOPE_DESCRIPTIONS } from './constants';

/** The authorize host's two HTML pages. Every value is escaped: they echo request parameters. */

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, content: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} · Pinterest (emulator)</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}',
    'button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}.allow{background:#e60023;color:#fff;border:0}</style>',
    '</head><body>',
    content,
    '<p><small>Pinterest API emulator: no real Pinterest account is involved.</small></p>',
    '</body></html>',
  ].join('\n');
}

export interface ConsentPageInput {
  clientId: string;
  username: string;
  redirectUri: string;
  scopes: string[];
  decisionId: string;
  decisionUrl: string;
}

export function consentPage(input: ConsentPageInput): string {
  const items = input.scopes
    .map((scope) => `<li><code>${escapeHtml(scope)}</code>: ${escapeHtml(SCOPE_DESCRIPTIONS[scope] ?? '')}</li>`)
    .join('\n');
  return layout(
    'Give access',
    [
      `<h1>App ${escapeHtml(input.clientId)} wants to access your Pinterest account</h1>`,
      `<p>You are logged in as <strong>@${escapeHtml(input.username)}</strong>.</p>`,
      '<p>It will be able to:</p>',
      `<ul>\n${items}\n</ul>`,
      `<p>You will be sent back to <code>${escapeHtml(input.redirectUri)}</code>.</p>`,
      `<form method="post" action="${escapeHtml(input.decisionUrl)}">`,
      `<input type="hidden" name="decision_id" value="${escapeHtml(input.decisionId)}">`,
      '<button class="allow" type="submit" name="decision" value="allow">Allow</button>',
      '<button type="submit" name="decision" value="deny">Deny</button>',
      '</form>',
    ].join('\n'),
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
