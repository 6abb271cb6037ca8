import { MESSAGES } from './constants';
import { apiError, type EmulatorRequest, type Reply } from './http';
import { matchRoute, type RouteSpec } from './router';
import type { EmulatorService } from './service';

/** The www host (www.pinterest.com): the authorize page, the consent form and the test controls. */

export interface WwwRoute extends RouteSpec {
  handle(service: EmulatorService, req: EmulatorRequest): Reply;
}

export function dispatchWww(service: EmulatorService, routes: readonly WwwRoute[], req: EmulatorRequest): Reply {
  const match = matchRoute(routes, req.method, req.path);
  if (match === undefined) return apiError(404, 404, MESSAGES.notFound);
  return match.route.handle(service, { ...req, params: match.params });
}
