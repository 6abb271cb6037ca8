/**
 * One path matcher for the local servers: the API Gateway stand-in (route table paths with `{name}`
 * parameters, as API Gateway writes them) and the Pinterest emulator (`:name`, as its routes are
 * written). Every literal segment must match exactly; a parameter matches one non-empty segment,
 * URL-decoded (a segment that does not decode matches nothing).
 */

function parameterName(segment: string): string | undefined {
  return /^\{(\w+)\}$/.exec(segment)?.[1] ?? /^:(\w+)$/.exec(segment)?.[1];
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The parameters of `path` under `pattern`, or undefined when it does not match. */
export function matchPathPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    const name = parameterName(segment);
    if (name === undefined) {
      if (segment !== actual) return undefined;
      continue;
    }
    const decoded = decodeSegment(actual);
    if (decoded === undefined || decoded === '') return undefined;
    params[name] = decoded;
  }
  return params;
}
