/**
 * OpenAPI document shapes (only what the checker reads) and the JSON-pointer helpers shared by the modules.
 *
 * Parameter/response/requestBody `$ref`s are OpenAPI objects, not schemas, and are followed here (`deref`),
 * not by ajv; schema `$ref`s are left to ajv (see convert.ts).
 */

export type JsonObject = Record<string, unknown>;

export interface OaParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
  style?: string;
  explode?: boolean;
}

export interface OaMediaType {
  schema?: unknown;
}

export interface OaRequestBody {
  required?: boolean;
  content?: Record<string, OaMediaType>;
}

export interface OaResponse {
  content?: Record<string, OaMediaType>;
}

export interface OaOperation {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
  'x-ratelimit-category'?: string;
}

export interface OaDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
}

export const SCHEMA_REF_PREFIX = '#/components/schemas/';
export const FORM = 'application/x-www-form-urlencoded';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolves a local JSON pointer ('#/components/...') in the raw document. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`contract: only local $refs are supported, got ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = unescapePointer(decodeURIComponent(raw));
    if (!isObject(node) || !(key in node)) throw new Error(`contract: unresolvable $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** Follows `$ref` chains on OpenAPI objects (parameters, responses, request bodies, schemas). */
export function deref(doc: unknown, value: unknown): unknown {
  let node = value;
  for (let hops = 0; isObject(node) && typeof node.$ref === 'string'; hops += 1) {
    if (hops > 32) throw new Error('contract: $ref cycle');
    node = resolvePointer(doc, node.$ref);
  }
  return node;
}

export function mediaEssence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
