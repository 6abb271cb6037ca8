/**
 * Path matching and operation lookup: the spec's path templates become regexes, tried most specific first,
 * and each path's operations are indexed by method with their path-level and operation-level parameters merged.
 */
import { issue } from './issues';
import { deref, isObject, type OaDocument, type OaOperation, type OaParameter } from './openapi';
import type { ContractIssue } from './types';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface IndexedOperation {
  method: string;
  template: string;
  operation: OaOperation;
  parameters: OaParameter[];
}

interface PathEntry {
  template: string;
  regex: RegExp;
  names: string[];
  literalScore: number[];
  operations: Map<string, IndexedOperation>;
}

/** A request path resolved to its operation, or the issue saying why it could not be. */
export interface Located {
  op?: IndexedOperation;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  issue?: ContractIssue;
}

export function label(op: IndexedOperation): string {
  return `${op.method} ${op.template}`;
}

/** A template's regex source; `names` receives its parameter names in order. */
function templatePattern(template: string, names: string[]): string {
  return template
    .split('/')
    .map((segment) =>
      segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
        if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(name);
        return '([^/]+)';
      }),
    )
    .join('/');
}

function indexOperations(doc: OaDocument, template: string, item: Record<string, unknown>): Map<string, IndexedOperation> {
  const pathParameters = Array.isArray(item.parameters) ? item.parameters : [];
  const operations = new Map<string, IndexedOperation>();
  for (const method of HTTP_METHODS) {
    const operation = item[method];
    if (!isObject(operation)) continue;
    const op = operation as OaOperation;
    const merged = new Map<string, OaParameter>();
    for (const p of [...pathParameters, ...(op.parameters ?? [])]) {
      const param = deref(doc, p) as OaParameter;
      merged.set(`${param.in}:${param.name}`, param);
    }
    const upper = method.toUpperCase();
    operations.set(upper, { method: upper, template, operation: op, parameters: [...merged.values()] });
  }
  return operations;
}

function buildIndex(doc: OaDocument): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const names: string[] = [];
    const pattern = templatePattern(template, names);
    const operations = indexOperations(doc, template, item);
    entries.push({
      template,
      regex: new RegExp(`^${pattern}$`),
      names,
      literalScore: template.split('/').map((s) => (s.includes('{') ? 0 : 1)),
      operations,
    });
  }
  return entries;
}

/** More literal segments, earlier, wins: /boards/search beats /boards/{board_id}, as a router would. */
function compareSpecificity(a: PathEntry, b: PathEntry): number {
  for (let i = 0; i < Math.max(a.literalScore.length, b.literalScore.length); i += 1) {
    const d = (b.literalScore[i] ?? 0) - (a.literalScore[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Accepts a full URL or a path, with or without the /v5 prefix; splits off the query string. */
function splitPath(input: string): { path: string; query: URLSearchParams } {
  let path = input;
  if (/^https?:\/\//i.test(path)) {
    const url = new URL(path);
    path = url.pathname + url.search;
  }
  const q = path.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '');
  path = q >= 0 ? path.slice(0, q) : path;
  if (path === '/v5' || path.startsWith('/v5/')) path = path.slice(3) || '/';
  return { path, query };
}

export class PathIndex {
  private readonly entries: PathEntry[];

  constructor(doc: OaDocument) {
    this.entries = buildIndex(doc).sort(compareSpecificity);
  }

  /** `where` prefixes the issue when the path or method is not in the spec. */
  locate(method: string, rawPath: string, where = 'request'): Located {
    const { path, query } = splitPath(rawPath);
    const entry = this.entries.find((e) => e.regex.test(path));
    if (!entry) return { pathParams: {}, query, issue: issue(where, `no path in the Pinterest API description matches ${path}`) };
    const op = entry.operations.get(method.toUpperCase());
    if (!op) {
      const allowed = [...entry.operations.keys()].join(', ');
      const message = `${method.toUpperCase()} is not an operation of ${entry.template} (documented: ${allowed})`;
      return { pathParams: {}, query, issue: issue(where, message) };
    }
    const match = entry.regex.exec(path) as RegExpExecArray;
    const pathParams: Record<string, string> = {};
    entry.names.forEach((name, i) => {
      pathParams[name] = match[i + 1] ?? '';
    });
    return { op, pathParams, query };
  }
}
