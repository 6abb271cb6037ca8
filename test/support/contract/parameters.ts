/**
 * Parameters: query/path values arrive as strings, so they are validated by an ajv instance that coerces
 * types (only that instance; bodies are never coerced). Arrays are accepted comma-separated or repeated,
 * `deepObject` parameters as `name[key]=value` (nested `name[a][b]`), undeclared names are errors, and a
 * scalar parameter given twice is an error. Form-urlencoded bodies (POST /oauth/token) get the same
 * string-to-object-and-coerce treatment before their schema is applied (`formToObject`).
 */
import type { ValidateFunction } from 'ajv';
import { issue, toIssues } from './issues';
import { deref, isObject, type JsonObject, type OaDocument, type OaParameter } from './openapi';
import { label, type IndexedOperation } from './paths';
import type { ContractIssue, ContractRequest } from './types';
import type { Validators } from './validators';

interface QueryContext {
  doc: OaDocument;
  op: IndexedOperation;
  byName: Map<string, OaParameter>;
  /** The query as an object, built up key by key for the parameters' schema. */
  data: JsonObject;
}

/** The query string found on the path, followed by the request's own `query`. */
export function mergeQuery(fromPath: URLSearchParams, extra: ContractRequest['query']): URLSearchParams {
  const query = new URLSearchParams(fromPath);
  if (extra instanceof URLSearchParams) {
    extra.forEach((v, k) => {
      query.append(k, v);
    });
  } else if (extra) {
    for (const [k, v] of Object.entries(extra)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
  }
  return query;
}

export function checkPathParams(validators: Validators, op: IndexedOperation, values: Record<string, string>): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const declared = op.parameters.filter((p) => p.in === 'path');
  const data: JsonObject = {};
  for (const [name, encoded] of Object.entries(values)) {
    if (!declared.some((p) => p.name === name)) {
      issues.push(issue(`request path/${name}`, `is in the template but not declared as a path parameter of ${label(op)}`));
      continue;
    }
    try {
      data[name] = decodeURIComponent(encoded);
    } catch {
      issues.push(issue(`request path/${name}`, `is not valid percent-encoding (got ${JSON.stringify(encoded)})`));
    }
  }
  const validate = parameterValidator(validators, op, 'path', declared);
  if (!validate(data)) issues.push(...toIssues('request path', validate.errors, data));
  return issues;
}

export function checkQuery(
  doc: OaDocument,
  validators: Validators,
  op: IndexedOperation,
  query: URLSearchParams,
): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const declared = op.parameters.filter((p) => p.in === 'query');
  const context: QueryContext = { doc, op, byName: new Map(declared.map((p) => [p.name, p])), data: {} };
  const grouped = new Map<string, string[]>();
  query.forEach((value, key) => grouped.set(key, [...(grouped.get(key) ?? []), value]));
  for (const [key, values] of grouped) {
    const problem = readQueryKey(context, key, values);
    if (problem) issues.push(problem);
  }
  const validate = parameterValidator(validators, op, 'query', declared);
  if (!validate(context.data)) issues.push(...toIssues('request query', validate.errors, context.data));
  return issues;
}

/** Puts one query key's values into `context.data`, or returns why they do not belong there. */
function readQueryKey({ doc, op, byName, data }: QueryContext, key: string, values: string[]): ContractIssue | undefined {
  // deepObject: name[key]=value, nested as name[a][b]=value (the common reading of an unspecified case).
  const deep = /^([^[\]]+)((?:\[[^[\]]+\])+)$/.exec(key);
  const deepParam = deep ? byName.get(deep[1] ?? '') : undefined;
  if (deep && deepParam?.style === 'deepObject') {
    const path = [...(deep[2] ?? '').matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1] ?? '');
    let holder = childObject(data, deepParam.name);
    for (const segment of path.slice(0, -1)) holder = childObject(holder, segment);
    holder[path[path.length - 1] ?? ''] = values.length === 1 ? values[0] : values;
    return undefined;
  }
  const param = byName.get(key);
  if (param?.style === 'deepObject') {
    return issue(`request query/${key}`, `is a deepObject parameter: send it as ${key}[property]=value`);
  }
  if (!param) {
    const names = [...byName.keys()].join(', ') || 'none';
    return issue(`request query/${key}`, `is not a query parameter of ${label(op)} (declared: ${names})`);
  }
  const schema = deref(doc, param.schema);
  if (isObject(schema) && schema.type === 'array') {
    data[key] = values.flatMap((v) => v.split(','));
  } else if (values.length > 1) {
    return issue(`request query/${key}`, `is given ${values.length} times but is not an array parameter`);
  } else {
    data[key] = values[0];
  }
  return undefined;
}

function parameterValidator(
  validators: Validators,
  op: IndexedOperation,
  location: 'path' | 'query',
  params: OaParameter[],
): ValidateFunction {
  return validators.get('params', `${op.method} ${op.template} ${location}`, () => ({
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
    required: params.filter((p) => p.required === true || location === 'path').map((p) => p.name),
  }));
}

function childObject(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** A form-urlencoded body as an object (repeated keys become arrays); undefined if it is no form at all. */
export function formToObject(body: unknown): JsonObject | undefined {
  let params: URLSearchParams;
  if (typeof body === 'string') params = new URLSearchParams(body);
  else if (body instanceof URLSearchParams) params = body;
  else if (isObject(body)) return structuredClone(body);
  else return undefined;
  const data: JsonObject = {};
  params.forEach((value, key) => {
    const previous = data[key];
    data[key] = previous === undefined ? value : Array.isArray(previous) ? [...(previous as string[]), value] : [previous, value];
  });
  return data;
}
