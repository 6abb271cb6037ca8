import { matchPathPattern } from '../../path-pattern';

/**
 * A tiny method + path router. Patterns are literal segments and `:name` parameters
 * ('/v5/boards/:boardId/sections'), enough for Pinterest's REST paths; routes are tried in order.
 * Matching itself is the local servers' shared matcher (../../path-pattern.ts).
 */

export interface RouteSpec {
  method: string;
  pattern: string;
}

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

export function matchRoute<R extends RouteSpec>(routes: readonly R[], method: string, path: string): RouteMatch<R> | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPathPattern(route.pattern, path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}
