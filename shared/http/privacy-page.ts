import { escapeHtml } from './responses';

/**
 * Renders the privacy policy text as an accessible HTML page without changing a word of it:
 * the first line is the title, the second the summary, short lines without a final full stop are
 * section headings, `- ` lines are list items and every other line is a paragraph.
 */
export function renderPolicyPage(policyText: string, contactEmail: string): string {
  const lines = policyText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [title = 'Privacy policy', summary, ...rest] = lines;
  const body: string[] = [];
  let list: string[] = [];
  const flushList = () => {
    if (list.length > 0) body.push(`<ul>\n${list.map((item) => `  <li>${item}</li>`).join('\n')}\n</ul>`);
    list = [];
  };
  for (const line of rest) {
    if (line.startsWith('- ')) {
      list.push(linkify(line.slice(2), contactEmail));
      continue;
    }
    flushList();
    body.push(isHeading(line) ? `<h2>${escapeHtml(line)}</h2>` : `<p>${linkify(line, contactEmail)}</p>`);
  }
  flushList();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0}
main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem 4rem}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem}
.summary{color:#444;font-size:1.05rem}
a{color:#0b57d0}
a:focus,a:hover{text-decoration-thickness:2px}
@media (prefers-color-scheme:dark){body{background:#121212;color:#e8e8e8}.summary{color:#bbb}a{color:#8ab4f8}}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${summary === undefined ? '' : `<p class="summary">${linkify(summary, contactEmail)}</p>`}
${body.join('\n')}
</main>
</body>
</html>
`;
}

function isHeading(line: string): boolean {
  return line.length <= 60 && !/[.:;!?]$/.test(line);
}

/** Escapes a line and turns the contact address into a mail link, keeping the text as written. */
function linkify(line: string, contactEmail: string): string {
  const escaped = escapeHtml(line);
  const address = escapeHtml(contactEmail);
  return escaped.split(address).join(`<a href="mailto:${address}">${address}</a>`);
}
