import { authenticateClient, bearerToken } from './auth';
import { MESSAGES } from './constants';
import { apiError, singleHeader, type EmulatorRequest, type Reply } from './http';
import { rateLimitHeaders, type RateCategory, type RateStatus } from './rate-limit';
import { matchRoute, type RouteSpec } from './router';
import type { EmulatorService } from './service';
import type { TokenRecord } from './state';
import { findAccessToken } from './tokens';
import type { EmulatorUser, PinterestEnvironment } from './types';

/**
 * The API hosts (api.pinterest.com and api-sandbox.pinterest.com). A route declares how it is
 * authenticated, its rate-limit category and, for bearer routes, the scopes it needs; this module
 * does authentication, counting and scope checks once, so handlers only do their own work.
 * Endpoints are listed in ./api-routes.ts.
 */

export interface AppCaller {
  environment: PinterestEnvironment;
  clientId: string;
}

export interface UserCaller extends AppCaller {
  user: EmulatorUser;
  token: TokenRecord;
}

interface ApiRouteBase extends RouteSpec {
  category: RateCategory;
  /**
   * The handler only reads: the answer skips writing the data file, which with the seed's ~600
   * boards is the expensive part of a request. A skipped purge of expired records is written later.
   */
  readOnly?: boolean;
}

/** Authenticated by the app's HTTP Basic credentials (the token endpoint). */
export interface AppRoute extends ApiRouteBase {
  auth: 'basic';
  handle(service: EmulatorService, req: EmulatorRequest, caller: AppCaller): Reply;
}

/** Authenticated by a user's access token from this environment. */
export interface UserRoute extends ApiRouteBase {
  auth: 'bearer';
  scopes: readonly string[];
  /** The endpoint's own 403 answer when a scope is missing. */
  forbidden: { code: number; message: string };
  handle(service: EmulatorService, req: EmulatorRequest, caller: UserCaller): Reply;
}

export type ApiRoute = AppRoute | UserRoute;

function withRate(reply: Reply, rate: RateStatus): Reply {
  return { ...reply, headers: { ...reply.headers, ...rateLimitHeaders(rate) } };
}

function rateLimited(rate: RateStatus): Reply {
  return withRate(apiError(429, 8, MESSAGES.rateLimited), rate);
}

function runAppRoute(service: EmulatorService, req: EmulatorRequest, route: AppRoute, environment: PinterestEnvironment): Reply {
  const { app } = service.store.state;
  const clientId = authenticateClient(app, singleHeader(req.headers, 'authorization'));
  if (clientId === undefined) return apiError(401, 2, MESSAGES.authFailed);
  const rate = service.limiter.take({ environment, tier: app.tier, category: route.category, clientId }, req.nowMs);
  if (rate.exceeded) return rateLimited(rate);
  return withRate(route.handle(service, req, { environment, clientId }), rate);
}

function runUserRoute(service: EmulatorService, req: EmulatorRequest, route: UserRoute, environment: PinterestEnvironment): Reply {
  const { store } = service;
  const bearer = bearerToken(singleHeader(req.headers, 'authorization'));
  const token = bearer === undefined ? undefined : findAccessToken(store, environment, bearer, req.nowMs);
  const user = token === undefined ? undefined : store.user(token.userId);
  if (token === undefined || user === undefined) return apiError(401, 2, MESSAGES.authFailed);
  const subject = { environment, tier: store.state.app.tier, category: route.category, clientId: token.clientId, userId: user.id };
  const rate = service.limiter.take(subject, req.nowMs);
  if (rate.exceeded) return rateLimited(rate);
  if (!route.scopes.every((scope) => token.scopes.includes(scope))) {
    return withRate(apiError(403, route.forbidden.code, route.forbidden.message), rate);
  }
  return withRate(route.handle(service, req, { environment, clientId: token.clientId, user, token }), rate);
}

export function dispatchApi(
  service: EmulatorService,
  routes: readonly ApiRoute[],
  req: EmulatorRequest,
  environment: PinterestEnvironment,
): Reply {
  const match = matchRoute(routes, req.method, req.path);
  if (match === undefined) return apiError(404, 404, MESSAGES.notFound);
  const routed = { ...req, params: match.params };
  const reply =
    match.route.auth === 'basic'
      ? runAppRoute(service, routed, match.route, environment)
      : runUserRoute(service, routed, match.route, environment);
  return match.route.readOnly === true ? { ...reply, readOnly: true } : reply;
}

/**
 * The 429 of an injected `spam_block` fault (Pinterest's anti-spam block on rapid Pin creation). The
 * code is a guess (8, as for rate limits: both are 429s); clients are expected to tell the two apart by
 * the message. The rate-limit headers show the app's org_write window as it is: a spam block is not a
 * spent quota.
 */
export function injectedSpamBlock(service: EmulatorService, environment: PinterestEnvironment, nowMs: number): Reply {
  const { app } = service.store.state;
  const rate = service.limiter.peek({ environment, tier: app.tier, category: 'org_write', clientId: app.clientId }, nowMs);
  return withRate(apiError(429, 8, MESSAGES.spamBlock), rate);
}

/** The 429 an injected `rate_limit` fault answers with, showing the app's window of the route as spent. */
export function injectedRateLimit(service: EmulatorService, environment: PinterestEnvironment, nowMs: number, category: RateCategory): Reply {
  const { app } = service.store.state;
  const rate = service.limiter.peek({ environment, tier: app.tier, category, clientId: app.clientId }, nowMs);
  return rateLimited({ ...rate, remaining: 0, exceeded: true });
}
