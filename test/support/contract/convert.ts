/**
 * OpenAPI 3.0 schema -> JSON Schema (draft-07). OpenAPI 3.0 schemas are not JSON Schema, and this description
 * has quirks of its own. Each is translated here rather than by relaxing a check, because a contract test that
 * passes by being lenient proves nothing:
 *
 * - Component `$ref`s. The document is ~2 MB; compiling it into every validator would make each compile slow
 *   and every validator huge. The converted components are registered once per ajv instance as one document
 *   (`$id` + `definitions`, see `componentsDocument`) and `#/components/schemas/X` becomes a ref into it, so
 *   ajv compiles only what an operation actually reaches, once, and shares it. Parameter/response/requestBody
 *   refs are OpenAPI objects, not schemas, and are followed by the checker (openapi.ts), not ajv.
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
 * - `discriminator` becomes a custom keyword (discriminator.ts).
 * - OAS-only keywords (`example`, `examples`, `xml`, `externalDocs`, `deprecated`, `x-*`, annotations) are
 *   stripped, and ajv runs with `strictSchema: true`: any keyword this helper does not understand makes the
 *   compile fail loudly instead of being ignored. `additionalProperties` is copied exactly as written; nothing
 *   is closed or opened that the spec leaves alone.
 * - `exclusiveMinimum: true` (ConversionMSOTEvents.attribution_score, "> 0 and <= 1") is the draft-4 boolean
 *   form; draft-07 needs the number, so it becomes `exclusiveMinimum: <minimum>`, keeping the bound exclusive.
 */
import { applyDiscriminator, discriminatedBases, DISCRIMINATOR_KEYWORD } from './discriminator';
import {
  escapePointer,
  isObject,
  resolvePointer,
  SCHEMA_REF_PREFIX,
  unescapePointer,
  type JsonObject,
  type OaDocument,
} from './openapi';

export type Mode = 'request' | 'response';

const BASE_SUFFIX = '@base';

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

/** What converting one keyword needs to know about the schema it belongs to. */
interface KeywordContext {
  raw: JsonObject;
  out: JsonObject;
  options: ConvertOptions;
  visible: PropertyIndex;
}

/** Converts schemas for one view (`mode`) of the document, with refs into the components document `docId`. */
export class SchemaConverter {
  /** Components with a discriminator -> the component names it can dispatch to (explicitly or implicitly). */
  private readonly discriminatedBases: Map<string, Set<string>>;

  constructor(
    private readonly doc: OaDocument,
    private readonly mode: Mode,
    readonly docId: string,
    private readonly knownFormats: Set<string>,
  ) {
    this.discriminatedBases = discriminatedBases(doc.components?.schemas ?? {});
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
      if (COPIED.has(key)) out[key] = value;
      else this.convertKeyword(key, value, { raw, out, options, visible });
    }
    // A `true` exclusive bound replaces the inclusive one it qualifies.
    if (raw.exclusiveMinimum === true && typeof raw.minimum === 'number') delete out.minimum;
    if (raw.exclusiveMaximum === true && typeof raw.maximum === 'number') delete out.maximum;
    if (Array.isArray(out.required) && out.required.length === 0) delete out.required;

    if (isObject(raw.discriminator)) {
      if (!options.skipDiscriminator) applyDiscriminator(raw, out, (ref) => this.schemaUri(ref));
      else {
        // Inherited by one of its own subtypes: the subtype is the variant, so the polymorphic part is not re-applied.
        delete out.oneOf;
        delete out.anyOf;
      }
    }
    return raw.nullable === true ? makeNullable(out) : out;
  }

  private convertKeyword(key: string, value: unknown, { raw, out, options, visible }: KeywordContext): void {
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
        out.allOf = (value as unknown[]).map((member) => this.convertAllOfMember(member, options.component, visible));
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

  private convertAllOfMember(member: unknown, component: string | undefined, visible: PropertyIndex): unknown {
    // A mapped subtype that allOf's its discriminator base inherits it: apply the base without
    // dispatching back to the subtype, or validation would recurse forever.
    return isObject(member) && typeof member.$ref === 'string' && Object.keys(member).length === 1
      ? { $ref: this.schemaUri(member.$ref, component) }
      : this.convert(member, { inherited: visible });
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

function makeNullable(out: JsonObject): JsonObject {
  if (APPLICATORS.some((k) => k in out)) return { if: { type: 'null' }, else: out };
  const result = { ...out };
  if (typeof result.type === 'string') result.type = [result.type, 'null'];
  else if (Array.isArray(result.type) && !result.type.includes('null')) result.type = [...(result.type as string[]), 'null'];
  if (Array.isArray(result.enum) && !result.enum.includes(null)) result.enum = [...(result.enum as unknown[]), null];
  return result;
}
