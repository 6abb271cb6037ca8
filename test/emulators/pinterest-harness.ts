import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startPinterestEmulator, type PinterestEmulator, type PinterestEmulatorOptions, type PinterestEnvironment } from '../../local/emulators/pinterest';
import { FakeClock as MovableClock } from '../support/fake-clock';

/** Shared by the Pinterest emulator suites: a fake clock and a client that speaks plain HTTP. */

export const REDIRECT_URI = 'http://127.0.0.1:3999/oauth/callback';
export const CLIENT_ID = '1500000000001';
export const CLIENT_SECRET = 'emulator-client-secret-0001';
export const MIRA = '1000000000000000001';
export const OTHER = '1000000000000000002';
export const FORM = 'application/x-www-form-urlencoded';
/** What a publishing app asks for, plus boards:read_secret so SECRET boards are listed too. */
export const CONTENT_SCOPES = ['boards:read', 'boards:read_secret', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'];
/** A 1×1 PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export interface TokenBody {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  refresh_token_expires_in?: number;
  refresh_token_expires_at?: number;
  scope: string;
  response_type: string;
}

/** The emulator tests' clock, starting at a fixed moment. */
export class FakeClock extends MovableClock {
  constructor() {
    super('2026-03-01T12:00:00.000Z');
  }
}

export type Json = Record<string, unknown>;

export async function jsonOf(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

export function basic(clientId = CLIENT_ID, secret = CLIENT_SECRET): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`, 'utf8').toString('base64')}`;
}

/** The query of a redirect back to the app; fails unless it is a 302 to the registered URI. */
export function redirectParams(res: Response, base = REDIRECT_URI): URLSearchParams {
  expect(res.status).toBe(302);
  const location = res.headers.get('location') ?? '';
  expect(location.startsWith(`${base}?`) || location.startsWith(`${base}&`)).toBe(true);
  return new URL(location).searchParams;
}

/** Property names a spec schema allows, following `allOf`. */
export function specProperties(schemaName: string): { properties: string[]; required: string[] } {
  interface Schema {
    properties?: object;
    required?: string[];
    allOf?: Schema[];
  }
  const spec = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/pinterest/openapi-v5.json'), 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  const walk = (schema: Schema): { properties: string[]; required: string[] } => {
    const parts = (schema.allOf ?? []).map((part) => walk(part));
    return {
      properties: [...Object.keys(schema.properties ?? {}), ...parts.flatMap((p) => p.properties)],
      required: [...(schema.required ?? []), ...parts.flatMap((p) => p.required)],
    };
  };
  const schema = spec.components.schemas[schemaName];
  if (schema === undefined) throw new Error(`no schema ${schemaName}`);
  return walk(schema);
}

export class Harness {
  private running: PinterestEmulator | undefined;

  /** Not started yet: `open()` starts the emulator (`Harness.start` and `useHarness` do). */
  constructor(
    private readonly clock: FakeClock,
    private readonly options: PinterestEmulatorOptions = {},
  ) {}

  static async start(clock: FakeClock, options: PinterestEmulatorOptions = {}): Promise<Harness> {
    const harness = new Harness(clock, options);
    await harness.open();
    return harness;
  }

  async open(): Promise<void> {
    this.running = await startPinterestEmulator({
      clock: this.clock.read,
      app: { redirectUris: [REDIRECT_URI] },
      consentMode: 'approve',
      ...this.options,
    });
  }

  get emulator(): PinterestEmulator {
    if (this.running === undefined) throw new Error('the Pinterest emulator is not running: open() it first');
    return this.running;
  }

  /** The default test state: a clean slate, auto-approve, the first user consenting, Trial. */
  restore(): void {
    const { controls } = this.emulator;
    controls.reset();
    controls.setConsentMode('approve');
    controls.setConsentingUser(MIRA);
    controls.setTier('trial');
  }

  authorize(params: Record<string, string | undefined>): Promise<Response> {
    const query = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code' });
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) query.delete(name);
      else query.set(name, value);
    }
    return fetch(`${this.emulator.urls.authorize}?${query.toString()}`, { redirect: 'manual' });
  }

  async code(scope = 'user_accounts:read'): Promise<string> {
    const code = redirectParams(await this.authorize({ scope })).get('code');
    if (code === null) throw new Error('no code in the redirect');
    return code;
  }

  token(environment: PinterestEnvironment, form: Record<string, string>, init: { authorization?: string | null; contentType?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': init.contentType ?? FORM };
    if (init.authorization !== null) headers.authorization = init.authorization ?? basic();
    const body = init.contentType === 'application/json' ? JSON.stringify(form) : new URLSearchParams(form).toString();
    return fetch(`${this.emulator.urls[environment]}/oauth/token`, { method: 'POST', headers, body });
  }

  exchange(environment: PinterestEnvironment, code: string, redirectUri = REDIRECT_URI): Promise<Response> {
    return this.token(environment, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  }

  refresh(environment: PinterestEnvironment, refreshToken: string, scope?: string): Promise<Response> {
    return this.token(environment, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) });
  }

  /** The whole browser flow plus the code exchange; fails the test unless it succeeds. */
  async connect(environment: PinterestEnvironment, scope = 'user_accounts:read'): Promise<TokenBody> {
    const res = await this.exchange(environment, await this.code(scope));
    expect(res.status).toBe(200);
    return (await res.json()) as TokenBody;
  }

  userAccount(environment: PinterestEnvironment, accessToken: string): Promise<Response> {
    return fetch(`${this.emulator.urls[environment]}/user_account`, { headers: { authorization: `Bearer ${accessToken}` } });
  }

  /** A token of `userId` (default: the seeded user) in that environment, without a browser. */
  tokenFor(environment: PinterestEnvironment, scopes: string[] = CONTENT_SCOPES, userId = MIRA): string {
    return this.emulator.controls.issueTokens(environment, userId, scopes).accessToken;
  }

  /** An API call; `path` is under /v5 and may carry a query. A body is sent as JSON. */
  api(environment: PinterestEnvironment, token: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body === undefined) return fetch(`${this.emulator.urls[environment]}${path}`, { headers });
    headers['content-type'] = 'application/json';
    return fetch(`${this.emulator.urls[environment]}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  }

  /** Every page of a list, following bookmarks (percent-encoded, as a client must). */
  async allPages(environment: PinterestEnvironment, token: string, path: string, pageSize: number): Promise<{ pages: Json[][]; bookmarks: (string | null)[] }> {
    const pages: Json[][] = [];
    const bookmarks: (string | null)[] = [];
    let bookmark: string | null = null;
    do {
      const query = `page_size=${pageSize}${bookmark === null ? '' : `&bookmark=${encodeURIComponent(bookmark)}`}`;
      const res = await this.api(environment, token, `${path}${path.includes('?') ? '&' : '?'}${query}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: Json[]; bookmark: string | null };
      pages.push(body.items);
      bookmarks.push(body.bookmark);
      bookmark = body.bookmark;
    } while (bookmark !== null && pages.length < 100);
    return { pages, bookmarks };
  }

  control(action: string, body: unknown): Promise<Response> {
    return fetch(`${this.emulator.urls.www}/_emulator/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}

/**
 * One emulator for a whole suite; call it at the top level of a test file. It registers the hooks:
 * start before all tests, back to the default state (`restore()`) before each, close after all.
 */
export function useHarness(clock: FakeClock, options: PinterestEmulatorOptions = {}): Harness {
  const harness = new Harness(clock, options);
  beforeAll(async () => {
    await harness.open();
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  beforeEach(() => {
    harness.restore();
  });
  return harness;
}
