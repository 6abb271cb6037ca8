/**
 * Contract checker against Pinterest's official OpenAPI description (test/fixtures/pinterest/openapi-v5.json,
 * OpenAPI 3.0.3, MIT). Requests the client would send and responses it must understand are validated with
 * ajv against the schemas of the matching operation.
 *
 * OpenAPI 3.0 schemas are not JSON Schema, and this description has quirks of its own. Each is translated here
 * rather than by relaxing a check, because a contract test that passes by being lenient proves nothing:
 *
 * - Component `$ref`s. The document is ~2 MB; compiling it into every validator would make each compile slow
 *   and every validator huge. The converted components are registered once per ajv instance as one document
 *   (`$id` + `definitions`) and `#/components/schemas/X` becomes a ref into it, so ajv compiles only what an
 *   operation actually reaches, once, and shares it. Parameter/response/requestBody refs are OpenAPI objects,
 *   not schemas, and are followed by this helper, not ajv.
 * - Two views of each component. OpenAPI says readOnly properties are not required in requests and writeOnly
 *   ones not in responses (BoardBase requires its readOnly `id`, Media/MediaUpload their readOnly `media_id`),
 *   so every component is converted twice, a request view and a response view, each with only its own
 *   `required` names dropped. Properties whose readOnly flag sits behind a `$ref`/`allOf`, or whose
 *   `required` lives in another `allOf` member than the property, are still recognised.
 * - `nullable: true`. JSON Schema has no such keyword (ajv's own support needs `type` beside it and ignores
 *   `enum`). A plain typed schema gets `null` added to its type and, if it has one, to its `enum` (the spec
 *   has nullable enums that list null and ones that do not). When `nullable` sits beside `$ref`, `allOf`,
 *   `oneOf` or `anyOf` (Pin.creative_type, SSIOOrderLine.currency_info, UpdatableItemAttributes.gtin ...)
 *   the schema becomes "if null then fine, else the original schema", so non-null values still get the
 *   original's precise errors (the bookkeeping `if` error is dropped from reports).
 * - `$ref` siblings. OpenAPI 3.0 says siblings of `$ref` are ignored, but the spec relies on them:
 *   ConversionEventsUserData expresses "em, or hashed_maids, or client_ip_address + client_user_agent" only
 *   through `required` beside `$ref`. Ignoring them would silently accept anything, so they are applied (ajv 8
 *   applies siblings, and the `type` siblings in the spec all agree with their targets). `nullable` siblings
 *   are handled as above.
 * - `discriminator`. ajv's own discriminator support rejects most real-world shapes, and a plain `oneOf`
 *   failure ("must match exactly one schema") says nothing about which variant was meant. The spec uses
 *   three shapes: `oneOf` + mapping (PinMediaSource, PinMedia, catalogs), `anyOf` + mapping (catalog batch
 *   items), and a base schema with a mapping but no `oneOf` at all (OauthAccessTokenRequest/Response, whose
 *   mapped schemas copy the base rather than `allOf` it, so without the mapping nothing would tie a token
 *   response to its variant). All become one custom keyword that reads the discriminating property, selects
 *   the mapped schema (explicit mapping, plus the implicit schema-name mapping for unmapped `$ref` members)
 *   and validates only that one, reporting its errors at their real location with the variant named.
 *   Nothing is lost: the base schema's own keywords still apply; a missing discriminating property is an
 *   error even where the base does not list it as required (OauthAccessTokenResponse.response_type), because
 *   OpenAPI says it MUST be present to choose a schema; a value with no mapping is an error listing the mapped
 *   values; a mapped value the spec's own enums omit (`integration_refresh`, mapped for token responses but
 *   absent from every `response_type` enum) is still reported by those enums, not waved through by the
 *   mapping; and an inline (non-`$ref`) member, which can only be chosen structurally,
 *   keeps the original `oneOf`/`anyOf` in force. A subtype that `allOf`s its own base refers to a copy of
 *   the base without the dispatch/oneOf, so inheritance cannot recurse forever.
 * - OAS-only keywords (`example`, `examples`, `xml`, `externalDocs`, `deprecated`, `x-*`, annotations) are
 *   stripped, and ajv runs with `strictSchema: true`: any keyword this helper does not understand makes the
 *   compile fail loudly instead of being ignored. `additionalProperties` is copied exactly as written; nothing
 *   is closed or opened that the spec leaves alone.
 * - `exclusiveMinimum: true` (ConversionMSOTEvents.attribution_score, "> 0 and <= 1") is the draft-4 boolean
 *   form; draft-07 needs the number, so it becomes `exclusiveMinimum: <minimum>`, keeping the bound exclusive.
 * - `format: date-time`. Real Pinterest responses carry date-times without a UTC offset (`2020-01-01T20:10:40`)
 *   where the spec says date-time. The format accepts exactly RFC 3339 `full-date "T" partial-time` with the
 *   offset optional, and still checks calendar/clock ranges, so `yesterday` or `2020-02-30T00:00:00` fail.
 * - Other formats: ajv-formats (full mode) supplies date, uri, email, password, binary... int32 is range
 *   checked; int64 is range checked against ±2^63 (ajv-formats only checks "is an integer"); float is checked
 *   against the float32 range; byte is strict single-line base64 (ajv-formats' multiline regex accepts
 *   garbage followed by a base64 line). Formats nobody defines are hints in OpenAPI and are dropped, so an
 *   unknown format can never throw.
 * - Parameters: query/path values arrive as strings, so they are validated by an ajv instance that coerces
 *   types (only that instance; bodies are never coerced). Arrays are accepted comma-separated or repeated,
 *   `deepObject` parameters as `name[key]=value` (nested `name[a][b]`), undeclared names are errors, and a
 *   scalar parameter given twice is an error. Form-urlencoded bodies (POST /oauth/token) get the same
 *   string-to-object-and-coerce treatment before their schema is applied.
 */
import Ajv, { type ErrorObject, type FuncKeywordDefinition, type ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ContractIssue {
  where: string;
  message: string;
}

export interface ContractRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[]> | URLSearchParams;
  contentType?: string;
  body?: unknown;
}

export interface ContractResponse {
  method: string;
  path: string;
  status: number;
  body: unknown;
  contentType?: string;
}

export interface ContractOperation {
  operationId: string;
  scopes: string[];
  rateLimitCategory?: string;
  /** The spec's path template the concrete path matched, e.g. '/boards/{board_id}'. */
  pathTemplate: string;
}

export interface Contract {
  /**
   * Validates a request the client would send. `path` is the concrete path under /v5 ('/boards/123/pins' or
   * '/v5/boards/123/pins'; a query string on it is merged into `query`).
   */
  validateRequest(req: ContractRequest): ContractIssue[];
  /** Validates a response body against the documented response for that status (or `default`). */
  validateResponse(res: ContractResponse): ContractIssue[];
  /** The operation's id, OAuth scopes and x-ratelimit-category, or undefined if the spec has no such operation. */
  operation(method: string, path: string): ContractOperation | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI document shapes (only what the helper reads)

type JsonObject = Record<string, unknown>;

interface OaParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
  style?: string;
  explode?: boolean;
}

interface OaMediaType {
  schema?: unknown;
}

interface OaRequestBody {
  required?: boolean;
  content?: Record<string, OaMediaType>;
}

interface OaResponse {
  content?: Record<string, OaMediaType>;
}

interface OaOperation {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
  'x-ratelimit-category'?: string;
}

interface OaDocument {
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
}

const SPEC_PATH = join(__dirname, '../fixtures/pinterest/openapi-v5.json');
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DISCRIMINATOR_KEYWORD = 'contractDiscriminator';
const SCHEMA_REF_PREFIX = '#/components/schemas/';
const BASE_SUFFIX = '@base';
const FORM = 'application/x-www-form-urlencoded';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolves a local JSON pointer ('#/components/...') in the raw document. */
function resolvePointer(doc: unknown, ref: string): unknown {
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
function deref(doc: unknown, value: unknown): unknown {
  let node = value;
  for (let hops = 0; isObject(node) && typeof node.$ref === 'string'; hops += 1) {
    if (hops > 32) throw new Error('contract: $ref cycle');
    node = resolvePointer(doc, node.$ref);
  }
  return node;
}

function mediaEssence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Formats

const MAX_FLOAT32 = 3.4028234663852886e38;
const RFC3339_LOCAL_OR_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** RFC 3339 date-time whose time-offset may be omitted (Pinterest sends local/UTC times without one). */
export function isDateTimeWithOptionalOffset(value: string): boolean {
  const m = RFC3339_LOCAL_OR_OFFSET.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  const offset = m[8];
  if (offset && offset.length > 1) {
    const [oh, om] = offset.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) return false;
  }
  // A leap second only exists at 23:59:60 UTC; without an offset the time is taken as UTC.
  if (second === 60) {
    const sign = offset?.startsWith('-') ? -1 : 1;
    const [oh, om] = offset && offset.length > 1 ? (offset.slice(1).split(':').map(Number) as [number, number]) : [0, 0];
    const utcMinutes = (((hour * 60 + minute - sign * (oh * 60 + om)) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return false;
  }
  return true;
}

function configureFormats(ajv: Ajv): void {
  addFormats(ajv, { mode: 'full', keywords: false });
  ajv.addFormat('date-time', { type: 'string', validate: isDateTimeWithOptionalOffset });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63 });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= MAX_FLOAT32 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('byte', { type: 'string', validate: (s: string) => BASE64.test(s) });
}

// ---------------------------------------------------------------------------------------------------------
// Discriminator keyword

interface DispatchTarget {
  uri: string;
  schema: string;
}

interface DispatchSchema {
  propertyName: string;
  mapping: Record<string, DispatchTarget>;
}

interface VariantNote {
  propertyName: string;
  value: string;
  schema: string;
}

function discriminatorKeyword(ajv: Ajv, modifying: boolean): FuncKeywordDefinition {
  function validate(schema: DispatchSchema, data: JsonObject, _parent?: unknown, cxt?: DataValidationCxt): boolean {
    const base = cxt?.instancePath ?? '';
    const { propertyName, mapping } = schema;
    const value = data[propertyName];
    const allowed = Object.keys(mapping);
    if (value === undefined) {
      validate.errors = [
        {
          keyword: 'required',
          instancePath: base,
          params: { missingProperty: propertyName },
          message: `must have required property '${propertyName}'`,
        },
      ];
      return false;
    }
    const target = typeof value === 'string' && Object.hasOwn(mapping, value) ? mapping[value] : undefined;
    if (!target) {
      validate.errors = [
        {
          keyword: 'discriminator',
          instancePath: `${base}/${escapePointer(propertyName)}`,
          params: { allowedValues: allowed },
          message: `must be one of the discriminator's mapped values: ${allowed.join(', ')}`,
        },
      ];
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

// ---------------------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema (draft-07)

type Mode = 'request' | 'response';

const COPIED = new Set([
  'type',
  'enum',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
]);
const DROPPED = new Set([
  'title',
  'description',
  'default',
  'example',
  'examples',
  'xml',
  'externalDocs',
  'deprecated',
  'readOnly',
  'writeOnly',
  'nullable',
  'discriminator',
]);
const APPLICATORS = ['$ref', 'allOf', 'oneOf', 'anyOf', 'not', 'if', DISCRIMINATOR_KEYWORD];

type PropertyIndex = Map<string, unknown[]>;

interface ConvertOptions {
  /** Property definitions visible from sibling allOf members / the enclosing schema. */
  inherited?: PropertyIndex;
  /** Convert a discriminator base without its dispatch (used where a mapped schema allOf's its base). */
  skipDiscriminator?: boolean;
  /** The component whose top level is being converted, to recognise `allOf: [base]` inheritance. */
  component?: string;
}

class SchemaConverter {
  /** Components with a discriminator -> the component names it can dispatch to (explicitly or implicitly). */
  private readonly discriminatedBases = new Map<string, Set<string>>();

  constructor(
    private readonly doc: OaDocument,
    private readonly mode: Mode,
    readonly docId: string,
    private readonly knownFormats: Set<string>,
  ) {
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      if (!isObject(schema) || !isObject(schema.discriminator)) continue;
      const explicit = isObject(schema.discriminator.mapping) ? Object.values(schema.discriminator.mapping) : [];
      const members = [...(Array.isArray(schema.oneOf) ? schema.oneOf : []), ...(Array.isArray(schema.anyOf) ? schema.anyOf : [])];
      const implicit = members.map((m) => (isObject(m) ? m.$ref : undefined));
      const targets = [...explicit, ...implicit].filter((t): t is string => typeof t === 'string');
      this.discriminatedBases.set(name, new Set(targets.map((t) => t.replace(SCHEMA_REF_PREFIX, ''))));
    }
  }

  /** The document ajv registers: every component schema, plus undispatched copies of discriminator bases. */
  componentsDocument(): JsonObject {
    const definitions: JsonObject = {};
    for (const [name, schema] of Object.entries(this.doc.components?.schemas ?? {})) {
      definitions[name] = this.convert(schema, { component: name });
      if (this.discriminatedBases.has(name)) {
        definitions[name + BASE_SUFFIX] = this.convert(schema, { component: name, skipDiscriminator: true });
      }
    }
    return { $id: this.docId, definitions };
  }

  schemaUri(ref: string, inheritedBy?: string): string {
    if (!ref.startsWith(SCHEMA_REF_PREFIX)) throw new Error(`contract: unsupported schema $ref ${ref}`);
    const name = unescapePointer(decodeURIComponent(ref.slice(SCHEMA_REF_PREFIX.length)));
    const schemas = this.doc.components?.schemas ?? {};
    if (!(name in schemas)) throw new Error(`contract: unknown schema ${ref}`);
    const inheritance = inheritedBy !== undefined && this.discriminatedBases.get(name)?.has(inheritedBy) === true;
    const key = inheritance ? name + BASE_SUFFIX : name;
    return `${this.docId}#/definitions/${encodeURIComponent(escapePointer(key))}`;
  }

  convert(raw: unknown, options: ConvertOptions = {}): unknown {
    if (typeof raw === 'boolean') return raw;
    if (!isObject(raw)) throw new Error(`contract: not a schema: ${JSON.stringify(raw)}`);
    const out: JsonObject = {};
    const visible = new Map(options.inherited ?? []);
    for (const [name, defs] of this.collectProperties(raw)) visible.set(name, [...(visible.get(name) ?? []), ...defs]);

    for (const [key, value] of Object.entries(raw)) {
      if (DROPPED.has(key) || key.startsWith('x-')) continue;
      if (COPIED.has(key)) {
        out[key] = value;
        continue;
      }
      switch (key) {
        case '$ref':
          out.$ref = this.schemaUri(value as string);
          break;
        case 'properties':
          out.properties = Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, this.convert(v)]));
          break;
        case 'additionalProperties':
          out.additionalProperties = typeof value === 'boolean' ? value : this.convert(value);
          break;
        case 'items':
        case 'not':
          out[key] = this.convert(value);
          break;
        case 'allOf':
          out.allOf = (value as unknown[]).map((member) =>
            // A mapped subtype that allOf's its discriminator base inherits it: apply the base without
            // dispatching back to the subtype, or validation would recurse forever.
            isObject(member) && typeof member.$ref === 'string' && Object.keys(member).length === 1
              ? { $ref: this.schemaUri(member.$ref, options.component) }
              : this.convert(member, { inherited: visible }),
          );
          break;
        case 'oneOf':
        case 'anyOf':
          out[key] = (value as unknown[]).map((member) => this.convert(member, { inherited: visible }));
          break;
        case 'required':
          out.required = (value as string[]).filter((name) => !this.isHiddenInMode(visible.get(name) ?? []));
          break;
        case 'format':
          if (this.knownFormats.has(value as string)) out.format = value;
          break;
        case 'exclusiveMinimum':
        case 'exclusiveMaximum': {
          const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
          if (typeof value === 'number') out[key] = value;
          else if (value === true && typeof raw[bound] === 'number') out[key] = raw[bound];
          break;
        }
        default:
          // Unknown to this helper: leave it so ajv's strictSchema fails the compile instead of ignoring it.
          out[key] = value;
      }
    }
    // A `true` exclusive bound replaces the inclusive one it qualifies.
    if (raw.exclusiveMinimum === true && typeof raw.minimum === 'number') delete out.minimum;
    if (raw.exclusiveMaximum === true && typeof raw.maximum === 'number') delete out.maximum;
    if (Array.isArray(out.required) && out.required.length === 0) delete out.required;

    if (isObject(raw.discriminator)) {
      if (!options.skipDiscriminator) this.applyDiscriminator(raw, out);
      else {
        // Inherited by one of its own subtypes: the subtype is the variant, so the polymorphic part is not re-applied.
        delete out.oneOf;
        delete out.anyOf;
      }
    }
    return raw.nullable === true ? this.makeNullable(out) : out;
  }

  private applyDiscriminator(raw: JsonObject, out: JsonObject): void {
    const discriminator = raw.discriminator as { propertyName?: unknown; mapping?: Record<string, string> };
    if (typeof discriminator.propertyName !== 'string') throw new Error('contract: discriminator without propertyName');
    const members = (raw.oneOf ?? raw.anyOf) as unknown[] | undefined;
    const mapping: Record<string, DispatchTarget> = {};
    const mappedRefs = new Set<string>();
    for (const [value, target] of Object.entries(discriminator.mapping ?? {})) {
      const ref = target.startsWith('#') ? target : SCHEMA_REF_PREFIX + target;
      mappedRefs.add(ref);
      mapping[value] = { uri: this.schemaUri(ref), schema: ref.slice(SCHEMA_REF_PREFIX.length) };
    }
    let inlineMember = false;
    for (const member of members ?? []) {
      if (isObject(member) && typeof member.$ref === 'string' && Object.keys(member).length === 1) {
        // Implicit mapping: the schema name is the discriminator value for members the mapping doesn't name.
        if (!mappedRefs.has(member.$ref)) {
          const name = member.$ref.slice(SCHEMA_REF_PREFIX.length);
          mapping[name] = { uri: this.schemaUri(member.$ref), schema: name };
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

  private makeNullable(out: JsonObject): JsonObject {
    if (APPLICATORS.some((k) => k in out)) return { if: { type: 'null' }, else: out };
    const result = { ...out };
    if (typeof result.type === 'string') result.type = [result.type, 'null'];
    else if (Array.isArray(result.type) && !result.type.includes('null')) result.type = [...(result.type as string[]), 'null'];
    if (Array.isArray(result.enum) && !result.enum.includes(null)) result.enum = [...(result.enum as unknown[]), null];
    return result;
  }

  /** readOnly properties are not required in requests, writeOnly ones not in responses. */
  private isHiddenInMode(definitions: unknown[]): boolean {
    const flag = this.mode === 'request' ? 'readOnly' : 'writeOnly';
    return definitions.some((d) => this.hasFlag(d, flag, new Set()));
  }

  private hasFlag(schema: unknown, flag: string, seen: Set<unknown>): boolean {
    if (!isObject(schema) || seen.has(schema)) return false;
    seen.add(schema);
    if (schema[flag] === true) return true;
    if (typeof schema.$ref === 'string' && this.hasFlag(resolvePointer(this.doc, schema.$ref), flag, seen)) return true;
    return Array.isArray(schema.allOf) && schema.allOf.some((m) => this.hasFlag(m, flag, seen));
  }

  /** Property definitions of a schema, including those reached through $ref and allOf. */
  private collectProperties(schema: unknown, seen = new Set<unknown>(), into = new Map<string, unknown[]>()): PropertyIndex {
    if (!isObject(schema) || seen.has(schema)) return into;
    seen.add(schema);
    if (isObject(schema.properties)) {
      for (const [name, def] of Object.entries(schema.properties)) into.set(name, [...(into.get(name) ?? []), def]);
    }
    if (typeof schema.$ref === 'string') this.collectProperties(resolvePointer(this.doc, schema.$ref), seen, into);
    if (Array.isArray(schema.allOf)) for (const member of schema.allOf) this.collectProperties(member, seen, into);
    return into;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Operation index

interface IndexedOperation {
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

function buildIndex(doc: OaDocument): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const names: string[] = [];
    const pattern = template
      .split('/')
      .map((segment) =>
        segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
          if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(name);
          return '([^/]+)';
        }),
      )
      .join('/');
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

interface Located {
  op?: IndexedOperation;
  pathParams: Record<string, string>;
  query: URLSearchParams;
  issue?: ContractIssue;
}

function issue(where: string, message: string): ContractIssue {
  return { where, message };
}

function label(op: IndexedOperation): string {
  return `${op.method} ${op.template}`;
}

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

// ---------------------------------------------------------------------------------------------------------
// Error formatting

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

function describe(value: unknown): string {
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

function toIssues(prefix: string, errors: ErrorObject[] | null | undefined, root: unknown): ContractIssue[] {
  const all = errors ?? [];
  // `if` errors only say "the else branch failed"; the branch's own errors are alongside and say why.
  const meaningful = all.some((e) => e.keyword !== 'if') ? all.filter((e) => e.keyword !== 'if') : all;
  const issues: ContractIssue[] = [];
  const seen = new Set<string>();
  for (const error of meaningful) {
    const params = error.params as Record<string, unknown>;
    let where = prefix + error.instancePath;
    const got = describe(valueAt(root, error.instancePath));
    let message: string;
    switch (error.keyword) {
      case 'required':
        where += `/${escapePointer(String(params.missingProperty))}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        where += `/${escapePointer(String(params.additionalProperty))}`;
        message = 'is not allowed here (additionalProperties: false)';
        break;
      case 'enum':
        message = `must be one of ${listValues(params.allowedValues as unknown[])} (got ${got})`;
        break;
      case 'discriminator':
        message = `${error.message ?? 'has no mapping'} (got ${got})`;
        break;
      case 'type':
        message = `must be ${String(params.type).split(',').join(' or ')} (got ${got})`;
        break;
      case 'format':
        message = `must be a valid ${String(params.format)} (got ${got})`;
        break;
      default:
        message = `${error.message ?? `fails ${error.keyword}`} (got ${got})`;
    }
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

// ---------------------------------------------------------------------------------------------------------
// The contract

interface ModeValidators {
  ajv: Ajv;
  converter: SchemaConverter;
}

class OpenApiContract implements Contract {
  private readonly index: PathEntry[];
  private readonly validators = new Map<string, ModeValidators>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OaDocument) {
    this.index = buildIndex(doc).sort(compareSpecificity);
  }

  operation(method: string, path: string): ContractOperation | undefined {
    const { op } = this.locate(method, path);
    if (!op) return undefined;
    const scopes = [...new Set((op.operation.security ?? []).flatMap((requirement) => Object.values(requirement).flat()))];
    const result: ContractOperation = { operationId: op.operation.operationId ?? label(op), scopes, pathTemplate: op.template };
    const category = op.operation['x-ratelimit-category'];
    if (category !== undefined) result.rateLimitCategory = category;
    return result;
  }

  validateRequest(req: ContractRequest): ContractIssue[] {
    const located = this.locate(req.method, req.path);
    if (located.issue) return [located.issue];
    const op = located.op as IndexedOperation;
    const query = new URLSearchParams(located.query);
    if (req.query instanceof URLSearchParams) {
      req.query.forEach((v, k) => {
        query.append(k, v);
      });
    } else if (req.query) {
      for (const [k, v] of Object.entries(req.query)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
    }
    return [...this.checkPathParams(op, located.pathParams), ...this.checkQuery(op, query), ...this.checkBody(op, req)];
  }

  validateResponse(res: ContractResponse): ContractIssue[] {
    const where = `response ${res.status}`;
    const located = this.locate(res.method, res.path, where);
    if (located.issue) return [located.issue];
    const op = located.op as IndexedOperation;
    const responses = op.operation.responses ?? {};
    const statusKey = [String(res.status), `${String(res.status).charAt(0)}XX`, 'default'].find((k) => k in responses);
    if (statusKey === undefined) {
      const documented = Object.keys(responses).join(', ');
      return [issue(where, `status ${res.status} is not documented for ${label(op)} (documented: ${documented})`)];
    }
    const response = deref(this.doc, responses[statusKey]) as OaResponse;
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) {
      const empty = res.body === undefined || res.body === null || res.body === '';
      if (empty) return [];
      return [issue(`${where} body`, `no body is documented for ${statusKey} of ${label(op)} (got ${describe(res.body)})`)];
    }
    const contentType = mediaEssence(res.contentType ?? 'application/json');
    const mediaKey = Object.keys(content).find((k) => mediaEssence(k) === contentType);
    if (mediaKey === undefined) {
      const documented = Object.keys(content).join(', ');
      return [issue(`${where} content-type`, `${contentType} is not documented for ${statusKey} (documented: ${documented})`)];
    }
    const schema = content[mediaKey]?.schema;
    if (schema === undefined) return [];
    if (res.body === undefined) return [{ where: `${where} body`, message: 'is missing' }];
    const validate = this.validator('response', `${op.method} ${op.template} ${statusKey} ${mediaKey}`, () => schema);
    return validate(res.body) ? [] : toIssues(`${where} body`, validate.errors, res.body);
  }

  // -- locating -------------------------------------------------------------------------------------------

  private locate(method: string, rawPath: string, where = 'request'): Located {
    const { path, query } = splitPath(rawPath);
    const entry = this.index.find((e) => e.regex.test(path));
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

  // -- parameters -----------------------------------------------------------------------------------------

  private checkPathParams(op: IndexedOperation, values: Record<string, string>): ContractIssue[] {
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
    const validate = this.parameterValidator(op, 'path', declared);
    if (!validate(data)) issues.push(...toIssues('request path', validate.errors, data));
    return issues;
  }

  private checkQuery(op: IndexedOperation, query: URLSearchParams): ContractIssue[] {
    const issues: ContractIssue[] = [];
    const declared = op.parameters.filter((p) => p.in === 'query');
    const byName = new Map(declared.map((p) => [p.name, p]));
    const grouped = new Map<string, string[]>();
    query.forEach((value, key) => grouped.set(key, [...(grouped.get(key) ?? []), value]));
    const data: JsonObject = {};
    for (const [key, values] of grouped) {
      // deepObject: name[key]=value, nested as name[a][b]=value (the common reading of an unspecified case).
      const deep = /^([^[\]]+)((?:\[[^[\]]+\])+)$/.exec(key);
      const deepParam = deep ? byName.get(deep[1] ?? '') : undefined;
      if (deep && deepParam?.style === 'deepObject') {
        const path = [...(deep[2] ?? '').matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1] ?? '');
        let holder = childObject(data, deepParam.name);
        for (const segment of path.slice(0, -1)) holder = childObject(holder, segment);
        holder[path[path.length - 1] ?? ''] = values.length === 1 ? values[0] : values;
        continue;
      }
      const param = byName.get(key);
      if (param?.style === 'deepObject') {
        issues.push(issue(`request query/${key}`, `is a deepObject parameter: send it as ${key}[property]=value`));
        continue;
      }
      if (!param) {
        const names = [...byName.keys()].join(', ') || 'none';
        issues.push(issue(`request query/${key}`, `is not a query parameter of ${label(op)} (declared: ${names})`));
        continue;
      }
      const schema = deref(this.doc, param.schema);
      if (isObject(schema) && schema.type === 'array') {
        data[key] = values.flatMap((v) => v.split(','));
      } else if (values.length > 1) {
        issues.push(issue(`request query/${key}`, `is given ${values.length} times but is not an array parameter`));
      } else {
        data[key] = values[0];
      }
    }
    const validate = this.parameterValidator(op, 'query', declared);
    if (!validate(data)) issues.push(...toIssues('request query', validate.errors, data));
    return issues;
  }

  private parameterValidator(op: IndexedOperation, location: 'path' | 'query', params: OaParameter[]): ValidateFunction {
    return this.validator(
      'params',
      `${op.method} ${op.template} ${location}`,
      () => ({
        type: 'object',
        properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
        required: params.filter((p) => p.required === true || location === 'path').map((p) => p.name),
      }),
    );
  }

  // -- bodies ---------------------------------------------------------------------------------------------

  private checkBody(op: IndexedOperation, req: ContractRequest): ContractIssue[] {
    const where = 'request body';
    const declared = op.operation.requestBody;
    const requestBody = declared === undefined ? undefined : (deref(this.doc, declared) as OaRequestBody);
    const absent = req.body === undefined || req.body === null || req.body === '';
    if (!requestBody) return absent ? [] : [issue(where, `${label(op)} takes no request body (got ${describe(req.body)})`)];
    if (absent) return requestBody.required === true ? [{ where, message: 'is required' }] : [];
    const content = requestBody.content ?? {};
    const guessed = typeof req.body === 'string' || req.body instanceof URLSearchParams ? FORM : 'application/json';
    const contentType = mediaEssence(req.contentType ?? guessed);
    const mediaKey = Object.keys(content).find((k) => mediaEssence(k) === contentType);
    if (mediaKey === undefined) {
      const accepted = Object.keys(content).join(', ');
      return [issue('request content-type', `${contentType} is not accepted by ${label(op)} (accepted: ${accepted})`)];
    }
    const schema = content[mediaKey]?.schema;
    if (schema === undefined) return [];
    const key = `${op.method} ${op.template} body ${mediaKey}`;
    if (contentType === FORM) {
      const data = formToObject(req.body);
      if (!data) return [issue(where, `must be a form string, URLSearchParams or object (got ${describe(req.body)})`)];
      const validate = this.validator('params', key, () => schema);
      return validate(data) ? [] : toIssues(where, validate.errors, data);
    }
    const validate = this.validator('request', key, () => schema);
    return validate(req.body) ? [] : toIssues(where, validate.errors, req.body);
  }

  // -- ajv ------------------------------------------------------------------------------------------------

  /**
   * 'request'/'response': strict validators over the request/response views of the components.
   * 'params': a type-coercing validator over the request view, for values that arrive as strings.
   */
  private ajvFor(kind: 'request' | 'response' | 'params'): ModeValidators {
    const existing = this.validators.get(kind);
    if (existing) return existing;
    const coercing = kind === 'params';
    const ajv = new Ajv({
      allErrors: true,
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      coerceTypes: coercing,
      useDefaults: false,
      addUsedSchema: false,
      logger: false,
    });
    configureFormats(ajv);
    ajv.addKeyword(discriminatorKeyword(ajv, coercing));
    const mode: Mode = kind === 'response' ? 'response' : 'request';
    const docId = `https://contract.invalid/pinterest-v5/${mode}.json`;
    const converter = new SchemaConverter(this.doc, mode, docId, new Set(Object.keys(ajv.formats)));
    ajv.addSchema(converter.componentsDocument());
    const created = { ajv, converter };
    this.validators.set(kind, created);
    return created;
  }

  private validator(kind: 'request' | 'response' | 'params', key: string, schema: () => unknown): ValidateFunction {
    const cacheKey = `${kind} ${key}`;
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    const { ajv, converter } = this.ajvFor(kind);
    const converted = converter.convert(schema());
    const onlyRef = isObject(converted) && Object.keys(converted).length === 1 && typeof converted.$ref === 'string';
    const validate = onlyRef ? ajv.getSchema(converted.$ref as string) : ajv.compile(converted as JsonObject);
    if (!validate) throw new Error(`contract: cannot compile ${cacheKey}`);
    this.compiled.set(cacheKey, validate);
    return validate;
  }
}

function childObject(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function formToObject(body: unknown): JsonObject | undefined {
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

// ---------------------------------------------------------------------------------------------------------

/** A contract for any OpenAPI 3.0 document (the tests use small ones to pin down individual quirks). */
export function createContract(document: unknown): Contract {
  if (!isObject(document) || !isObject(document.paths)) throw new Error('contract: not an OpenAPI document');
  return new OpenApiContract(document as unknown as OaDocument);
}

let cached: Contract | undefined;

/** The contract for Pinterest's vendored description; parsed once per process, validators compiled lazily. */
export function loadContract(): Contract {
  cached ??= createContract(JSON.parse(readFileSync(SPEC_PATH, 'utf8')));
  return cached;
}

/** Throws a readable error listing every issue, so a failing test shows exactly what breaks the contract. */
export function expectConforms(issues: ContractIssue[]): void {
  if (issues.length === 0) return;
  const lines = issues.map((i) => `  - ${i.where}: ${i.message}`);
  const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
  throw new Error(`Does not conform to the Pinterest OpenAPI description (${count}):\n${lines.join('\n')}`);
}
