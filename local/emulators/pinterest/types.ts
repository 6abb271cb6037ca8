/** Public types of the Pinterest API v5 emulator (re-exported by index.ts). */

export type PinterestEnvironment = 'sandbox' | 'production';
/** The three hosts the emulator serves: www.pinterest.com and the two API hosts. */
export type HostName = 'www' | PinterestEnvironment;
export type AccessTier = 'trial' | 'standard';
export type ConsentMode = 'manual' | 'approve' | 'deny';

export interface EmulatorApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  tier: AccessTier;
}

export interface EmulatorUser {
  /** Numeric string, like Pinterest's user ids. */
  id: string;
  username: string;
  accountType: 'PINNER' | 'BUSINESS';
  businessName?: string | null;
  /** Optional profile fields shown by `GET /v5/user_account`; empty strings when absent. */
  about?: string;
  websiteUrl?: string;
  profileImage?: string;
}

interface FaultTarget {
  host: HostName | 'any';
  /** Any method when absent; compared case-insensitively. */
  method?: string;
  /** Exact path ('/v5/oauth/token') or a prefix ending in '*' ('/v5/*', '*'). */
  path: string;
  /** How many matching requests the fault affects; default 1. */
  times?: number;
}

/** Faults that act on the requests they match. */
export type RequestFault = FaultTarget &
  (
    | { kind: 'status'; status: number; body?: unknown }
    /**
     * Waits `ms` before handling. By default the request is then processed even if its client gave
     * up meanwhile (the answer is lost, the change is made: a slow Pin may exist). With
     * `ifAbandoned: 'drop'` a request whose client left during the wait is not processed at all, as
     * if cancelled while still queued.
     */
    | { kind: 'delay'; ms: number; ifAbandoned?: 'process' | 'drop' }
    | { kind: 'rate_limit' }
    /** 429 "You've hit a block (Pins) we have in place to combat spam". */
    | { kind: 'spam_block' }
    /** `POST /v5/pins` with an `image_url` source answers 400 "could not fetch the image". */
    | { kind: 'image_unreachable' }
    /** 404 `{"code":404,"message":"Board not found."}`. */
    | { kind: 'board_not_found' }
    | { kind: 'malformed_json' }
    | { kind: 'omit_refresh_token' }
    /** `afterProcessing: true` handles the request (state changes happen) and then drops the socket. */
    | { kind: 'drop_connection'; afterProcessing?: boolean }
    /** The same as `drop_connection` with `afterProcessing: true`, named for `POST /v5/pins`: the Pin exists, the answer is lost. */
    | { kind: 'create_then_drop' }
  );

/**
 * The API host (or both, for 'any') stops listening for `ms` milliseconds at once, its open
 * connections closed too, so clients get ECONNREFUSED; then it listens on the same port again. It
 * counts time, not attempts: a host that does not listen cannot see the connections it refuses.
 * The www host is excluded: it carries the HTTP controls, including the one that injects this.
 */
export interface RefuseConnectionFault {
  kind: 'refuse_connection';
  host: PinterestEnvironment | 'any';
  ms: number;
}

export type Fault = RequestFault | RefuseConnectionFault;

export interface LoggedRequest {
  host: HostName;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The raw request body as received (UTF-8). */
  body: string;
  /** Emulator-clock time of arrival (ISO 8601). */
  at: string;
  /** The x-pinterest-rid sent back (API hosts), for correlating with client logs. */
  rid: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
}

/** A Pin as the `pins` control shows it. */
export interface EmulatorPin {
  id: string;
  boardId: string;
  sectionId: string | null;
  title: string | null;
  description: string | null;
  link: string | null;
  altText: string | null;
  createdAt: string;
  creatorId: string;
}

export interface EmulatorControls {
  setConsentMode(mode: ConsentMode): void;
  /** Which account is "logged in" at the authorize page from now on. */
  setConsentingUser(userId: string): void;
  /** Adds a user, or replaces the one with the same id. */
  addUser(user: EmulatorUser): void;
  registerRedirectUri(uri: string): void;
  setTier(tier: AccessTier): void;
  /** Returns the fault id. */
  injectFault(fault: Fault): string;
  /** Removes every fault; hosts refusing connections listen again at once. */
  clearFaults(): void;
  /** Tokens minted from now on carry this tag after `pina_`/`pinr` (sentinels for leak tests). */
  setTokenTag(tag: string): void;
  /** The user removed the app in that environment: its tokens and grant are gone. */
  revokeGrant(environment: PinterestEnvironment, userId: string): void;
  /** Access tokens (of one user, or all) expire now; refresh tokens keep working. */
  expireAccessTokens(environment: PinterestEnvironment, userId?: string): void;
  /** Adds `count` public boards owned by the user (named `Seeded board <n>`); answers their ids. */
  seedBoards(environment: PinterestEnvironment, userId: string, count: number): string[];
  /** The board is deleted at Pinterest (with its sections and Pins), as if its owner removed it. */
  deleteBoard(environment: PinterestEnvironment, boardId: string): void;
  /** The environment's Pins as the emulator holds them, oldest first (what Pinterest would show). */
  pins(environment: PinterestEnvironment): EmulatorPin[];
  /** The Pin is deleted at Pinterest, as if its owner removed it. */
  deletePin(environment: PinterestEnvironment, pinId: string): void;
  requests(): LoggedRequest[];
  /**
   * Clears grants, tokens, codes, pending consents, boards, sections, Pins, faults, the request log
   * and rate counters, and brings back the seed (./seed.ts).
   */
  reset(): void;
  /** As if the user consented and the app exchanged the code in that environment. */
  issueTokens(environment: PinterestEnvironment, userId: string, scopes: string[]): IssuedTokens;
}

export interface PinterestEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  ports?: { www?: number; sandbox?: number; production?: number };
  /** JSON persistence (atomic temp + rename after each change); absent = memory only. */
  dataFile?: string;
  clock?: () => Date;
  app?: Partial<EmulatorApp>;
  users?: EmulatorUser[];
  consentMode?: ConsentMode;
}

export interface PinterestEmulatorUrls {
  /** http://127.0.0.1:P/oauth/ */
  authorize: string;
  /** http://127.0.0.1:P */
  www: string;
  /** http://127.0.0.1:Q/v5 */
  sandbox: string;
  /** http://127.0.0.1:R/v5 */
  production: string;
}

export interface PinterestEmulator {
  urls: PinterestEmulatorUrls;
  /** The app's current registration (a copy: change it through `controls`). */
  app: EmulatorApp;
  controls: EmulatorControls;
  close(): Promise<void>;
}
