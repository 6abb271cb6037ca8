import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium as playwright, type Browser, type BrowserContext } from 'playwright-core';

const repoRoot = join(__dirname, '../..');

/**
 * Flags that keep Chromium off the network (the machine has none but the npm registry) and quiet:
 * no component updates, sync, safe-browsing or metrics downloads, no first-run pages, no QUIC probes.
 */
const OFFLINE_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-breakpad',
  '--disable-client-side-phishing-detection',
  '--disable-domain-reliability',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--disable-quic',
  '--disable-gpu',
  // Every host name but loopback fails to resolve, so nothing a page links to can leave the machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
] as const;

/**
 * @sparticuz/chromium's flags left out. `--disable-web-security` and `--allow-running-insecure-content`
 * suit its serverless scraping use, not a test of our pages: the browser would not enforce what a
 * user's browser enforces. Its `--disable-features=`/`--enable-features=` would replace Playwright's
 * own (Chromium keeps only the last of a repeated switch), which turn off start-up requests to Google
 * (optimization hints, network time, search preconnect, account listing).
 */
function kept(arg: string): boolean {
  return !['--disable-web-security', '--allow-running-insecure-content'].includes(arg) && !/^--(disable|enable)-features=/.test(arg);
}

interface ChromiumInfo {
  executablePath: string;
  args: string[];
}

let info: Promise<ChromiumInfo> | undefined;

/**
 * The Chromium shipped inside the npm package @sparticuz/chromium: its binary (extracted to the OS temp
 * folder on first use, ~6 s, then reused) and its recommended flags. The package is ESM only and reads
 * `import.meta.url`, which jest's CommonJS runtime cannot load, so a plain Node process asks it.
 */
function chromiumInfo(): Promise<ChromiumInfo> {
  info ??= (async () => {
    const script = [
      "import chromium from '@sparticuz/chromium';",
      'const executablePath = await chromium.executablePath();',
      'process.stdout.write(JSON.stringify({ executablePath, args: chromium.args }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', script], {
      cwd: repoRoot,
      timeout: 60_000,
    });
    const parsed = JSON.parse(stdout) as ChromiumInfo;
    if (typeof parsed.executablePath !== 'string' || !Array.isArray(parsed.args)) throw new Error(`unexpected answer from @sparticuz/chromium: ${stdout}`);
    return parsed;
  })();
  return info;
}

/**
 * A headless Chromium for browser tests, from npm alone (no system browser, no download). It cannot
 * reach the network on its own; `--no-sandbox` is part of @sparticuz's flags (CI runs as root).
 * Close it in `afterAll`.
 */
export async function launchBrowser(): Promise<Browser> {
  const { executablePath, args } = await chromiumInfo();
  const flags = [...args.filter(kept), ...OFFLINE_FLAGS.filter((flag) => !args.includes(flag))];
  if (!flags.includes('--no-sandbox')) flags.push('--no-sandbox');
  return playwright.launch({ executablePath, args: flags, headless: true, timeout: 60_000 });
}

/** Where browser tests keep their screenshots (ignored by git). */
export const browserArtifacts = join(repoRoot, 'test-artifacts', 'browser');

/**
 * One Chromium for a test file (launched before its tests, closed after them) and a fresh context
 * (no cookies, no history) per test, of the given viewport. Contexts are not closed one by one: this
 * Chromium runs with @sparticuz's `--single-process`, where closing a context that had a page leaves
 * the browser unable to open another page; closing the browser closes them all.
 */
export function useBrowser(viewport: { width: number; height: number }): { context(): BrowserContext } {
  let browser: Browser | undefined;
  let current: BrowserContext | undefined;
  beforeAll(async () => {
    mkdirSync(browserArtifacts, { recursive: true });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  }, 60_000);
  beforeEach(async () => {
    if (browser === undefined) throw new Error('the browser did not start');
    current = await browser.newContext({ viewport });
  });
  return {
    context: () => {
      if (current === undefined) throw new Error('no browser context');
      return current;
    },
  };
}
