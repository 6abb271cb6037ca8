import { escapeHtml, html, type HttpResult } from './responses';

/**
 * Small, self-contained HTML pages for browser-facing steps (the OAuth link and callback). Every
 * value is escaped; pages carry no scripts, are never cached and send no referrer.
 */
export function page(statusCode: number, title: string, paragraphs: readonly string[], extraHeaders: Record<string, string> = {}, cookies?: string[]): HttpResult {
  const body = htmlDocument(title, `<h1>${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}`);
  const result = html(statusCode, body, { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', ...extraHeaders });
  return cookies === undefined ? result : { ...result, cookies };
}

/**
 * The page around `main`: language, character set, viewport, no referrer (`same-origin` for a page
 * with a form: under `no-referrer` a browser posts the form with `Origin: null`), the shared style
 * (and any page's own, `style`), no script. `main` must be HTML built with every value escaped.
 */
export function htmlDocument(title: string, main: string, style = '', referrer: 'no-referrer' | 'same-origin' = 'no-referrer'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="${referrer}">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0}
main{max-width:40rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:1.5rem;line-height:1.3;margin:0 0 1rem}
@media (prefers-color-scheme:dark){body{background:#121212;color:#e8e8e8}}
${style}</style>
</head>
<body>
<main>
${main}
</main>
</body>
</html>
`;
}
