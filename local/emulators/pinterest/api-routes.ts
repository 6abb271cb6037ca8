import type { ApiRoute } from './api';
import { createBoardRoute, listBoardsRoute, listSectionsRoute } from './boards';
import { boardPinsRoute, createPinRoute, getPinRoute, sectionPinsRoute } from './pins';
import type { RateCategory } from './rate-limit';
import { matchRoute } from './router';
import { tokenRoute } from './token-endpoint';
import { userAccountRoute } from './user-account';

/** Every route the API hosts serve, tried in order; both environments serve the same set. */
export const apiRoutes: readonly ApiRoute[] = [
  tokenRoute,
  userAccountRoute,
  listBoardsRoute,
  createBoardRoute,
  listSectionsRoute,
  boardPinsRoute,
  sectionPinsRoute,
  createPinRoute,
  getPinRoute,
];

/** The rate-limit category of the route a request would reach (org_read when none matches). */
export function categoryOf(method: string, path: string): RateCategory {
  return matchRoute(apiRoutes, method, path)?.route.category ?? 'org_read';
}
