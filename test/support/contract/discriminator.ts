/**
 * `discriminator`. ajv's own discriminator support rejects most real-world shapes, and a plain `oneOf`
 * failure ("must match exactly one schema") says nothing about which variant was meant. The spec uses
 * three shapes: `oneOf` + mapping (PinMediaSource, PinMedia, catalogs), `anyOf` + mapping (catalog batch
 * items), and a base schema with a mapping but no `oneOf` at all (OauthAccessTokenRequest/Response, whose
 * mapped schemas copy the base rather than `allOf` it, so without the mapping nothing would tie a token
 * response to its variant). All become one custom keyword that reads the discriminating property, selects
 * the mapped schema (explicit mapping, plus the implicit schema-name mapping for unmapped `$ref` members)
 * and validates only that one, reporting its errors at their real location with the variant named.
 * Nothing is lost: the base schema's own keywords still apply; a missing discriminating property is an
 * error even where the base does not list it as required (OauthAccessTokenResponse.response_type), because
 * OpenAPI says it MUST be present to choose a schema; a value with no mapping is an error listing the mapped
 * values; a mapped value the spec's own enums omit (`integration_refresh`, mapped for token responses but
 * absent from every `response_type` enum) is still reported by those enums, not waved through by the
 * mapping; and an inline (non-`$ref`) member, which can only be chosen structurally,
 * keeps the original `oneOf`/`anyOf` in force. A subtype that `allOf`s its own base refers to a copy of
 * the base without the dispatch/oneOf, so inheritance cannot recurse forever (see `discriminatedBases` and
 * the `@base` definitions in convert.ts).
 */
import type Ajv from 'ajv';
import type { ErrorObject, FuncKeywordDefinition } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types';
import { escapePointer, isObject, SCHEMA_REF_PREFIX, type JsonObject } from './openapi';

export const DISCRIMINATOR_KEYWORD = 'contractDiscriminator';

export interface DispatchTarget {
  uri: string;
  schema: string;
}

export interface DispatchSchema {
  propertyName: string;
  mapping: Record<string, DispatchTarget>;
}

/** Attached to a variant's errors (as `params.contractVariant`) so reports name the selected schema. */
export interface VariantNote {
  propertyName: string;
  value: string;
  schema: string;
}

/** Maps a schema `$ref` to the URI ajv knows it by. */
export type SchemaUri = (ref: string) => string;

function missingProperty(base: string, propertyName: string): Partial<ErrorObject> {
  return {
    keyword: 'required',
    instancePath: base,
    params: { missingProperty: propertyName },
    message: `must have required property '${propertyName}'`,
  };
}

function unmappedValue(base: string, propertyName: string, allowed: string[]): Partial<ErrorObject> {
  return {
    keyword: 'discriminator',
    instancePath: `${base}/${escapePointer(propertyName)}`,
    params: { allowedValues: allowed },
    message: `must be one of the discriminator's mapped values: ${allowed.join(', ')}`,
  };
}

/** The custom keyword; `modifying` must be true on the type-coercing instance. */
export function discriminatorKeyword(ajv: Ajv, modifying: boolean): FuncKeywordDefinition {
  function validate(schema: DispatchSchema, data: JsonObject, _parent?: unknown, cxt?: DataValidationCxt): boolean {
    const base = cxt?.instancePath ?? '';
    const { propertyName, mapping } = schema;
    const value = data[propertyName];
    if (value === undefined) {
      validate.errors = [missingProperty(base, propertyName)];
      return false;
    }
    const target = typeof value === 'string' && Object.hasOwn(mapping, value) ? mapping[value] : undefined;
    if (!target) {
      validate.errors = [unmappedValue(base, propertyName, Object.keys(mapping))];
      return false;
    }
    const variant = ajv.getSchema(target.uri);
    if (!variant) throw new Error(`contract: discriminator target ${target.uri} is not registered`);
    if (variant(data)) return true;
    const note: VariantNote = { propertyName, value: value as string, schema: target.schema };
    validate.errors = (variant.errors ?? []).map((error) => ({
      ...error,
      instancePath: base + error.instancePath,
      params: { ...error.params, contractVariant: (error.params.contractVariant as VariantNote | undefined) ?? note },
    }));
    return false;
  }
  validate.errors = [] as Partial<ErrorObject>[];
  return { keyword: DISCRIMINATOR_KEYWORD, type: 'object', schemaType: 'object', errors: true, modifying, validate };
}

/** Components with a discriminator -> the component names it can dispatch to (explicitly or implicitly). */
export function discriminatedBases(schemas: Record<string, unknown>): Map<string, Set<string>> {
  const bases = new Map<string, Set<string>>();
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema) || !isObject(schema.discriminator)) continue;
    const explicit = isObject(schema.discriminator.mapping) ? Object.values(schema.discriminator.mapping) : [];
    const members = [...(Array.isArray(schema.oneOf) ? schema.oneOf : []), ...(Array.isArray(schema.anyOf) ? schema.anyOf : [])];
    const implicit = members.map((m) => (isObject(m) ? m.$ref : undefined));
    const targets = [...explicit, ...implicit].filter((t): t is string => typeof t === 'string');
    bases.set(name, new Set(targets.map((t) => t.replace(SCHEMA_REF_PREFIX, ''))));
  }
  return bases;
}

/**
 * Replaces a converted schema's `oneOf`/`anyOf` by the dispatch keyword (`raw` is the OpenAPI schema, `out`
 * its conversion so far).
 */
export function applyDiscriminator(raw: JsonObject, out: JsonObject, schemaUri: SchemaUri): void {
  const discriminator = raw.discriminator as { propertyName?: unknown; mapping?: Record<string, string> };
  if (typeof discriminator.propertyName !== 'string') throw new Error('contract: discriminator without propertyName');
  const members = (raw.oneOf ?? raw.anyOf) as unknown[] | undefined;
  const mapping: Record<string, DispatchTarget> = {};
  const mappedRefs = new Set<string>();
  for (const [value, target] of Object.entries(discriminator.mapping ?? {})) {
    const ref = target.startsWith('#') ? target : SCHEMA_REF_PREFIX + target;
    mappedRefs.add(ref);
    mapping[value] = { uri: schemaUri(ref), schema: ref.slice(SCHEMA_REF_PREFIX.length) };
  }
  let inlineMember = false;
  for (const member of members ?? []) {
    if (isObject(member) && typeof member.$ref === 'string' && Object.keys(member).length === 1) {
      // Implicit mapping: the schema name is the discriminator value for members the mapping doesn't name.
      if (!mappedRefs.has(member.$ref)) {
        const name = member.$ref.slice(SCHEMA_REF_PREFIX.length);
        mapping[name] = { uri: schemaUri(member.$ref), schema: name };
      }
    } else {
      inlineMember = true;
    }
  }
  // With only $ref members the dispatch is exactly the composition; an inline member can only be chosen
  // structurally, so then the original oneOf/anyOf stays in force alongside the dispatch.
  if (!inlineMember) {
    delete out.oneOf;
    delete out.anyOf;
  }
  out[DISCRIMINATOR_KEYWORD] = { propertyName: discriminator.propertyName, mapping } satisfies DispatchSchema;
}
