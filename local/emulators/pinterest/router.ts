/**
 * A tiny method + path router. Patterns are literal segments and `:name` parameters
 * ('/v5/boards/:boardId/sections'), enough for Pinterest's REST paths; routes are tried in order.
 */

export interface RouteSpec {
  method: string;
  pattern: string;
}

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    if (!segment.startsWith(':')) {
      if (segment !== actual) return undefined;
      continue;
    }
    const decoded = decodeSegment(actual);
    if (decoded === undefined || decoded === '') return undefined;
    params[segment.slice(1)] = decoded;
  }
  return params;
}

export function matchRoute<R extends RouteSpec>(routes: readonly R[], method: string, path: string): RouteMatch<R> | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPattern(route.pattern, path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}
