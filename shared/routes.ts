import type { TableName } from './tables';

/**
 * The route table and the schedule table: the single description of the product's API and timers.
 * The CDK stack (infra/) and the local server (local/) are both built from it, so a route added here
 * exists in both. Grants are declared with each function so least privilege is reviewed in one place.
 */

export type Access = 'public' | 'operator';
export type Permission = 'RO' | 'RW';
/** Tables also know `APPEND` (PutItem only) and `READ_APPEND`, for the append-only audit table. */
export type TablePermission = Permission | 'APPEND' | 'READ_APPEND';
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Secrets live under the deployment's prefix, grouped so each function can be granted one group. */
export type SecretScope = 'keys' | 'app' | 'operator' | 'tokens';

export interface Grants {
  tables?: Partial<Record<TableName, TablePermission>>;
  secrets?: Partial<Record<SecretScope, Permission>>;
  /** Key prefixes in the data bucket (image bytes, raw mail). */
  bucket?: Record<string, Permission>;
  /** May send mail as the verified sender identity. */
  sendMail?: boolean;
}

export interface FunctionSpec {
  /** Handler module (exports `handler`), relative to the repository root. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  grants: Grants;
  /** Content files copied beside the bundle; read at cold start with `readContent`. */
  assets?: readonly string[];
}

/**
 * What every function that writes the security log needs: appending to the audit table (no update or
 * delete: the log is append-only) and the hashing key.
 */
const securityLogging = { tables: { audit: 'APPEND' }, secrets: { keys: 'RO' } } as const satisfies Grants;

export const functionSpecs = {
  getHealth: {
    entry: 'functions/get-health.ts',
    description: 'Liveness: answers without touching secrets or data',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: {},
  },
  getPrivacy: {
    entry: 'functions/get-privacy.ts',
    description: 'Serves the privacy policy as an HTML page',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: securityLogging,
    assets: ['shared/content/privacy-policy.txt'],
  },
  authorizeOperator: {
    entry: 'functions/authorize-operator.ts',
    description: 'Lambda authorizer: checks the operator credential against its stored hash',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: { ...securityLogging, secrets: { keys: 'RO', operator: 'RO' } },
  },
  getAudit: {
    entry: 'functions/get-audit.ts',
    description: 'Lists the security log, newest first',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: { ...securityLogging, tables: { audit: 'READ_APPEND' } },
  },
  createOAuthLink: {
    entry: 'functions/create-oauth-link.ts',
    description: 'Creates a single-use link that starts the Pinterest connection',
    memoryMb: 256,
    timeoutSeconds: 10,
    // The app credentials are read to refuse a link that could only fail (not configured → 409).
    grants: { tables: { state: 'RW', audit: 'APPEND' }, secrets: { keys: 'RO', app: 'RO' } },
  },
  openOAuthLink: {
    entry: 'functions/open-oauth-link.ts',
    description: 'Turns a connect link into a browser cookie and a redirect to Pinterest',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: { tables: { state: 'RW', audit: 'APPEND' }, secrets: { keys: 'RO', app: 'RO' } },
  },
  oauthCallback: {
    entry: 'functions/oauth-callback.ts',
    description: 'OAuth callback: exchanges the code, checks the account, stores the tokens',
    memoryMb: 512,
    // Two serial Pinterest calls of 8 s each plus storage, inside API Gateway's 30 s.
    timeoutSeconds: 25,
    grants: { tables: { state: 'RW', workflow: 'RW', audit: 'APPEND' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' } },
  },
  getAccount: {
    entry: 'functions/get-account.ts',
    description: 'Shows the connected accounts, never a token',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: { tables: { workflow: 'RO', audit: 'APPEND' }, secrets: { keys: 'RO' } },
  },
  confirmAccount: {
    entry: 'functions/confirm-account.ts',
    description: 'Confirms and pins the connected account',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: { tables: { workflow: 'RW', audit: 'APPEND' }, secrets: { keys: 'RO' } },
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof functionSpecs;

/** An API Gateway throttle: steady requests per second and the burst above it. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/**
 * Route-level throttles (API Gateway keeps one bucket per route), so a flood of public requests
 * cannot use up what the operator's routes need. Public routes get less than operator routes; the
 * public routes that write (the OAuth link and callback) the least. The stage default covers any
 * route without its own setting.
 */
export const throttles = {
  operator: { rateLimit: 10, burstLimit: 20 },
  publicRead: { rateLimit: 5, burstLimit: 10 },
  publicWrite: { rateLimit: 2, burstLimit: 5 },
} as const satisfies Record<string, Throttle>;
export const stageThrottle: Throttle = throttles.publicRead;

/**
 * A per-client limit on a public route that writes: at most `max` requests per client address in
 * each fixed window. Counted in the state table under a keyed hash of API Gateway's
 * `requestContext.http.sourceIp` (never X-Forwarded-For, which a client can set), kept only until
 * the window ends.
 */
export interface ClientLimit {
  max: number;
  windowSeconds: number;
}

const signInLimit: ClientLimit = { max: 10, windowSeconds: 600 };

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway path syntax: `/pins/{id}`. */
  path: string;
  fn: FunctionId;
  access: Access;
  throttle: keyof typeof throttles;
  clientLimit?: ClientLimit;
}

export const routes: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', fn: 'getHealth', access: 'public', throttle: 'publicRead' },
  { method: 'GET', path: '/privacy', fn: 'getPrivacy', access: 'public', throttle: 'publicRead' },
  { method: 'GET', path: '/audit', fn: 'getAudit', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/oauth/start', fn: 'createOAuthLink', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/oauth/start', fn: 'openOAuthLink', access: 'public', throttle: 'publicWrite', clientLimit: signInLimit },
  { method: 'GET', path: '/oauth/callback', fn: 'oauthCallback', access: 'public', throttle: 'publicWrite', clientLimit: signInLimit },
  { method: 'GET', path: '/account', fn: 'getAccount', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/account/confirm', fn: 'confirmAccount', access: 'operator', throttle: 'operator' },
];

/** The per-client limit of the route API Gateway matched (`GET /oauth/callback`), if it has one. */
export function clientLimitFor(routeKey: string): ClientLimit | undefined {
  return routes.find((route) => `${route.method} ${route.path}` === routeKey)?.clientLimit;
}

/**
 * The authorizer on every operator route, with API Gateway's semantics copied by the local server:
 * no identity header → 401 without calling it; `isAuthorized: false` → 403. Results are cached per
 * header value, so a rotated credential keeps working until the cache expires: keep it short.
 */
export const operatorAuthorizer = {
  fn: 'authorizeOperator',
  identityHeader: 'authorization',
  cacheTtlSeconds: 30,
} as const satisfies { fn: FunctionId; identityHeader: string; cacheTtlSeconds: number };

export interface ScheduleSpec {
  name: string;
  fn: FunctionId;
  rateMinutes: number;
  description: string;
}

/** Timers (EventBridge Scheduler in AWS, a local timer in local mode). Later features add entries. */
export const schedules: readonly ScheduleSpec[] = [];

/**
 * Matches a request against the route table as API Gateway does: the method and every literal segment
 * must match; `{name}` segments become path parameters. No match (including a wrong method) is a 404.
 */
export function matchRoute(
  method: string,
  path: string,
): { route: RouteSpec; pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pathParameters = matchPath(route.path, path);
    if (pathParameters !== undefined) return { route, pathParameters };
  }
  return undefined;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    const param = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (param !== undefined) {
      if (actual === '') return undefined;
      const decoded = safeDecode(actual);
      if (decoded === undefined) return undefined;
      params[param] = decoded;
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
