import type { ApiRoute } from './api';
import { tokenRoute } from './token-endpoint';
import { userAccountRoute } from './user-account';

/** Every route the API hosts serve, tried in order; both environments serve the same set. */
export const apiRoutes: readonly ApiRoute[] = [tokenRoute, userAccountRoute];
