/** Turning ajv errors into readable `ContractIssue`s: where in the request/response, what is wrong, what was sent. */
import type { ErrorObject } from 'ajv';
import type { VariantNote } from './discriminator';
import { escapePointer, isObject, unescapePointer } from './openapi';
import type { ContractIssue } from './types';

export function issue(where: string, message: string): ContractIssue {
  return { where, message };
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = unescapePointer(raw);
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/** A short description of a value for messages ('an object', '"abc"', 'nothing' ...). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function listValues(values: unknown[]): string {
  const shown = values.slice(0, 12).map((v) => JSON.stringify(v));
  return values.length > 12 ? `${shown.join(', ')}, ... (${values.length} values)` : shown.join(', ');
}

/** Where an error is: a missing or unexpected property is reported at the property, not at its parent. */
function locationOf(prefix: string, error: ErrorObject, params: Record<string, unknown>): string {
  const where = prefix + error.instancePath;
  switch (error.keyword) {
    case 'required':
      return `${where}/${escapePointer(String(params.missingProperty))}`;
    case 'additionalProperties':
      return `${where}/${escapePointer(String(params.additionalProperty))}`;
    default:
      return where;
  }
}

function messageFor(error: ErrorObject, params: Record<string, unknown>, got: string): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed here (additionalProperties: false)';
    case 'enum':
      return `must be one of ${listValues(params.allowedValues as unknown[])} (got ${got})`;
    case 'discriminator':
      return `${error.message ?? 'has no mapping'} (got ${got})`;
    case 'type':
      return `must be ${String(params.type).split(',').join(' or ')} (got ${got})`;
    case 'format':
      return `must be a valid ${String(params.format)} (got ${got})`;
    default:
      return `${error.message ?? `fails ${error.keyword}`} (got ${got})`;
  }
}

/** `prefix` names what was validated ('request body', 'response 200 body' ...); `root` is the validated data. */
export function toIssues(prefix: string, errors: ErrorObject[] | null | undefined, root: unknown): ContractIssue[] {
  const all = errors ?? [];
  // `if` errors only say "the else branch failed"; the branch's own errors are alongside and say why.
  const meaningful = all.some((e) => e.keyword !== 'if') ? all.filter((e) => e.keyword !== 'if') : all;
  const issues: ContractIssue[] = [];
  const seen = new Set<string>();
  for (const error of meaningful) {
    const params = error.params as Record<string, unknown>;
    const where = locationOf(prefix, error, params);
    let message = messageFor(error, params, describe(valueAt(root, error.instancePath)));
    // The same finding from the base schema and from the variant it dispatches to is reported once.
    const key = `${where}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const variant = params.contractVariant as VariantNote | undefined;
    if (variant) message += ` [${variant.propertyName} '${variant.value}' selects ${variant.schema}]`;
    issues.push({ where, message });
  }
  return issues;
}
