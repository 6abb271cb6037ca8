import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The README and every page under docs/ link only to things that exist in the repository: each
 * relative link resolves to a file or folder, each `#anchor` into a Markdown file names one of its
 * headings (GitHub's slugs), and no page points outside the repository.
 */

const root = resolve(__dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const docs = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

interface ProseLine {
  number: number;
  text: string;
}

/** The lines outside fenced code blocks (a `# comment` in a shell block is no heading). */
function proseLines(text: string): ProseLine[] {
  const lines: ProseLine[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return;
    }
    if (fence === undefined) lines.push({ number: index + 1, text: line });
  });
  return lines;
}

/** GitHub's heading anchor: lower-case, punctuation dropped (but `-` and `_`), spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file offers; repeated headings get `-1`, `-2`, … as on GitHub. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line.text)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${String(count)}`);
  }
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

/** `[text](target)` and `![alt](target)` in prose, with inline code spans left out. */
function linksOf(file: string): Link[] {
  return proseLines(readFileSync(file, 'utf8')).flatMap((line) =>
    [...line.text.replace(/`[^`]*`/g, '').matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].flatMap((match) =>
      match[1] === undefined ? [] : [{ file, line: line.number, target: match[1] }],
    ),
  );
}

function isExternal(target: string): boolean {
  return /^(https?:|mailto:)/i.test(target);
}

const links = docs.flatMap(linksOf);
const where = (link: Link) => `${relative(root, link.file)}:${String(link.line)} → ${link.target}`;

describe('documentation links', () => {
  it('finds the README and the pages under docs/', () => {
    expect(docs.map((file) => relative(root, file))).toContain('README.md');
    expect(docs.length).toBeGreaterThan(1);
    expect(links.length).toBeGreaterThan(0);
  });

  it('resolves every relative link to a file or folder in the repository', () => {
    const broken = links
      .filter((link) => !isExternal(link.target) && !link.target.startsWith('#'))
      .filter((link) => {
        const path = resolve(dirname(link.file), decodeURIComponent(link.target.split('#')[0] ?? ''));
        const inside = path === root || path.startsWith(`${root}/`);
        return !inside || !existsSync(path);
      })
      .map(where);
    expect(broken).toEqual([]);
  });

  it('points every #anchor into a Markdown file at one of its headings', () => {
    const broken = links
      .filter((link) => !isExternal(link.target) && link.target.includes('#'))
      .filter((link) => {
        const [pathPart = '', anchor = ''] = link.target.split('#');
        const file = pathPart === '' ? link.file : resolve(dirname(link.file), decodeURIComponent(pathPart));
        if (!file.endsWith('.md') || !existsSync(file) || !statSync(file).isFile()) return false;
        return !anchorsOf(file).has(decodeURIComponent(anchor));
      })
      .map(where);
    expect(broken).toEqual([]);
  });

  it('never refers to anything beside the repository (../shared/)', () => {
    const outside = docs.filter((file) => readFileSync(file, 'utf8').includes('../shared/')).map((file) => relative(root, file));
    expect(outside).toEqual([]);
  });
});

describe('heading slugs', () => {
  it('follows GitHub: lower-case, punctuation dropped, spaces to hyphens', () => {
    expect(slug('Pinterest app credentials missing')).toBe('pinterest-app-credentials-missing');
    expect(slug('Choices that are not obvious, and why')).toBe('choices-that-are-not-obvious-and-why');
    expect(slug('Synthesize (offline)')).toBe('synthesize-offline');
    expect(slug('Quickstart: a connected sandbox account in five steps')).toBe('quickstart-a-connected-sandbox-account-in-five-steps');
    expect(slug('The `reset` control')).toBe('the-reset-control');
  });
});
